//! The typed model of `on:`: GitHub's events and Gantry's own `kafka` and `webhook` triggers,
//! all in one shape so that matching treats them alike.

use super::spanned::{BoolOrExpr, Spanned, Str};
use crate::yaml::node::{Node, Span};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Triggers {
    pub events: Vec<Trigger>,
}

impl Triggers {
    pub fn get(&self, event: &str) -> Option<&Trigger> {
        self.events.iter().find(|t| t.event.value == event)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// The event name as written (`push`, `kafka`, ...).
    pub event: Str,
    pub config: TriggerConfig,
}

/// Variants differ in size; a model is built once per file, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerConfig {
    /// No configuration: `on: push`, `on: [push]` or `push:` with a null value.
    Any,
    /// Ref, path and activity filters (push, pull_request, merge_group, issues, ...).
    Filters(Filters),
    Schedule(Vec<Schedule>),
    Dispatch(Inputs),
    Call(WorkflowCall),
    Kafka(KafkaTrigger),
    Webhook(WebhookTrigger),
}

/// A pattern list as written, e.g. `branches: [main, 'releases/**', '!releases/**-alpha']`.
pub type Patterns = Spanned<Vec<Str>>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub branches: Option<Patterns>,
    pub branches_ignore: Option<Patterns>,
    pub tags: Option<Patterns>,
    pub tags_ignore: Option<Patterns>,
    pub paths: Option<Patterns>,
    pub paths_ignore: Option<Patterns>,
    pub types: Option<Patterns>,
    /// `workflow_run.workflows`.
    pub workflows: Option<Patterns>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub cron: Str,
    pub timezone: Option<Str>,
}

/// `workflow_dispatch.inputs` / `workflow_call.inputs`, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub inputs: Vec<Input>,
}

impl Inputs {
    pub fn get(&self, name: &str) -> Option<&Input> {
        self.inputs
            .iter()
            .find(|i| i.name.value.eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: Str,
    pub description: Option<Str>,
    pub required: Option<Spanned<BoolOrExpr>>,
    /// `string`, `boolean`, `number`, `choice`, `environment` (dispatch); `string`, `boolean`, `number` (call).
    pub kind: Option<Str>,
    /// The default as written; it keeps its YAML type (booleans and numbers are common).
    pub default: Option<Node>,
    pub options: Vec<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkflowCall {
    pub inputs: Inputs,
    pub outputs: Vec<CallOutput>,
    pub secrets: Vec<CallSecret>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallOutput {
    pub name: Str,
    pub description: Option<Str>,
    pub value: Option<Str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallSecret {
    pub name: Str,
    pub description: Option<Str>,
    pub required: Option<Spanned<bool>>,
}

/// Gantry's `on: kafka`: which messages start the workflow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KafkaTrigger {
    pub span: Span,
    /// Topic names or globs; at least one.
    pub topics: Vec<Str>,
    /// A glob the message key must match; unset matches any key, including none.
    pub key: Option<Str>,
    /// Header name → glob its value must match; every listed header must be present.
    pub headers: Vec<(Str, Str)>,
    /// A topic the conclusion of each run of the workflow is published to (`gantry serve`).
    pub publish: Option<Str>,
}

/// Gantry's `on: webhook`: which named generic webhooks start the workflow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WebhookTrigger {
    pub span: Span,
    pub names: Vec<Str>,
}
