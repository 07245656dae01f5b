//! What every product shares.

pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod fields;
pub mod http;
pub mod ids;
pub mod llm;
pub mod meta;
pub mod scheduler;
pub mod tz;
