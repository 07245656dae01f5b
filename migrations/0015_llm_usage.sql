-- Model calls per user and UTC day, for every product: the LLM broker counts each call
-- in one conditional upsert, so AI_DAILY_LIMIT holds across products and under
-- simultaneous requests. Replaces the Personal OS helpers' own count.
CREATE TABLE llm_usage (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT NOT NULL,
    calls   INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);
INSERT INTO llm_usage (user_id, day, calls) SELECT user_id, day, calls FROM os_ai_usage;
DROP TABLE os_ai_usage;
