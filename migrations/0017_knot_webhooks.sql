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

ALTER TABLE money_accounts ADD COLUMN webhook_queued_at INTEGER;  -- unix ms
