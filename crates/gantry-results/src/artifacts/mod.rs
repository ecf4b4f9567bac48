//! Artifacts (v4): what `@actions/artifact` v2 calls through the Twirp `ArtifactService`,
//! scoped to one workflow run.

pub(crate) mod record;
pub(crate) mod service;
pub(crate) mod twirp;
