//! Git smart HTTP, read-only and token-scoped, for the repositories Gantry knows, so GitHub's
//! unmodified `actions/checkout` (and any git client) fetches from Gantry offline exactly as it
//! would from github.com. The smart protocol itself is spoken by the host's `git http-backend`
//! (see `backend`); this crate owns routing, access and the CGI plumbing around it.
//!
//! An adapter: it depends on no other Gantry crate. The caller binds the listener and serves
//! [`GitServer::router`].

mod access;
mod api;
mod backend;
mod body_tail;
mod cgi_env;
mod cgi_response;
mod config;
mod credentials;
mod error;
mod handler;
mod repo_name;
mod route;
mod server;

pub use config::GitServerConfig;
pub use error::GitHttpError;
pub use server::GitServer;
