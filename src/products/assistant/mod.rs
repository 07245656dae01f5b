//! Assistant: a chat agent over the user's Personal OS (tasks, habits, goals), and the
//! same tools served to MCP clients. Stateless: a conversation lives in D1 only, and every
//! MCP request is served on its own.

pub mod chat;
pub mod conversations;
pub mod intent;
pub mod mcp;
pub mod prompts;
pub mod resources;
pub mod tools;

use crate::platform::config::{parse_int, Config, Stage};
use crate::platform::error::ApiError;
use crate::platform::product::{Product, Route};
use crate::route;

pub static PRODUCT: Product = Product {
    name: "assistant",
    title: "Assistant",
    routes: ROUTES,
    settings: Some(|raw, stage, errors| Box::new(Settings::parse(raw, stage, errors))),
    jobs: None,
    crons: &[],
    listener: None,
};

static ROUTES: &[Route] = &[
    route!(POST "/api/assistant/chat", User, chat::chat, chat::CHAT_DOC),
    route!(GET "/api/assistant/conversations", User, conversations::list, conversations::LIST_DOC),
    route!(GET "/api/assistant/conversations/{id}", User, conversations::get, conversations::GET_DOC),
    route!(DELETE "/api/assistant/conversations/{id}", User, conversations::delete, conversations::DELETE_DOC),
    route!(POST "/mcp", UserByHeader, mcp::post, mcp::DOC),
];

/// The assistant's settings of this worker.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Messages of history a chat turn reads and sends to a model
    /// (`ASSISTANT_HISTORY_MESSAGES`, default 40).
    pub history_messages: u32,
}

impl Settings {
    fn parse(
        raw: &dyn Fn(&str) -> Option<String>,
        _stage: &Stage,
        errors: &mut Vec<String>,
    ) -> Self {
        Settings {
            history_messages: parse_int(
                errors,
                "ASSISTANT_HISTORY_MESSAGES",
                raw("ASSISTANT_HISTORY_MESSAGES"),
                40,
                2..=500,
            ) as u32,
        }
    }

    pub fn of(config: &Config) -> Result<&Settings, ApiError> {
        config.product::<Settings>()
    }
}
