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
