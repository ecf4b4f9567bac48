//! The typed model of action metadata (`action.yml`).

use super::spanned::{Env, Str};
use super::step::Step;
use crate::yaml::node::{Node, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub name: Option<Str>,
    pub author: Option<Str>,
    pub description: Option<Str>,
    pub inputs: Vec<ActionInput>,
    pub outputs: Vec<ActionOutput>,
    pub runs: Option<Runs>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionInput {
    pub name: Str,
    pub description: Option<Str>,
    pub required: Option<Node>,
    /// The default, in its string form: GitHub passes every input as a string.
    pub default: Option<Str>,
    pub deprecation_message: Option<Str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionOutput {
    pub name: Str,
    pub description: Option<Str>,
    /// Composite actions map outputs from their steps.
    pub value: Option<Str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Runs {
    pub using: Str,
    pub span: Span,
    pub kind: RunsKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunsKind {
    Docker(DockerRuns),
    Composite {
        steps: Vec<Step>,
    },
    Node(NodeRuns),
    /// A `using:` Gantry does not know; reported by validation, kept for the message.
    Unknown,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DockerRuns {
    /// `Dockerfile`, a path to one, or `docker://image`.
    pub image: Option<Str>,
    pub entrypoint: Option<Str>,
    pub pre_entrypoint: Option<Str>,
    pub post_entrypoint: Option<Str>,
    pub pre_if: Option<Str>,
    pub post_if: Option<Str>,
    pub args: Vec<Str>,
    pub env: Env,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeRuns {
    pub main: Option<Str>,
    pub pre: Option<Str>,
    pub post: Option<Str>,
    pub pre_if: Option<Str>,
    pub post_if: Option<Str>,
}
