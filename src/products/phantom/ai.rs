//! Phantom's requests to the LLM broker: its prompt (synthetic data for a privacy tool)
//! and, for the offline backend, its own deterministic generator ([`super::offline`]).

use serde_json::Value;

use crate::platform::config::LlmConfig;
use crate::platform::error::ApiError;
use crate::platform::llm::{self, Message, Outcome, Validator};

const SYSTEM: &str =
    "You generate realistic, varied, plausible synthetic data for a privacy tool. \
     Answer with exactly one JSON value and nothing else.";

/// A structured-output task: what to produce and how to check it.
pub struct Task {
    pub feature: &'static str,
    /// Plain-language description of the JSON wanted, with its shape.
    pub instructions: String,
    /// Facts the answer should use (persona, hint…), sent to the model as JSON.
    pub context: Value,
    /// Seed of the offline generator: same seed, same answer.
    pub seed: u64,
    pub validate: Validator,
}

/// Runs a task for `user_id`: the configured model (a call counted against their daily
/// limit), or the offline generator.
pub async fn generate(
    env: &worker::Env,
    cfg: &LlmConfig,
    user_id: &str,
    task: &Task,
) -> Result<Value, ApiError> {
    let offline =
        || super::offline::generate(task.feature, task.seed, &task.context).map(Outcome::Json);
    let request = llm::Request {
        feature: task.feature,
        user_id,
        messages: vec![
            Message::system(SYSTEM),
            Message::user(format!(
                "Task: {}\n{}\nContext (JSON): {}",
                task.feature, task.instructions, task.context
            )),
        ],
        tools: &[],
        output: Some(&task.validate),
        offline: &offline,
    };
    match llm::complete(env, cfg, &request).await? {
        Outcome::Json(v) => Ok(v),
        Outcome::Reply(_) => Err(ApiError::internal(format!(
            "{} answered without JSON",
            task.feature
        ))),
    }
}
