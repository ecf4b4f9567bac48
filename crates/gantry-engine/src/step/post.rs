//! Post steps (`post:` of JavaScript actions, `post-entrypoint:` of container actions):
//! run after the job's steps, last registered first, with the state their main step saved.

use super::process::{Command, StepContainer};
use super::{JobRunner, StepResult};
use crate::backend::ContainerBackend;
use crate::env::EnvMap;
use crate::error::EngineError;
use crate::layout::WORKSPACE;
use crate::loaded_action::input_var;
use crate::report::{millis, Conclusion, RunEvent};
use std::time::Instant;

/// What a post step runs.
pub enum PostRun {
    /// `<node> <script>` in the job container, with the node its main step ran with.
    Node { node: String, script: String },
    /// The action's image with its `post-entrypoint`.
    Container {
        image: String,
        entrypoint: Option<String>,
    },
}

/// A post step registered by its main step.
pub struct Post {
    pub label: String,
    pub name: String,
    pub run: PostRun,
    pub inputs: Vec<(String, String)>,
    /// `STATE_*` from `GITHUB_STATE` and `::save-state`.
    pub state: Vec<(String, String)>,
    /// The main step's process environment.
    pub env: EnvMap,
    /// `runs.post-if` (GitHub's default: `always()`).
    pub condition: Option<String>,
}

impl<B: ContainerBackend> JobRunner<B> {
    /// Post steps, last registered first; they run unless the job was force-stopped.
    pub async fn run_posts(&mut self) {
        loop {
            let Some(post) = self.progress().posts.pop() else {
                break;
            };
            if self.cx.signals.force.is_cancelled() {
                break;
            }
            let t0 = Instant::now();
            if !self.post_runs(&post) {
                self.report_post(&post, t0, Conclusion::Skipped, None);
                continue;
            }
            self.started(&post.label, &post.name);
            let (outcome, reason) = match self.run_post(&post).await {
                Ok(r) => (r.outcome, r.reason),
                Err(e) => (Conclusion::Failure, Some(e.to_string())),
            };
            if outcome == Conclusion::Failure {
                self.progress().root.failed = true;
            }
            self.report_post(&post, t0, outcome, reason);
        }
    }

    /// Whether a post step runs: its action's `post-if` (default `always()`), with the job's
    /// status after its steps.
    fn post_runs(&self, post: &Post) -> bool {
        let condition = ("post-if", post.condition.as_deref());
        self.action_condition(condition, &self.root_host(), &post.label)
    }

    fn report_post(&self, post: &Post, t0: Instant, outcome: Conclusion, reason: Option<String>) {
        self.cx.reporter.report(RunEvent::StepFinished {
            job: self.site.key.clone(),
            step: post.label.clone(),
            name: post.name.clone(),
            outcome,
            conclusion: outcome,
            reason: reason.map(|r| self.cx.mask(&r)),
            duration_ms: millis(t0.elapsed()),
        });
    }

    async fn run_post(&self, post: &Post) -> Result<StepResult, EngineError> {
        let mut env: Vec<(String, String)> = post.env.clone().into_iter().collect();
        for (k, v) in &post.state {
            env.push((format!("STATE_{k}"), v.clone()));
        }
        for (k, v) in &post.inputs {
            env.push((input_var(k), v.clone()));
        }
        let tag = self.next_tag();
        match &post.run {
            PostRun::Node { node, script } => {
                let command = Command {
                    argv: vec![node.clone(), script.clone()],
                    working_dir: WORKSPACE.into(),
                    env,
                    timeout: None,
                    stop: self.stop_token(),
                };
                let (r, _) = self.exec(&post.label, &tag, command).await?;
                Ok(r)
            }
            PostRun::Container { image, entrypoint } => {
                let step = StepContainer {
                    image: image.clone(),
                    entrypoint: entrypoint.clone(),
                    args: Vec::new(),
                    env,
                    timeout: None,
                    stop: self.stop_token(),
                    tag,
                };
                self.container_step(&post.label, step).await
            }
        }
    }
}
