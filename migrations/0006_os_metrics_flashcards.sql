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
