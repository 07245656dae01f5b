-- Assistant: conversations and their messages. Nothing about a conversation lives
-- anywhere else: every chat turn reads its history from here.
CREATE TABLE assistant_conversations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX assistant_conversations_user ON assistant_conversations (user_id, id);

-- role: user | assistant | tool. An assistant message may carry the tool calls it made
-- (JSON [{id, tool, arguments}]); a tool message answers one of them (tool_call_id) with
-- the tool's result as JSON text. seq orders a conversation's messages.
CREATE TABLE assistant_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES assistant_conversations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    tool_calls      TEXT,
    tool_call_id    TEXT,
    tool_name       TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
);
