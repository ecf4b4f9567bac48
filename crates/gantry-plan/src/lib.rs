//! Planning: turning matched workflows into a `Plan` — the job DAG, expanded matrices,
//! images from the platform map, each step's kind and what its container will receive.
//! Pure: a `Plan` is data; `gantry plan` prints it and `gantry run` and the service
//! execute it, reading nothing else (see [`exec`] for what execution needs beyond the
//! rendered plan).

pub mod build;
pub mod context;
pub mod dag;
mod decide;
pub mod error;
pub mod event;
pub mod exec;
pub mod inputs;
mod jobs;
pub mod matching;
pub mod matrix;
pub mod platform;
mod problem;
pub mod remote;
#[cfg(test)]
mod remote_calls_tests;
pub mod render;
pub mod resolve;
pub mod signature;
pub mod steps;
mod templates;
pub mod types;

pub use exec::*;
pub use types::*;

pub use build::{plan, PlanOptions, WorkflowFile};
pub use error::PlanError;
pub use jobs::replan_job;
pub use problem::WorkflowProblem;
