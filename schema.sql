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
