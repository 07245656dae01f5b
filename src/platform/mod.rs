//! What every product shares.

pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub mod meta;
pub mod scheduler;
