//! The `docker_image` executor (`uses: docker://image`): the image run as the step, with
//! `with.args`/`with.entrypoint` given to it and every other `with:` key as an `INPUT_`
//! variable.

use super::action::{with_value, words};
use super::process::StepContainer;
use super::{JobRunner, StepCall, StepResult};
use crate::backend::ContainerBackend;
use crate::env;
use crate::error::EngineError;
use crate::loaded_action::{ensure_image, input_var};

impl<B: ContainerBackend> JobRunner<B> {
    pub(super) async fn docker_image(
        &self,
        call: &StepCall<'_>,
        image: &str,
    ) -> Result<StepResult, EngineError> {
        let with = &call.plan.exec.with;
        let eval = |text: &str| env::eval_text(text, &call.host).map_err(EngineError::Expression);
        let args = match with_value(with, "args") {
            Some(a) => words(&eval(a)?),
            None => Vec::new(),
        };
        let entrypoint = with_value(with, "entrypoint").map(eval).transpose()?;
        ensure_image(&self.cx, image, None)
            .await
            .map_err(|e| EngineError::Action {
                uses: call.uses().to_string(),
                message: e.to_string(),
            })?;
        let mut penv = self
            .job_env()
            .process_env(&call.env, &call.files, &call.action_id);
        penv.retain(|(k, _)| k != "PATH");
        for (k, v) in with {
            if k != "args" && k != "entrypoint" {
                penv.push((input_var(k), eval(v)?));
            }
        }
        let step = StepContainer {
            image: image.to_string(),
            entrypoint,
            args,
            env: penv,
            timeout: call.timeout,
            stop: call.stop.clone(),
            tag: call.tag.clone(),
        };
        self.container_step(call.label, step).await
    }
}
