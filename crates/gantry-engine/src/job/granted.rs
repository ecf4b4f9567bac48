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

/// What a job was granted: the variables for its actions and, when the git server serves
/// it, the job's `~/.gitconfig`.
pub struct Opened {
    pub action_env: Vec<(String, String)>,
    pub git_config: Option<String>,
    pub _guard: Granted,
}

/// Opens the job's grant: sets the `github` API URLs in `host`, masks its tokens.
pub fn open<B: ContainerBackend>(cx: &RunCtx<B>, jp: &JobPlan, host: &mut RunHost) -> Opened {
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
        ("api_url", &grant.api_url),
        ("graphql_url", &grant.graphql_url),
    ] {
        if let Some(v) = value {
            github.insert(key.into(), Value::str(v));
        }
    }
    host.set("github", Value::object(github));
    let guard = Granted {
        services: cx.services.clone(),
        id,
    };
    let git_config = grant.git.as_ref().map(|g| git_config(g, &guard.id.token));
    Opened {
        action_env: grant.action_env,
        git_config,
        _guard: guard,
    }
}

/// The job's `~/.gitconfig` (HOME is the job's own directory on tmpfs): fetches of each
/// served repository's GitHub URL go to Gantry's git server, with the job's token (in the
/// URL, since checkout's own credentials are configured for `https://github.com`).
pub fn git_config(git: &crate::services::GitAccess, token: &str) -> String {
    let (scheme, rest) = git
        .base_url
        .split_once("://")
        .unwrap_or(("http", git.base_url.as_str()));
    let token: String = token
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut out = String::new();
    for repo in &git.repositories {
        out.push_str(&format!(
            "[url \"{scheme}://x-access-token:{token}@{rest}/{repo}\"]\n\tinsteadOf = https://github.com/{repo}\n"
        ));
    }
    out
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
        // The run and its attempt (a run again gets artifact names of its own).
        run_id: crate::services::run_attempt_key(&text("run_id"), text("run_attempt")),
        job_key: jp.key.clone(),
        repository: text("repository"),
        git_ref: text("ref"),
        sha: text("sha"),
        default_branch,
        base_ref,
        token: text("token"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn git_config_sends_served_repositories_to_the_server() {
        let git = crate::services::GitAccess {
            base_url: "http://172.18.0.1:4100".into(),
            repositories: vec!["octo/app".into(), "octo/other".into()],
        };
        let text = super::git_config(&git, "tok/en");
        assert_eq!(
            text,
            "[url \"http://x-access-token:tok%2Fen@172.18.0.1:4100/octo/app\"]\n\tinsteadOf = https://github.com/octo/app\n\
             [url \"http://x-access-token:tok%2Fen@172.18.0.1:4100/octo/other\"]\n\tinsteadOf = https://github.com/octo/other\n"
        );
    }
}
