-- Personal OS knowledge vault: courses with ordered modules, and the skill tree.
CREATE TABLE os_courses (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    url         TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX os_courses_user ON os_courses (user_id, id);

CREATE TABLE os_course_modules (
    id           TEXT PRIMARY KEY,
    course_id    TEXT NOT NULL REFERENCES os_courses (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    position     INTEGER NOT NULL,
    completed_at TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX os_course_modules_course ON os_course_modules (course_id, position);

CREATE TABLE os_skills (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    level       INTEGER NOT NULL DEFAULT 0,
    max_level   INTEGER NOT NULL DEFAULT 5 CHECK (max_level BETWEEN 1 AND 100),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (level BETWEEN 0 AND max_level)
);
CREATE INDEX os_skills_user ON os_skills (user_id, id);

-- skill → a skill it requires; the graph stays acyclic.
CREATE TABLE os_skill_prerequisites (
    user_id     TEXT NOT NULL,
    skill_id    TEXT NOT NULL REFERENCES os_skills (id) ON DELETE CASCADE,
    requires_id TEXT NOT NULL REFERENCES os_skills (id) ON DELETE CASCADE,
    PRIMARY KEY (skill_id, requires_id)
);
CREATE INDEX os_skill_prerequisites_user ON os_skill_prerequisites (user_id);
