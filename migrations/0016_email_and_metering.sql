-- Proof of email ownership: a verified address, single-use expiring link tokens (only
-- their SHA-256 is kept), and the development outbox (EMAIL_BACKEND=outbox).
ALTER TABLE users ADD COLUMN email_verified_at TEXT;

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
