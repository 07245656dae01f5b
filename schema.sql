-- The full current schema: equal to migrations/ applied in order (make test checks it).

-- Every run of every cron job: what ran, when, and how it ended.
CREATE TABLE cron_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    cron        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT NOT NULL
);
CREATE INDEX cron_runs_started_at ON cron_runs (started_at);

-- Accounts: email/password users and wallet users (email NULL).
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT UNIQUE,
    name           TEXT,
    password_hash  TEXT,
    wallet_address TEXT UNIQUE,
    created_at     TEXT NOT NULL,
    is_active      INTEGER NOT NULL DEFAULT 1
, email_verified_at TEXT);  -- set when a verification or reset link proved the address

-- API keys: only the SHA-256 of the key is kept.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_keys_user_active ON api_keys (user_id, revoked_at);

-- Phantom: personas, browsing plans, noise events and per-user settings.
CREATE TABLE phantom_personas (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    age            INTEGER NOT NULL,
    occupation     TEXT NOT NULL,
    location       TEXT NOT NULL,
    interests      TEXT NOT NULL,          -- JSON array of strings
    shopping_style TEXT NOT NULL,
    description    TEXT NOT NULL,
    is_active      INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX phantom_personas_user ON phantom_personas (user_id, id);

CREATE TABLE phantom_plans (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    persona_id   TEXT REFERENCES phantom_personas (id) ON DELETE SET NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed')),
    plan_data    TEXT NOT NULL,            -- JSON {steps: [...]}
    result       TEXT,                     -- JSON reported by the extension
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    completed_at TEXT
);
CREATE INDEX phantom_plans_user_status ON phantom_plans (user_id, status, id);

CREATE TABLE noise_events (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    persona_id   TEXT REFERENCES phantom_personas (id) ON DELETE SET NULL,
    event_type   TEXT NOT NULL CHECK (event_type IN ('search', 'browse', 'shop', 'persona_rotate')),
    payload      TEXT NOT NULL,            -- JSON
    delivered    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX noise_events_pending ON noise_events (user_id, delivered, event_type, id);

-- One row per scheduler cycle that produced events: a retried alarm for the same
-- (user, loop, slot) finds its row and creates nothing.
CREATE TABLE phantom_cycles (
    user_id    TEXT NOT NULL,
    loop       TEXT NOT NULL,
    slot       INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, loop, slot)
);

CREATE TABLE phantom_settings (
    user_id           TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    settings          TEXT NOT NULL,       -- JSON, see products/phantom/settings.rs
    active_persona_id TEXT,
    rotated_at        TEXT,
    updated_at        TEXT NOT NULL
);

-- Suiftly: customers (created at first wallet sign-in), services and tiers, service API
-- keys, seal keys, raw gateway access logs, usage records per 5-minute window, and the
-- escrow ledger. Money is integer cents.
CREATE TABLE suiftly_customers (
    customer_id                     INTEGER PRIMARY KEY CHECK (customer_id > 0 AND customer_id <= 2147483647),
    user_id                         TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    wallet_address                  TEXT NOT NULL UNIQUE,
    max_monthly_usd_cents           INTEGER NOT NULL CHECK (max_monthly_usd_cents >= 0),
    current_balance_usd_cents       INTEGER NOT NULL DEFAULT 0,
    current_month_charged_usd_cents INTEGER NOT NULL DEFAULT 0,
    last_month_charged_usd_cents    INTEGER NOT NULL DEFAULT 0,
    current_month_start             TEXT NOT NULL,          -- YYYY-MM-01 (UTC)
    -- Thousandths of a cent owed from request pricing, carried to the next charge (0–999).
    carry_millicents                INTEGER NOT NULL DEFAULT 0 CHECK (carry_millicents >= 0 AND carry_millicents < 1000),
    created_at                      TEXT NOT NULL,
    updated_at                      TEXT NOT NULL
);
CREATE INDEX suiftly_customers_month ON suiftly_customers (current_month_start);

CREATE TABLE suiftly_services (
    customer_id      INTEGER NOT NULL REFERENCES suiftly_customers (customer_id) ON DELETE CASCADE,
    service_type     TEXT NOT NULL CHECK (service_type IN ('seal', 'grpc', 'graphql')),
    tier             TEXT NOT NULL CHECK (tier IN ('starter', 'pro', 'enterprise')),
    next_tier        TEXT CHECK (next_tier IN ('starter', 'pro', 'enterprise')),  -- downgrade at rollover
    is_enabled       INTEGER NOT NULL DEFAULT 0,
    suspended_reason TEXT CHECK (suspended_reason IN ('insufficient_balance', 'monthly_limit_exceeded')),
    config           TEXT NOT NULL DEFAULT '{}',
    enabled_at       TEXT,
    disabled_at      TEXT,
    PRIMARY KEY (customer_id, service_type)
);

CREATE TABLE suiftly_api_keys (
    id            TEXT PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES suiftly_customers (customer_id) ON DELETE CASCADE,
    service_type  TEXT NOT NULL,
    key_version   INTEGER NOT NULL DEFAULT 1,
    key_prefix    TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    encrypted_key TEXT NOT NULL,          -- base64(nonce ‖ AES-256-GCM ciphertext) under VAULT_KEY
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX suiftly_api_keys_customer ON suiftly_api_keys (customer_id, service_type, is_active);

CREATE TABLE suiftly_seal_keys (
    id                    TEXT PRIMARY KEY,
    customer_id           INTEGER NOT NULL REFERENCES suiftly_customers (customer_id) ON DELETE CASCADE,
    public_key            TEXT NOT NULL,
    encrypted_private_key TEXT NOT NULL,  -- base64(nonce ‖ AES-256-GCM ciphertext) under VAULT_KEY
    is_active             INTEGER NOT NULL DEFAULT 1,
    created_at            TEXT NOT NULL
);
CREATE INDEX suiftly_seal_keys_customer ON suiftly_seal_keys (customer_id);

-- One row per gateway request; metered by id behind a watermark, dropped after 90 days.
CREATE TABLE suiftly_access_logs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts           INTEGER NOT NULL,        -- unix ms
    customer_id  INTEGER NOT NULL,
    service_type TEXT NOT NULL,
    method       TEXT NOT NULL,
    status_code  INTEGER NOT NULL,
    bytes_out    INTEGER NOT NULL
);
CREATE INDEX suiftly_access_logs_ts ON suiftly_access_logs (ts);

-- Usage per customer, service and 5-minute window. `pass` is the metering watermark that
-- produced the record (rows arriving after their window was metered get a later pass).
CREATE TABLE suiftly_usage_records (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id              INTEGER NOT NULL,
    service_type             TEXT NOT NULL,
    window_start             INTEGER NOT NULL,
    window_end               INTEGER NOT NULL,
    pass                     INTEGER NOT NULL,
    tier                     TEXT NOT NULL,   -- the service's tier when metered: the price applied
    request_count            INTEGER NOT NULL,
    bytes_transferred        INTEGER NOT NULL,
    charged_amount_usd_cents INTEGER,     -- NULL until billed
    billed_at                TEXT,
    UNIQUE (customer_id, service_type, window_start, pass)
);
CREATE INDEX suiftly_usage_customer_window ON suiftly_usage_records (customer_id, window_start);
CREATE INDEX suiftly_usage_unbilled ON suiftly_usage_records (customer_id) WHERE charged_amount_usd_cents IS NULL;

CREATE TABLE suiftly_escrow_transactions (
    id               TEXT PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES suiftly_customers (customer_id) ON DELETE CASCADE,
    tx_type          TEXT NOT NULL CHECK (tx_type IN ('deposit', 'withdraw', 'charge')),
    amount_usd_cents INTEGER NOT NULL CHECK (amount_usd_cents >= 0),
    tx_digest        TEXT UNIQUE,         -- on-chain digest of deposits and withdrawals
    idempotency_key  TEXT UNIQUE,         -- one charge per (customer, service, window | month)
    description      TEXT NOT NULL,
    created_at       TEXT NOT NULL
, status TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('completed', 'pending')));  -- pending: a withdrawal awaiting the operator's signer
CREATE INDEX suiftly_escrow_customer ON suiftly_escrow_transactions (customer_id, id);

