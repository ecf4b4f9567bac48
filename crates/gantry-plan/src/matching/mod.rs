//! Trigger matching: does this event start this workflow, and why (not)? GitHub's semantics
//! for ref, tag and path filters, activity types and defaults; Gantry's Kafka topic, key and
//! header filters and webhook names. Every decision carries a reason that points into the file.

mod filters;
mod patterns;

#[cfg(test)]
mod tests;

pub use patterns::glob_matches;

use crate::event::Event;
use gantry_core::model::{Trigger, TriggerConfig, Workflow};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchResult {
    pub matched: bool,
    pub reasons: Vec<String>,
}

impl MatchResult {
    fn yes(reason: String) -> MatchResult {
        MatchResult {
            matched: true,
            reasons: vec![reason],
        }
    }
    fn no(reason: String) -> MatchResult {
        MatchResult {
            matched: false,
            reasons: vec![reason],
        }
    }
}

/// Decides whether `ev` starts `wf` (read from `file`, used in reasons).
pub fn match_workflow(wf: &Workflow, file: &str, ev: &Event) -> MatchResult {
    let Some(on) = &wf.on else {
        return MatchResult::no("the workflow has no `on:` section".into());
    };
    let Some(trigger) = on.value.get(&ev.name) else {
        let names: Vec<&str> = on
            .value
            .events
            .iter()
            .map(|t| t.event.value.as_str())
            .collect();
        return MatchResult::no(format!(
            "the workflow does not listen to `{}` (on: {})",
            ev.name,
            names.join(", ")
        ));
    };
    match_trigger(trigger, file, ev)
}

fn match_trigger(t: &Trigger, file: &str, ev: &Event) -> MatchResult {
    let here = patterns::at(file, &t.event);
    match &t.config {
        TriggerConfig::Any => match default_types(&ev.name) {
            Some(types) if ev.meta.action.as_deref().is_some_and(|a| !types.contains(&a)) => MatchResult::no(format!(
                "`{}` activity `{}` is not one of the default types ({}) of `{}` at {here}",
                ev.name,
                ev.meta.action.as_deref().unwrap_or_default(),
                types.join(", "),
                ev.name
            )),
            _ => MatchResult::yes(format!("`{}` at {here} has no filters", ev.name)),
        },
        TriggerConfig::Filters(f) => filters::match_filters(f, &t.event.value, file, ev),
        TriggerConfig::Schedule(crons) => {
            let fired = ev.meta.schedule.as_deref();
            match fired {
                None => MatchResult::yes(format!("`schedule` at {here}")),
                Some(c) => match crons.iter().find(|s| s.cron.value.split_whitespace().eq(c.split_whitespace())) {
                    Some(s) => MatchResult::yes(format!("cron `{c}` at {}", patterns::at(file, &s.cron))),
                    None => MatchResult::no(format!("cron `{c}` is not one of this workflow's schedules at {here}")),
                },
            }
        }
        TriggerConfig::Dispatch(_) => MatchResult::yes(format!("`workflow_dispatch` at {here}")),
        TriggerConfig::Call(_) => MatchResult::no(format!(
            "`workflow_call` at {here}: a reusable workflow runs only when another workflow calls it"
        )),
        TriggerConfig::Kafka(k) => filters::match_kafka(k, file, ev),
        TriggerConfig::Webhook(w) => filters::match_webhook(w, file, ev),
    }
}

/// GitHub's default activity types for events whose default is not "all types".
pub(crate) fn default_types(event: &str) -> Option<&'static [&'static str]> {
    match event {
        "pull_request" | "pull_request_target" => Some(&["opened", "synchronize", "reopened"]),
        _ => None,
    }
}
