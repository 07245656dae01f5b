-- Accounts: email/password users and wallet users (email NULL).
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT UNIQUE,
    name           TEXT,
    password_hash  TEXT,
    wallet_address TEXT UNIQUE,
    created_at     TEXT NOT NULL,
    is_active      INTEGER NOT NULL DEFAULT 1
);

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