-- Progress of cron jobs that continue where they stopped (metering: last raw log id).
CREATE TABLE job_watermarks (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- Personal OS, first slice: tasks with dependencies, the points wallet and rewards,
-- habits with dated logs, and per-user settings (time zone).
CREATE TABLE os_tasks (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'done')),
    priority     TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    area         TEXT,
    effort       INTEGER NOT NULL CHECK (effort BETWEEN 1 AND 5),
    due_date     TEXT,                    -- YYYY-MM-DD
    project_id   TEXT,
    goal_id      TEXT,
    completed_at TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX os_tasks_user ON os_tasks (user_id, id);
CREATE INDEX os_tasks_user_status ON os_tasks (user_id, status);

CREATE TABLE os_task_dependencies (
    user_id       TEXT NOT NULL,
    task_id       TEXT NOT NULL REFERENCES os_tasks (id) ON DELETE CASCADE,
    depends_on_id TEXT NOT NULL REFERENCES os_tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on_id)
);
CREATE INDEX os_task_dependencies_user ON os_task_dependencies (user_id);

-- Every point change, with why and from what. The balance is the sum.
CREATE TABLE os_wallet_ledger (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delta           INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    source_type     TEXT NOT NULL,
    source_id       TEXT,
    idempotency_key TEXT UNIQUE,          -- e.g. task_complete:{task id}: paid once
    created_at      TEXT NOT NULL
);
CREATE INDEX os_wallet_ledger_user ON os_wallet_ledger (user_id, id);

