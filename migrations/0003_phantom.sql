-- Phantom: personas, browsing plans, noise events and per-user settings.
CREATE TABLE phantom_personas (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    age            INTEGER NOT NULL,
    occupation     TEXT NOT NULL,
    location       TEXT NOT NULL,
    interests      TEXT NOT NULL,          -- JSON array of strings
    shopping_style TEXT NOT NULL,
    description    TEXT NOT NULL,
    is_active      INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX phantom_personas_user ON phantom_personas (user_id, id);

CREATE TABLE phantom_plans (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    persona_id   TEXT REFERENCES phantom_personas (id) ON DELETE SET NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed')),
    plan_data    TEXT NOT NULL,            -- JSON {steps: [...]}
    result       TEXT,                     -- JSON reported by the extension
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    completed_at TEXT
);
CREATE INDEX phantom_plans_user_status ON phantom_plans (user_id, status, id);

CREATE TABLE noise_events (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    persona_id   TEXT REFERENCES phantom_personas (id) ON DELETE SET NULL,
    event_type   TEXT NOT NULL CHECK (event_type IN ('search', 'browse', 'shop', 'persona_rotate')),
    payload      TEXT NOT NULL,            -- JSON
    delivered    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX noise_events_pending ON noise_events (user_id, delivered, event_type, id);

-- One row per scheduler cycle that produced events: a retried alarm for the same
-- (user, loop, slot) finds its row and creates nothing.
CREATE TABLE phantom_cycles (
    user_id    TEXT NOT NULL,
    loop       TEXT NOT NULL,
    slot       INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, loop, slot)
);

CREATE TABLE phantom_settings (
    user_id           TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    settings          TEXT NOT NULL,       -- JSON, see products/phantom/settings.rs
    active_persona_id TEXT,
    rotated_at        TEXT,
    updated_at        TEXT NOT NULL
);
