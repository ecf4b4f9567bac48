//! The typed model of workflow files and action metadata, with the source span of every
//! node, and the lowering from the YAML tree into it ("raw → checked").
//!
//! Lowering never stops at the first problem: it reports every unknown key and wrong type
//! it finds and keeps what it could read, so validation sees as much as possible.

pub mod action;
pub mod describe;
pub mod events;
pub mod lower;
pub mod spanned;
pub mod step;
pub mod strategy;
pub mod trigger;
pub mod uses;
pub mod workflow;

pub use action::*;
pub use lower::PERMISSION_SCOPES;
pub use spanned::*;
pub use step::*;
pub use strategy::*;
pub use trigger::*;
pub use uses::*;
pub use workflow::*;
