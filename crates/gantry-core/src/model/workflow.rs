//! The typed model of a workflow file: top level, jobs and their containers.

use super::spanned::{BoolOrExpr, Env, NumOrExpr, Spanned, Str, StrMap};
use super::step::Step;
use super::strategy::Strategy;
use super::trigger::Triggers;
use super::uses::Uses;
use crate::yaml::node::{Node, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Workflow {
    pub name: Option<Str>,
    pub run_name: Option<Str>,
    pub on: Option<Spanned<Triggers>>,
    pub permissions: Option<Spanned<Permissions>>,
    pub env: Env,
    pub defaults: Option<Defaults>,
    pub concurrency: Option<Spanned<Concurrency>>,
    pub jobs: Vec<Job>,
    /// The span of the `jobs:` key, for errors about the job list as a whole.
    pub jobs_span: Span,
}

impl Workflow {
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id.value == id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Permissions {
    ReadAll,
    WriteAll,
    /// A scope → level map (`contents: read`); an empty map revokes everything.
    Scopes(Vec<(Str, Str)>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Defaults {
    pub shell: Option<Str>,
    pub working_directory: Option<Str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Concurrency {
    pub group: Option<Str>,
    pub cancel_in_progress: Option<Spanned<BoolOrExpr>>,
    /// 2026 syntax: how many runs may wait in the group (`queue: max`).
    pub queue: Option<Str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: Str,
    /// The whole job mapping.
    pub span: Span,
    pub name: Option<Str>,
    pub needs: Vec<Str>,
    pub if_: Option<Str>,
    pub permissions: Option<Spanned<Permissions>>,
    pub concurrency: Option<Spanned<Concurrency>>,
    pub strategy: Option<Strategy>,
    pub env: Env,
    pub defaults: Option<Defaults>,
    pub outputs: StrMap,
    pub environment: Option<Environment>,
    pub continue_on_error: Option<Spanned<BoolOrExpr>>,
    pub timeout_minutes: Option<Spanned<NumOrExpr>>,
    pub kind: JobKind,
}

/// Variants differ in size; a model is built once per file, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum JobKind {
    /// A job that runs steps on a runner.
    Steps(StepsJob),
    /// A job that calls a reusable workflow (`uses:` at job level).
    Call(CallJob),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepsJob {
    pub runs_on: Option<Spanned<RunsOn>>,
    pub container: Option<Container>,
    pub services: Vec<(Str, Container)>,
    pub steps: Vec<Step>,
    pub steps_span: Span,
    pub snapshot: Option<Str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallJob {
    /// The reusable workflow called, parsed when lowered.
    pub uses: Uses,
    pub with: StrMap,
    pub secrets: CallSecrets,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum CallSecrets {
    #[default]
    None,
    Inherit(Span),
    Map(StrMap),
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunsOn {
    /// One label or several; any of them may be an expression.
    Labels(Vec<Str>),
    Group {
        group: Option<Str>,
        labels: Vec<Str>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub name: Option<Str>,
    pub url: Option<Str>,
    pub deployment: Option<Spanned<BoolOrExpr>>,
    pub span: Span,
}

/// `container:` or one of `services:`; a bare string is just the image.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub span: Span,
    pub image: Option<Str>,
    pub credentials: Option<(Option<Str>, Option<Str>)>,
    pub env: Env,
    pub ports: Vec<Str>,
    pub volumes: Vec<Str>,
    pub options: Option<Str>,
    /// Anything else is kept raw so that nothing the user wrote is lost.
    pub extra: Vec<(Str, Node)>,
}
