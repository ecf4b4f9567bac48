//! The `container_action` executor (`runs.using: docker`): the action's image, pulled or
//! built from its Dockerfile, run with its `pre-entrypoint`, then its entrypoint;
//! `post-entrypoint` is queued as a post step.

use super::{with_value, words, ActionCall};
use crate::backend::{output_channel, ContainerBackend};
use crate::env::{self, EnvMap};
use crate::error::EngineError;
use crate::loaded_action::{dockerfile_image, ensure_image, LoadedAction};
use crate::output;
use crate::report::Conclusion;
use crate::step::post::{Post, PostRun};
use crate::step::process::StepContainer;
use crate::step::{JobRunner, StepCall, StepResult};
use gantry_plan::{ActionRuns, DockerRuns};

impl<B: ContainerBackend> JobRunner<B> {
    pub(in crate::step) async fn container_action(
        &self,
        call: &StepCall<'_>,
        a: ActionCall,
    ) -> Result<StepResult, EngineError> {
        let plan = a.la.plan.clone();
        let ActionRuns::Docker(d) = &plan.runs else {
            return Err(not_docker(&a.la));
        };
        let image = self.action_image(call, &a.la, &d.image).await?;
        let mut penv = a.penv.clone();
        let (entrypoint, args) = entrypoint_and_args(call, d, &a, &mut penv)?;
        if let Some(pre) = &d.pre_entrypoint {
            let step = StepContainer {
                image: image.clone(),
                entrypoint: Some(pre.clone()),
                args: Vec::new(),
                env: penv.clone(),
                timeout: call.timeout,
                stop: call.stop.clone(),
                tag: call.tag.clone(),
            };
            let r = self.container_step(call.label, step).await?;
            if r.outcome != Conclusion::Success {
                return Ok(r);
            }
        }
        let step = StepContainer {
            image: image.clone(),
            entrypoint,
            args,
            env: penv.clone(),
            timeout: call.timeout,
            stop: call.stop.clone(),
            tag: call.tag.clone(),
        };
        let r = self.container_step(call.label, step).await?;
        if let Some(post) = &d.post_entrypoint {
            self.progress().posts.push(Post {
                label: format!("post {}", call.label),
                name: format!("Post {}", call.name),
                run: PostRun::Container {
                    image,
                    entrypoint: Some(post.clone()),
                },
                inputs: a.inputs,
                state: Vec::new(),
                env: penv.into_iter().collect(),
                condition: d.post_if.clone(),
            });
        }
        Ok(r)
    }

    /// The action's image: `docker://` pulled when missing, else built from its
    /// Dockerfile (the build's log is the step's).
    async fn action_image(
        &self,
        call: &StepCall<'_>,
        la: &LoadedAction,
        image: &str,
    ) -> Result<String, EngineError> {
        let (out_tx, out_rx) = output_channel();
        let build_log = output::spawn(self.output_cx(call.label, &[]), out_rx);
        match image.strip_prefix("docker://") {
            Some(img) => {
                let r = ensure_image(&self.cx, img, None).await;
                drop(out_tx);
                let _ = build_log.await;
                r.map_err(|e| EngineError::Action {
                    uses: la.uses.clone(),
                    message: format!("{}: {e}", la.plan.file),
                })?;
                Ok(img.to_string())
            }
            None => {
                let r = dockerfile_image(&self.cx, la, image, out_tx).await;
                let _ = build_log.await;
                r
            }
        }
    }
}

/// `with.entrypoint`/`with.args` over the action's own, evaluated with its inputs; the
/// action's `env:` added to the process environment (which keeps the image's `PATH`).
fn entrypoint_and_args(
    call: &StepCall<'_>,
    d: &DockerRuns,
    a: &ActionCall,
    penv: &mut Vec<(String, String)>,
) -> Result<(Option<String>, Vec<String>), EngineError> {
    let with = &call.plan.exec.with;
    let eval = |text: &str| env::eval_text(text, &a.host).map_err(EngineError::Expression);
    let args = match with_value(with, "args") {
        Some(v) => words(&eval(v)?),
        None => d.args.iter().map(|v| eval(v)).collect::<Result<_, _>>()?,
    };
    let entrypoint = match with_value(with, "entrypoint") {
        Some(e) => Some(eval(e)?),
        None => d.entrypoint.clone(),
    };
    let mut aenv = EnvMap::new();
    env::apply(&mut aenv, &d.env, &a.host).map_err(EngineError::Expression)?;
    penv.extend(aenv);
    penv.retain(|(k, _)| k != "PATH");
    Ok((entrypoint, args))
}

fn not_docker(la: &LoadedAction) -> EngineError {
    EngineError::Action {
        uses: la.uses.clone(),
        message: format!("{}: not a container action", la.plan.file),
    }
}
