//! Integration tests through HTTP against the real server (`Application::build`, port 0,
//! a temporary data directory).

mod agents;
mod api_keys;
mod audit_growth;
mod clients;
mod data_clips;
mod embed;
mod endpoints;
mod environments;
mod errors;
mod events;
mod fixtures;
mod guests;
mod guides;
mod hardening;
mod helpers;
mod hostile;
mod hostile_text;
mod last_admin;
mod login;
mod matrix;
mod overview;
mod pats;
mod restart;
mod secrets;
mod space_limits;
mod streams;
mod text_limits;
mod throttle;
mod users;
mod webhooks;
