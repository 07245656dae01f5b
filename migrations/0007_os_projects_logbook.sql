-- Personal OS: projects (tasks link by project_id) and the logbook.
CREATE TABLE os_projects (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    start_date  TEXT NOT NULL,            -- YYYY-MM-DD
    target_date TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX os_projects_user ON os_projects (user_id, id);

CREATE TABLE os_logbook (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date       TEXT NOT NULL,             -- YYYY-MM-DD
    content    TEXT NOT NULL,
    links      TEXT NOT NULL DEFAULT '[]', -- JSON [{type, id}]
    created_at TEXT NOT NULL
);
CREATE INDEX os_logbook_user_date ON os_logbook (user_id, date, id);
