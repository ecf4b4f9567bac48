//! Planning: turning matched workflows into a `Plan` — the job DAG, expanded matrices,
//! images from the platform map, each step's kind and what its container will receive.
//! Pure: a `Plan` is data; `gantry plan` prints it and `gantry run` executes it.

pub mod dag;
pub mod platform;
pub mod types;

pub use types::*;
