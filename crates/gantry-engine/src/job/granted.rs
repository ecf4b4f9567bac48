//! A job's access to the host's services ([`crate::JobServices`]): granted when its
//! container is about to start, with `github.server_url` pointing at Gantry's git server and
//! the runtime variables actions need; withdrawn when the job ends, whatever happened.

use crate::backend::ContainerBackend;
use crate::context::RunCtx;
use crate::host::RunHost;
use crate::services::{JobIdentity, JobServices};
use gantry_core::expr::{Host, Object, Value};
use gantry_plan::JobPlan;
use std::sync::Arc;

/// Withdraws the grant when dropped.
pub struct Granted {
    services: Arc<dyn JobServices>,
    id: JobIdentity,
}

impl Drop for Granted {
    fn drop(&mut self) {
        self.services.close(&self.id);
    }
}

/// Opens the job's grant: sets the `github` URLs in `host`, masks its tokens, and returns
/// the variables for the job's actions.
pub fn open<B: ContainerBackend>(
    cx: &RunCtx<B>,
    jp: &JobPlan,
    host: &mut RunHost,
) -> (Vec<(String, String)>, Granted) {
    let github = match Host::context(host, "github") {
        Some(Value::Object(g)) => (*g).clone(),
        _ => Object::new(),
    };
    let id = identity(cx, jp, &github);
    let grant = cx.services.open(&id);
    if let Ok(mut m) = cx.masker.write() {
        for s in &grant.secrets {
            m.add(s);
        }
    }
    let mut github = github;
    for (key, value) in [
        ("server_url", &grant.server_url),
        ("api_url", &grant.api_url),
        ("graphql_url", &grant.graphql_url),
    ] {
        if let Some(v) = value {
            github.insert(key.into(), Value::str(v));
        }
    }
    host.set("github", Value::object(github));
    let granted = Granted {
        services: cx.services.clone(),
        id,
    };
    (grant.action_env, granted)
}

fn identity<B: ContainerBackend>(cx: &RunCtx<B>, jp: &JobPlan, github: &Object) -> JobIdentity {
    let text = |k: &str| github.get(k).map(|v| v.to_text()).unwrap_or_default();
    let base_ref = Some(text("base_ref")).filter(|b| !b.is_empty());
    let default_branch = cx
        .event
        .payload
        .pointer("/repository/default_branch")
        .and_then(|b| b.as_str())
        .map(str::to_string);
    JobIdentity {
        run_id: cx.run_id.clone(),
        job_key: jp.key.clone(),
        repository: text("repository"),
        git_ref: text("ref"),
        sha: text("sha"),
        default_branch,
        base_ref,
        token: text("token"),
    }
}
