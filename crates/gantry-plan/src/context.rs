//! The contexts known when planning: `github` from the event (without what only a run
//! knows: run id, job, workspace paths), typed `inputs`, `vars`, and per matrix leg
//! `matrix` and `strategy`. Anything else (steps, needs, secrets, env values computed at run
//! time) is absent, so an expression that needs it is decided "at run time".

use crate::event::Event;
use gantry_core::expr::{Host, JobStatus, Object, Value};
use std::collections::HashMap;

/// `github` as a plan sees it.
pub fn github_context(ev: &Event, workflow: &str, workflow_file: &str) -> Value {
    let mut g = Object::new();
    let s = |v: &str| Value::str(v);
    g.insert("event".into(), Value::from_json(&ev.payload));
    g.insert("event_name".into(), s(&ev.name));
    if let Some(r) = &ev.meta.git_ref {
        g.insert("ref".into(), s(r));
        g.insert("ref_name".into(), s(ev.ref_name().unwrap_or(r)));
        g.insert(
            "ref_type".into(),
            s(if ev.is_tag() { "tag" } else { "branch" }),
        );
    }
    if let Some(sha) = &ev.meta.sha {
        g.insert("sha".into(), s(sha));
    }
    let repo = ev
        .meta
        .repository
        .clone()
        .unwrap_or_else(|| "local/repository".into());
    let owner = repo.split('/').next().unwrap_or_default().to_string();
    g.insert("repository".into(), s(&repo));
    g.insert("repository_owner".into(), s(&owner));
    let actor = ev.meta.actor.clone().unwrap_or_else(|| "gantry".into());
    g.insert("actor".into(), s(&actor));
    g.insert("triggering_actor".into(), s(&actor));
    g.insert(
        "base_ref".into(),
        s(ev.meta.base_ref.as_deref().unwrap_or("")),
    );
    g.insert(
        "head_ref".into(),
        s(ev.meta.head_ref.as_deref().unwrap_or("")),
    );
    g.insert("workflow".into(), s(workflow));
    g.insert(
        "workflow_ref".into(),
        s(&format!(
            "{repo}/{workflow_file}@{}",
            ev.meta.git_ref.as_deref().unwrap_or("")
        )),
    );
    g.insert("server_url".into(), s("https://github.com"));
    g.insert("api_url".into(), s("https://api.github.com"));
    g.insert("graphql_url".into(), s("https://api.github.com/graphql"));
    g.insert("retention_days".into(), Value::Number(90.0));
    Value::object(g)
}

/// Plan-time contexts for expressions; see the module comment for what is left out.
#[derive(Clone, Debug, Default)]
pub struct PlanHost {
    pub contexts: HashMap<&'static str, Value>,
    pub status: JobStatus,
}

impl PlanHost {
    pub fn with(&self, name: &'static str, v: Value) -> PlanHost {
        let mut h = self.clone();
        h.contexts.insert(name, v);
        h
    }
}

impl Host for PlanHost {
    fn context(&self, name: &str) -> Option<Value> {
        self.contexts.get(name).cloned()
    }
    fn job_status(&self) -> JobStatus {
        self.status
    }
}
