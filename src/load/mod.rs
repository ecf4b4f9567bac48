//! Loading what a plan is made from, for both fronts (`gantry plan`/`run` and `gantry
//! serve`): local actions and reusable workflows read from a workspace on disk. Neither
//! front imports the other; what they share lives here.

mod resolver;

pub use resolver::FsResolver;
