//! Integration tests through HTTP against the real server (`Application::build`, port 0,
//! a temporary data directory).

mod api_keys;
mod environments;
mod errors;
mod helpers;
mod login;
mod restart;
