//! Post steps (`post:` of JavaScript actions, `post-entrypoint:` of container actions):
//! run after the job's steps, last registered first, with the state their main step saved.

use super::*;

impl<B: ContainerBackend> JobRunner<B> {
    /// Post steps, last registered first; they run unless the job was force-stopped.
    pub async fn run_posts(&mut self) {
        while let Some(post) = self.posts.pop() {
            if self.cx.signals.force.is_cancelled() {
                break;
            }
            let t0 = Instant::now();
            self.cx.reporter.report(RunEvent::StepStarted {
                job: self.key.clone(),
                step: post.label.clone(),
                name: post.name.clone(),
            });
            let r = self.run_post(&post).await;
            let (outcome, reason) = match r {
                Ok(r) => (r.outcome, r.reason),
                Err(e) => (Conclusion::Failure, Some(e.to_string())),
            };
            if outcome == Conclusion::Failure {
                self.root.failed = true;
            }
            let _ = post.main_failed;
            self.cx.reporter.report(RunEvent::StepFinished {
                job: self.key.clone(),
                step: post.label.clone(),
                name: post.name.clone(),
                outcome,
                conclusion: outcome,
                reason: reason.map(|r| self.cx.mask(&r)),
                duration_ms: millis(t0.elapsed()),
            });
        }
    }

    pub(super) async fn run_post(&mut self, post: &Post) -> Result<StepResult, EngineError> {
        let mut env: Vec<(String, String)> = post.env.clone().into_iter().collect();
        for (k, v) in &post.state {
            env.push((format!("STATE_{k}"), v.clone()));
        }
        for (k, v) in &post.inputs {
            env.push((actions::input_var(k), v.clone()));
        }
        match post.action.action.runs.as_ref().map(|r| &r.kind) {
            Some(RunsKind::Node(n)) => {
                let script = format!(
                    "{}/{}",
                    post.action.container_dir,
                    n.post.as_ref().map(|p| p.value.as_str()).unwrap_or("")
                );
                self.counter += 1;
                let tag = format!("{}", self.counter);
                let argv = vec!["node".into(), script];
                let (r, _) = self
                    .exec(&post.label, &tag, argv, WORKSPACE.into(), env, None)
                    .await?;
                Ok(r)
            }
            Some(RunsKind::Docker(d)) => {
                self.counter += 1;
                let entry = d.post_entrypoint.as_ref().map(|e| e.value.clone());
                self.container_step(
                    &post.label,
                    post.action.uses.clone(),
                    entry,
                    Vec::new(),
                    env,
                    None,
                )
                .await
            }
            _ => Ok(StepResult {
                outcome: Conclusion::Success,
                outputs: BTreeMap::new(),
                reason: None,
            }),
        }
    }
}
