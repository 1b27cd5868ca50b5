//! Integration tests through HTTP against the real server (`Application::build`, port 0,
//! a temporary data directory).

mod api_keys;
mod audit_growth;
mod clients;
mod environments;
mod errors;
mod events;
mod fixtures;
mod guests;
mod helpers;
mod hostile;
mod last_admin;
mod login;
mod matrix;
mod pats;
mod restart;
mod secrets;
mod space_limits;
mod throttle;
mod users;
