//! The dependency cache: one store of entries served by two protocols, v1 REST (chunked
//! PATCH uploads) and v2 Twirp (signed blob URLs), with GitHub's key matching and branch
//! scoping.

pub(crate) mod entry;
pub(crate) mod matching;
pub(crate) mod service;
pub(crate) mod v1;
pub(crate) mod v2;
