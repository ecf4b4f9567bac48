//! The event options `gantry plan` and `gantry run` share: which event, from a payload file
//! or from flags (a push read from git, a Kafka message, a webhook call, a dispatch).

use anyhow::{bail, Context, Result};
use clap::Args;
use gantry_load::git::{push_from_repo, GitError, PushQuery};
use gantry_plan::event::{self, Event, KafkaMessage, SyntheticPush, ZERO_SHA};
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct EventArgs {
    /// Event name: push, pull_request, workflow_dispatch, schedule, kafka, webhook, or any GitHub event.
    #[arg(short = 'e', long = "event", default_value = "push")]
    pub event: String,
    /// A JSON payload file for the event (GitHub's webhook payload, or Gantry's kafka/webhook shape).
    #[arg(long)]
    pub payload: Option<PathBuf>,
    /// The git repository a push (or dispatch) is read from. When it is left at `.` and
    /// that is no git repository, a push is a synthetic one of the working tree.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Ref of a push or dispatch (`main`, `refs/tags/v1`); default: the checked-out branch.
    #[arg(long = "ref")]
    pub git_ref: Option<String>,
    /// Commit of a push; default: the ref's commit.
    #[arg(long)]
    pub sha: Option<String>,
    /// Commit before a push; default: the parent of `--sha`.
    #[arg(long)]
    pub before: Option<String>,
    /// Kafka: topic of the message.
    #[arg(long)]
    pub topic: Option<String>,
    /// Kafka: key of the message.
    #[arg(long)]
    pub key: Option<String>,
    /// Kafka: a header `name=value` (repeatable).
    #[arg(long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// Kafka message value, or webhook body (text; JSON when it parses). `@FILE` reads a file.
    #[arg(long)]
    pub value: Option<String>,
    /// Webhook: the hook's name.
    #[arg(long)]
    pub hook: Option<String>,
    /// Activity type (`opened`, `completed`, ...) for events that have one.
    #[arg(long)]
    pub action: Option<String>,
    /// Schedule: the cron expression that fired.
    #[arg(long)]
    pub cron: Option<String>,
    /// A workflow_dispatch / workflow_call input `name=value` (repeatable).
    #[arg(long = "input", value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,
}

fn pair(s: &str, what: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => bail!("invalid {what} `{s}`: expected NAME=VALUE"),
    }
}

/// `main` as `refs/heads/main`; a full ref as it is.
fn full_ref(name: &str) -> String {
    if name.starts_with("refs/") {
        name.to_string()
    } else {
        format!("refs/heads/{name}")
    }
}

fn read_value(v: &str) -> Result<Vec<u8>> {
    match v.strip_prefix('@') {
        Some(path) => std::fs::read(path).with_context(|| format!("cannot read {path}")),
        None => Ok(v.as_bytes().to_vec()),
    }
}

impl EventArgs {
    /// Dispatch inputs given with `--input`, in order.
    pub fn input_pairs(&self) -> Result<Vec<(String, String)>> {
        self.inputs.iter().map(|s| pair(s, "--input")).collect()
    }

    /// Builds the event the options describe.
    pub fn build(&self) -> Result<Event> {
        if let Some(path) = &self.payload {
            return self.payload_event(path);
        }
        let mut ev = match self.event.as_str() {
            "push" => self.push_event()?,
            "kafka" => self.kafka_event()?,
            "webhook" => self.webhook_event()?,
            "workflow_dispatch" => self.dispatch_event()?,
            "schedule" => self.schedule_event(),
            name => {
                if gantry_core::model::events::lookup(name).is_none() {
                    return Err(event::EventError::UnknownEvent {
                        name: name.to_string(),
                    }
                    .into());
                }
                bail!("event `{name}` needs --payload FILE with its JSON payload")
            }
        };
        if let Some(a) = &self.action {
            ev.meta.action = Some(a.clone());
        }
        Ok(ev)
    }

