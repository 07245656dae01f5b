//! What every product shares. Nothing here names a product: products declare themselves
//! as a [`product::Product`] and the platform works from the installed list.

pub mod auth;
pub mod bindings;
pub mod config;
pub mod cron;
pub mod crypto;
pub mod db;
pub mod error;
pub mod fields;
pub mod html;
pub mod http;
pub mod ids;
pub mod llm;
pub mod mail;
pub mod meta;
pub mod openapi;
pub mod outbound;
pub mod page;
pub mod product;
pub mod promise;
pub mod response;
pub mod rng;
pub mod router;
pub mod routes;
pub mod scheduler;
pub mod schema;
pub mod sort;
pub mod sse;
pub mod text;
pub mod tz;
