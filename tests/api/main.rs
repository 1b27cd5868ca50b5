//! Integration tests through HTTP against the real server (`Application::build`, port 0,
//! a temporary data directory).

mod api_keys;
mod clients;
mod environments;
mod errors;
mod helpers;
mod login;
mod pats;
mod restart;
mod throttle;
mod users;
