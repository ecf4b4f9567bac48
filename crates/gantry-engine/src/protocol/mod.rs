//! The step protocol of GitHub's runner, as pure functions: workflow commands printed on
//! a step's output (`::name k=v::data`) and the files behind `GITHUB_ENV`, `GITHUB_OUTPUT`,
//! `GITHUB_PATH` and `GITHUB_STATE`.

pub mod commands;
pub mod file_commands;