CREATE TABLE os_rewards (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    cost        INTEGER NOT NULL CHECK (cost > 0),
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX os_rewards_user ON os_rewards (user_id, id);

CREATE TABLE os_habits (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    schedule    TEXT NOT NULL,            -- JSON {type: daily|weekdays|every_n_days, days?, n?}
    start_date  TEXT NOT NULL,            -- YYYY-MM-DD in the user's time zone
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX os_habits_user ON os_habits (user_id, id);

CREATE TABLE os_habit_logs (
    habit_id   TEXT NOT NULL REFERENCES os_habits (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    date       TEXT NOT NULL,             -- YYYY-MM-DD, one per day
    created_at TEXT NOT NULL,
    PRIMARY KEY (habit_id, date)
);

CREATE TABLE os_settings (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    timezone   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Personal OS: metrics with dated logs and milestones, and spaced-repetition flashcards.
CREATE TABLE os_metrics (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    unit       TEXT NOT NULL DEFAULT '',
    target     REAL,
    direction  TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX os_metrics_user ON os_metrics (user_id, id);

CREATE TABLE os_metric_logs (
    metric_id  TEXT NOT NULL REFERENCES os_metrics (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    date       TEXT NOT NULL,             -- YYYY-MM-DD; one value per date
    value      REAL NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (metric_id, date)
);

CREATE TABLE os_metric_milestones (
    metric_id   TEXT NOT NULL REFERENCES os_metrics (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    achieved_at TEXT NOT NULL,
    PRIMARY KEY (metric_id, kind)
);

CREATE TABLE os_flashcards (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    front         TEXT NOT NULL,
    back          TEXT NOT NULL,
    deck          TEXT,
    repetitions   INTEGER NOT NULL DEFAULT 0,
    interval_days INTEGER NOT NULL DEFAULT 0,
    ease          REAL NOT NULL DEFAULT 2.5,
    due_on        TEXT NOT NULL,          -- YYYY-MM-DD
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX os_flashcards_due ON os_flashcards (user_id, due_on);

-- Personal OS: projects (tasks link by project_id) and the logbook.
CREATE TABLE os_projects (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    start_date  TEXT NOT NULL,            -- YYYY-MM-DD
    target_date TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX os_projects_user ON os_projects (user_id, id);

CREATE TABLE os_logbook (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date       TEXT NOT NULL,             -- YYYY-MM-DD
    content    TEXT NOT NULL,
    links      TEXT NOT NULL DEFAULT '[]', -- JSON [{type, id}]
    created_at TEXT NOT NULL
);
CREATE INDEX os_logbook_user_date ON os_logbook (user_id, date, id);

-- Personal OS: goals with embedded success criteria and a cached progress. Tasks link by
-- their goal_id; metrics and habits link through os_goal_links, whose `score` (0–1, NULL
-- when it has nothing to say yet) is refreshed in the same batch as the item changes.
CREATE TABLE os_goals (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('active', 'achieved', 'abandoned')),
    start_date       TEXT NOT NULL,           -- YYYY-MM-DD
    target_date      TEXT,
    success_criteria TEXT NOT NULL DEFAULT '[]', -- JSON [{text, met}]
    progress         REAL NOT NULL DEFAULT 0,    -- 0–100, see goals::PROGRESS_RULE
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX os_goals_user ON os_goals (user_id, id);
CREATE INDEX os_tasks_goal ON os_tasks (user_id, goal_id);

CREATE TABLE os_goal_links (
    goal_id TEXT NOT NULL REFERENCES os_goals (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('metric', 'habit')),
    item_id TEXT NOT NULL,
    score   REAL,
    PRIMARY KEY (goal_id, kind, item_id)
);
CREATE INDEX os_goal_links_item ON os_goal_links (user_id, kind, item_id);

-- Personal OS knowledge vault: courses with ordered modules, and the skill tree.
CREATE TABLE os_courses (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    url         TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX os_courses_user ON os_courses (user_id, id);

CREATE TABLE os_course_modules (
    id           TEXT PRIMARY KEY,
    course_id    TEXT NOT NULL REFERENCES os_courses (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    position     INTEGER NOT NULL,
    completed_at TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX os_course_modules_course ON os_course_modules (course_id, position);

CREATE TABLE os_skills (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    level       INTEGER NOT NULL DEFAULT 0,
    max_level   INTEGER NOT NULL DEFAULT 5 CHECK (max_level BETWEEN 1 AND 100),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (level BETWEEN 0 AND max_level)
);
CREATE INDEX os_skills_user ON os_skills (user_id, id);

-- skill → a skill it requires; the graph stays acyclic.
CREATE TABLE os_skill_prerequisites (
    user_id     TEXT NOT NULL,
    skill_id    TEXT NOT NULL REFERENCES os_skills (id) ON DELETE CASCADE,
    requires_id TEXT NOT NULL REFERENCES os_skills (id) ON DELETE CASCADE,
    PRIMARY KEY (skill_id, requires_id)
);
CREATE INDEX os_skill_prerequisites_user ON os_skill_prerequisites (user_id);

-- Sign-in sessions and their refresh tokens live in D1, where rotation is one conditional
-- UPDATE: of simultaneous refreshes with the same token exactly one wins. KV keeps only
-- revocation markers for the per-request access-token check.
CREATE TABLE auth_sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,           -- SHA-256 of the token
    session_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    rotated_at TEXT                        -- set once: presenting it again is reuse
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Wallet sign-in challenges: several may be pending per address, each single use.
CREATE TABLE wallet_challenges (
    nonce      TEXT PRIMARY KEY,
    address    TEXT NOT NULL,
    message    TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX wallet_challenges_address ON wallet_challenges (address, expires_at);

-- Money cannot be overdrawn or spent past the monthly limit, whatever the interleaving:
-- a debit that would do either aborts its whole batch.
CREATE TRIGGER suiftly_no_overdraft BEFORE UPDATE OF current_balance_usd_cents ON suiftly_customers
WHEN NEW.current_balance_usd_cents < 0 AND NEW.current_balance_usd_cents < OLD.current_balance_usd_cents
BEGIN
    SELECT RAISE(ABORT, 'insufficient_balance');
END;

CREATE TRIGGER suiftly_monthly_limit BEFORE UPDATE OF current_month_charged_usd_cents ON suiftly_customers
WHEN NEW.current_month_charged_usd_cents > OLD.current_month_charged_usd_cents
 AND NEW.current_month_charged_usd_cents > NEW.max_monthly_usd_cents
BEGIN
    SELECT RAISE(ABORT, 'monthly_limit_exceeded');
END;

-- Assistant: conversations and their messages. Nothing about a conversation lives
-- anywhere else: every chat turn reads its history from here.
CREATE TABLE assistant_conversations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
, turn_until INTEGER);  -- unix ms: a turn in progress holds the conversation (409 to another)
CREATE INDEX assistant_conversations_user ON assistant_conversations (user_id, id);

-- role: user | assistant | tool. An assistant message may carry the tool calls it made
-- (JSON [{id, tool, arguments}]); a tool message answers one of them (tool_call_id) with
-- the tool's result as JSON text. seq orders a conversation's messages.
CREATE TABLE assistant_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES assistant_conversations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    tool_calls      TEXT,
    tool_call_id    TEXT,
    tool_name       TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
);

-- Money: linked accounts (merchant, card name and last4 only: never a full card number or
-- CVV), their transactions (integer cents), sync cursors, groups with pending invites,
-- chats with their members and messages, insights and settings.
CREATE TABLE money_accounts (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source          TEXT NOT NULL CHECK (source IN ('demo', 'knot')),
    merchant        TEXT NOT NULL,
    merchant_id     INTEGER,
    name            TEXT NOT NULL,
    last4           TEXT CHECK (last4 IS NULL OR (length(last4) = 4 AND last4 NOT GLOB '*[^0-9]*')),
    linked_at       TEXT NOT NULL,
    last_synced_at  TEXT,
    last_sync_error TEXT
, webhook_queued_at INTEGER);  -- unix ms: a webhook queued a sync (at most once a minute)
CREATE INDEX money_accounts_user ON money_accounts (user_id, id);
CREATE UNIQUE INDEX money_accounts_knot ON money_accounts (user_id, merchant_id) WHERE source = 'knot';

-- Where the next Knot sync of an account starts; written with each page it stored.
CREATE TABLE money_sync_cursors (
    account_id TEXT PRIMARY KEY REFERENCES money_accounts (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    cursor     TEXT,
    updated_at TEXT NOT NULL
);

-- amount_cents: spend positive, refunds negative. external_id is the source's id, unique
-- per account, so a second sync replaces instead of duplicating.
CREATE TABLE money_transactions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    merchant     TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    category     TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (account_id, external_id)
);
CREATE INDEX money_transactions_user ON money_transactions (user_id, occurred_at);

CREATE TABLE money_groups (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A member is a user (user_id set) or a pending invite by email (user_id NULL) that
-- becomes a member when that email signs up. position keeps the order members were named.
CREATE TABLE money_group_members (
    group_id  TEXT NOT NULL REFERENCES money_groups (id) ON DELETE CASCADE,
    email     TEXT NOT NULL,
    user_id   TEXT,
    position  INTEGER NOT NULL,
    joined_at TEXT,
    PRIMARY KEY (group_id, email)
);
CREATE INDEX money_group_members_user ON money_group_members (user_id);
CREATE INDEX money_group_members_email ON money_group_members (email) WHERE user_id IS NULL;

-- A chat belongs to its creator, or to a group (then every member sees it).
CREATE TABLE money_chats (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id   TEXT REFERENCES money_groups (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
, turn_until INTEGER);  -- unix ms: a turn in progress holds the chat (409 to another)
CREATE INDEX money_chats_user ON money_chats (user_id);
CREATE INDEX money_chats_group ON money_chats (group_id);

-- Assistant messages carry thinking (JSON list of stages), action and drawer_data (JSON).
CREATE TABLE money_messages (
    id          TEXT PRIMARY KEY,
    chat_id     TEXT NOT NULL REFERENCES money_chats (id) ON DELETE CASCADE,
    user_id     TEXT,
    seq         INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content     TEXT NOT NULL,
    thinking    TEXT,
    action      TEXT,
    drawer_data TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (chat_id, seq)
);

-- The latest insights of a user, computed by their scheduler.
CREATE TABLE money_insights (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    data        TEXT NOT NULL,
    computed_at TEXT NOT NULL
);

CREATE TABLE money_settings (
    user_id              TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    home_currency        TEXT NOT NULL,
    monthly_budget_cents INTEGER,
    updated_at           TEXT NOT NULL
);

-- The last run of each of a user's Phantom loops, whoever ran it (the scheduler or
-- run-now), for GET /api/phantom/status.
CREATE TABLE phantom_last_runs (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    loop    TEXT NOT NULL,
    at      TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (user_id, loop)
);

-- Model calls per user and UTC day, for every product: the LLM broker counts each call
-- in one conditional upsert, so AI_DAILY_LIMIT holds across products and under
-- simultaneous requests.
CREATE TABLE llm_usage (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT NOT NULL,
    calls   INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- Proof of email ownership: single-use expiring link tokens (only their SHA-256 is kept),
-- and the development outbox (EMAIL_BACKEND=outbox).
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,                -- SHA-256 of the token in the link
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email      TEXT NOT NULL,                   -- the address the link was sent to
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);
CREATE INDEX email_tokens_expiry ON email_tokens (expires_at);

CREATE TABLE email_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX email_outbox_to ON email_outbox (to_address);

-- Raw usage rows a metering pass could not count for one customer (the others were
-- counted): kept with the error for the operator; the cron run's outcome names them.
CREATE TABLE suiftly_metering_skips (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    from_id     INTEGER NOT NULL,               -- raw log ids (from_id, to_id]
    to_id       INTEGER NOT NULL,
    error       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Knot webhooks bound and deduplicated: the sessions this API created (a webhook naming
-- a session must name its user), each body received (a replay acts once), and when a
-- webhook last queued a sync of an account (at most once a minute).
CREATE TABLE money_knot_sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

CREATE TABLE money_knot_webhooks (
    body_hash   TEXT PRIMARY KEY,                -- SHA-256 of the raw body
    event       TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX money_knot_webhooks_received ON money_knot_webhooks (received_at);