    /// The event from a JSON payload file (`--payload`), with `--action` and `--input`.
    fn payload_event(&self, path: &std::path::Path) -> Result<Event> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the payload file {}", path.display()))?;
        let value = event::parse_payload(&format!("payload file {}", path.display()), &text)?;
        let mut ev = event::from_payload(&self.event, value)?;
        if let Some(a) = &self.action {
            ev.meta.action = Some(a.clone());
        }
        if self.event == "workflow_dispatch" {
            // --input adds to (and overrides) the inputs of the payload file.
            ev.meta.inputs.extend(self.input_pairs()?);
        }
        Ok(ev)
    }

    /// A push read from the repository or, when `--repo` is left at `.` and git says that
    /// is no repository, a synthetic push of the working tree (as act does).
    fn push_event(&self) -> Result<Event> {
        let q = PushQuery {
            git_ref: self.git_ref.clone(),
            sha: self.sha.clone(),
            before: self.before.clone(),
        };
        match push_from_repo(&self.repo, &q) {
            Ok(spec) => Ok(spec.into_event()),
            Err(GitError::NotARepo { .. }) if self.repo.as_os_str() == "." => self.synthetic_push(),
            Err(e) => Err(e.into()),
        }
    }

    /// The push of a working tree without git: repository `local/<directory name>`, ref
    /// `--ref` (default `refs/heads/main`), sha `--sha` (default the zero sha, clearly no
    /// commit), changed files unknown.
    fn synthetic_push(&self) -> Result<Event> {
        let dir = std::fs::canonicalize(&self.repo)
            .with_context(|| format!("cannot read the directory {}", self.repo.display()))?;
        if self.before.is_some() {
            bail!(
                "--before needs a git repository, and {} is not one",
                dir.display()
            )
        }
        let sha = match &self.sha {
            Some(s) if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) => s.clone(),
            Some(s) => bail!(
                "--sha `{s}`: without a git repository a commit must be given as 40 hex digits"
            ),
            None => ZERO_SHA.to_string(),
        };
        let name = dir
            .file_name()
            .map_or_else(|| "repository".into(), |n| n.to_string_lossy().into_owned());
        Ok(event::synthetic_push(SyntheticPush {
            repository: format!("local/{name}"),
            git_ref: full_ref(self.git_ref.as_deref().unwrap_or("main")),
            sha,
        }))
    }

    fn kafka_event(&self) -> Result<Event> {
        let Some(topic) = &self.topic else {
            bail!("a kafka event needs --topic (or --payload FILE)")
        };
        let headers = self
            .headers
            .iter()
            .map(|h| pair(h, "--header").map(|(k, v)| (k, Some(v.into_bytes()))))
            .collect::<Result<Vec<_>>>()?;
        Ok(KafkaMessage {
            topic: topic.clone(),
            key: self.key.as_ref().map(|k| k.as_bytes().to_vec()),
            headers,
            value: self.value.as_deref().map(read_value).transpose()?,
            timestamp: None,
            leader_epoch: None,
            ..KafkaMessage::default()
        }
        .into_event())
    }

    fn webhook_event(&self) -> Result<Event> {
        let Some(hook) = &self.hook else {
            bail!("a webhook event needs --hook NAME (or --payload FILE)")
        };
        let headers = self
            .headers
            .iter()
            .map(|h| pair(h, "--header"))
            .collect::<Result<Vec<_>>>()?;
        let body = self
            .value
            .as_deref()
            .map(read_value)
            .transpose()?
            .unwrap_or_default();
        Ok(event::webhook_call(hook, &headers, &body))
    }

    /// A dispatch on the repository's ref, or on `--ref` when there is no repository.
    fn dispatch_event(&self) -> Result<Event> {
        let q = PushQuery {
            git_ref: self.git_ref.clone(),
            sha: self.sha.clone(),
            before: None,
        };
        let (git_ref, sha) = match push_from_repo(&self.repo, &q) {
            Ok(p) => (p.git_ref, Some(p.after)),
            Err(_) if self.git_ref.is_some() || self.repo.as_os_str() == "." => (
                full_ref(self.git_ref.as_deref().unwrap_or("main")),
                self.sha.clone(),
            ),
            Err(e) => return Err(e.into()),
        };
        Ok(event::dispatch(
            &git_ref,
            sha.as_deref(),
            self.input_pairs()?,
        ))
    }

    fn schedule_event(&self) -> Event {
        let git_ref = self
            .git_ref
            .clone()
            .unwrap_or_else(|| "refs/heads/main".into());
        match &self.cron {
            Some(c) => event::schedule(c, &git_ref),
            None => {
                let mut e = event::schedule("", &git_ref);
                e.meta.schedule = None;
                e
            }
        }
    }
}
