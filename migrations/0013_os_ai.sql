-- Personal OS AI helpers: model calls per user and UTC day, counted in one conditional
-- upsert so the daily limit holds under simultaneous requests.
CREATE TABLE os_ai_usage (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT NOT NULL,
    calls   INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);
