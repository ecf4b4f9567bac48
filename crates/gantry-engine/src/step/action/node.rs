//! The `node` executor (`runs.using: node20`/`node24`): the action's `main` script under
//! `node` in the job container; `post:` is queued as a post step with the state the main
//! script saved.

use super::ActionCall;
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
        let argv = vec![
            "sh".into(),
            "-c".into(),
            "command -v node >/dev/null 2>&1 || { echo \"node is not installed in the job image; JavaScript actions need it\" >&2; exit 127; }; exec node \"$0\"".into(),
            format!("{}/{}", a.la.container_dir, main),
        ];
        let command = Command {
            argv,
            working_dir: WORKSPACE.to_string(),
            env: a.penv.clone(),
            timeout: call.timeout,
            stop: call.stop.clone(),
        };
        let (r, effects) = self.exec(call.label, &call.tag, command).await?;
        let mut state = effects.state.clone();
        if let Ok(text) = call.files.read("GITHUB_STATE") {
            state.extend(parse_key_values(&text).unwrap_or_default());
        }
        if let Some(post) = &n.post {
            self.progress().posts.push(Post {
                label: format!("post {}", call.label),
                name: format!("Post {}", call.name),
                run: PostRun::Node {
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
