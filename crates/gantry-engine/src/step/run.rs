//! The `run` executor: the script, evaluated, written to a file in the job's temp
//! directory and run by its shell in the job container.

use super::process::Command;
use super::{JobRunner, StepCall, StepResult};
use crate::backend::ContainerBackend;
use crate::env;
use crate::error::EngineError;
use crate::shell;

impl<B: ContainerBackend> JobRunner<B> {
    pub(super) async fn run(
        &self,
        call: &StepCall<'_>,
        script: &str,
        run_shell: Option<&str>,
    ) -> Result<StepResult, EngineError> {
        let text = env::eval_text(script, &call.host).map_err(EngineError::Expression)?;
        // `shell:` (or `defaults.run.shell`) may be an expression: `${{ env.MY_SHELL }}`.
        let run_shell = match run_shell {
            Some(s) if s.contains("${{") => {
                Some(env::eval_text(s, &call.host).map_err(EngineError::Expression)?)
            }
            other => other.map(str::to_string),
        };
        let run_shell = run_shell.as_deref();
        let (working_dir, env) = {
            let job = self.job_env();
            let wd = job.working_dir(call.plan, &call.host)?;
            (wd, job.process_env(&call.env, &call.files, &call.action_id))
        };
        let probe = shell::command(run_shell, "");
        let (host_path, path) = self
            .site
            .layout
            .temp_file(&format!("step-{}{}", call.tag, probe.extension));
        std::fs::write(&host_path, text).map_err(|e| EngineError::io("writing the script", e))?;
        self.site
            .layout
            .own(&host_path)
            .map_err(|e| EngineError::io("giving the script to the policy's user", e))?;
        let command = Command {
            argv: shell::command(run_shell, &path).argv,
            working_dir,
            env,
            timeout: call.timeout,
            stop: call.stop.clone(),
        };
        let (r, _) = self.exec(call.label, &call.tag, command).await?;
        Ok(r)
    }
}
