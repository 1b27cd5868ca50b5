//! Latchkey: a self-hosted authentication and authorization server with a Flatfile-compatible API.
#![forbid(unsafe_code)]

pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod dotenv;
pub mod host;
pub mod http;
pub mod startup;
pub mod state;
pub mod store;
pub mod webhooks;
