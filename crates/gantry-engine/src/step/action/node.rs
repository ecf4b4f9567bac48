//! The `node` executor (`runs.using: node20`/`node24`): the action's `main` script under
//! the declared runtime's `node` in the job container, started directly with its
//! environment (no shell: `sh` drops variables whose names hold `-`, such as
//! `INPUT_GITHUB-TOKEN`); `post:` is queued as a post step with the state the main script
//! saved.

use super::{runtime, ActionCall};
use crate::backend::ContainerBackend;
use crate::error::EngineError;
use crate::layout::WORKSPACE;
use crate::protocol::file_commands::parse_key_values;
use crate::step::post::{Post, PostRun};
use crate::step::process::Command;
use crate::step::{JobRunner, StepCall, StepResult};
use gantry_plan::ActionRuns;

impl<B: ContainerBackend> JobRunner<B> {
    pub(in crate::step) async fn node(
        &self,
        call: &StepCall<'_>,
        a: ActionCall,
    ) -> Result<StepResult, EngineError> {
        let plan = a.la.plan.clone();
        let err = |message: String| EngineError::Action {
            uses: a.la.uses.clone(),
            message,
        };
        let ActionRuns::Node(n) = &plan.runs else {
            return Err(err(format!("{}: not a JavaScript action", plan.file)));
        };
        let main = n
            .main
            .clone()
            .ok_or_else(|| err(format!("{}: `runs.main` is missing", plan.file)))?;
        let node = runtime::node_binary(&n.using, self.cx.cfg.externals.as_deref()).map_err(err)?;
        let argv = vec![node.clone(), format!("{}/{}", a.la.container_dir, main)];
        // What its pre step saved, as `STATE_*` (GitHub gives it to main and post).
        let pre_state = self.progress().pre_state.get(call.label).cloned();
        let pre_state = pre_state.unwrap_or_default();
        let mut env = a.penv.clone();
        for (k, v) in &pre_state {
            env.push((format!("STATE_{k}"), v.clone()));
        }
        let command = Command {
            argv,
            working_dir: WORKSPACE.to_string(),
            env,
            timeout: call.timeout,
            stop: call.stop.clone(),
        };
        let (r, effects) = self.exec(call.label, &call.tag, command).await?;
        let mut state = pre_state;
        state.extend(effects.state.iter().cloned());
        if let Ok(text) = call.files.read("GITHUB_STATE") {
            state.extend(parse_key_values(&text).unwrap_or_default());
        }
        if let Some(post) = &n.post {
            self.progress().posts.push(Post {
                label: format!("post {}", call.label),
                name: format!("Post {}", call.name),
                run: PostRun::Node {
                    node,
                    script: format!("{}/{}", a.la.container_dir, post),
                },
                inputs: a.inputs,
                state,
                env: a.penv.into_iter().collect(),
                condition: n.post_if.clone(),
            });
        }
        Ok(r)
    }
}
