-- The last run of each of a user's Phantom loops, whoever ran it (the scheduler or
-- run-now), for GET /api/phantom/status.
CREATE TABLE phantom_last_runs (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    loop    TEXT NOT NULL,
    at      TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (user_id, loop)
);
