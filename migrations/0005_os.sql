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
