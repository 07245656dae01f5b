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
);
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
);
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
