//! Running a step's process: a command in the job container (`exec`) or a container of
//! its own (container actions), with its output handled as it comes, a timeout, and
//! cancellation — TERM, then KILL after the grace period. A container step joins the job
//! container's network stack (`container:<id>`): it sees the job's network, services by
//! name included, without the cost of a network endpoint of its own (about 150 ms per
//! container here).

use super::{JobRunner, StepResult, Stopped, GRACE};
use crate::backend::{
    discard_output, output_channel, BackendError, ContainerBackend, ContainerSpec, ExecSpec,
};
use crate::error::EngineError;
use crate::layout::WORKSPACE;
use crate::output::{self, CommandEffects, OutputCx};
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A command to run in the job container.
pub struct Command {
    pub argv: Vec<String>,
    pub working_dir: String,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub stop: CancellationToken,
}

/// A container to run as a step (`docker://` images, container actions).
pub struct StepContainer {
    pub image: String,
    /// One program (GitHub does not split an entrypoint given as one string).
    pub entrypoint: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub stop: CancellationToken,
    /// The step's tag (names the container).
    pub tag: String,
}

impl<B: ContainerBackend> JobRunner<B> {
    /// How a step's output is read; `env` is the step's (for `ACTIONS_ALLOW_UNSECURE_COMMANDS`).
    pub(super) fn output_cx(&self, label: &str, env: &[(String, String)]) -> OutputCx {
        let unsecure_commands = env
            .iter()
            .any(|(k, v)| k == "ACTIONS_ALLOW_UNSECURE_COMMANDS" && v.eq_ignore_ascii_case("true"));
        OutputCx {
            unsecure_commands,
            reporter: self.cx.reporter.clone(),
            masker: self.cx.masker.clone(),
            job: self.site.key.clone(),
            step: label.to_string(),
            debug: self
                .cx
                .cfg
                .vars
                .get("ACTIONS_STEP_DEBUG")
                .is_some_and(|v| v.to_text() == "true"),
        }
    }

    /// The token that stops a post step: the job's, or, for one that starts after
    /// cancellation, only a second Ctrl-C.
    pub(super) fn stop_token(&self) -> CancellationToken {
        if self.token.is_cancelled() {
            self.cx.signals.force.clone()
        } else {
            self.token.clone()
        }
    }

    /// Runs a command in the job container with output handling, timeout and cancellation.
    pub(super) async fn exec(
        &self,
        label: &str,
        tag: &str,
        command: Command,
    ) -> Result<(StepResult, CommandEffects), EngineError> {
        // The command is started as it is, with its environment (a shell in between would
        // drop variables whose names hold `-`, such as `INPUT_GITHUB-TOKEN`); a marker in
        // its environment, which its children inherit, finds it again to stop it.
        let mut env = command.env;
        env.push((STEP_MARKER.to_string(), tag.to_string()));
        let (tx, rx) = output_channel();
        let out = output::spawn(self.output_cx(label, &env), rx);
        let spec = ExecSpec {
            cmd: command.argv,
            env,
            working_dir: Some(command.working_dir),
            user: self.cx.cfg.policy.user.clone(),
        };
        let backend = self.cx.backend.clone();
        let container = self.site.container.clone();
        let mut fut = Box::pin(async move { backend.exec(&container, &spec, tx).await });
        let stopped = self
            .wait_or_stop(&mut fut, (command.timeout, &command.stop), tag)
            .await;
        drop(fut);
        let effects = out.await.unwrap_or_default();
        let mut result = stopped.into_result()?;
        self.explain_failure(&mut result).await;
        self.absorb(&effects, &mut result);
        Ok((result, effects))
    }

    /// Waits for `fut`; on timeout or cancellation signals the step's processes (TERM,
    /// then KILL after the grace period) and stops waiting if it still does not end.
    async fn wait_or_stop<F>(
        &self,
        fut: &mut F,
        (timeout, stop): (Option<Duration>, &CancellationToken),
        tag: &str,
    ) -> Stopped
    where
        F: Future<Output = Result<i64, BackendError>> + Unpin,
    {
        let why = match first_of(fut, timeout, stop).await {
            Ok(finished) => return finished,
            Err(why) => why,
        };
        for signal in ["TERM", "KILL"] {
            self.signal(tag, signal).await;
            let grace = if signal == "TERM" {
                GRACE
            } else {
                Duration::from_secs(2)
            };
            if tokio::time::timeout(grace, &mut *fut).await.is_ok() {
                return why;
            }
            if self.cx.signals.force.is_cancelled() {
                break;
            }
        }
        why
    }

    /// Signals every process of the step: those whose environment holds its marker.
    async fn signal(&self, tag: &str, signal: &str) {
        let spec = ExecSpec {
            cmd: vec!["sh".into(), "-c".into(), signal_script(tag, signal)],
            ..Default::default()
        };
        let _ = self
            .cx
            .backend
            .exec(&self.site.container, &spec, discard_output())
            .await;
    }

    /// A container step: `docker run` of the image with the job's mounts; removed in the
    /// background once it ends.
    pub(super) async fn container_step(
        &self,
        label: &str,
        step: StepContainer,
    ) -> Result<StepResult, EngineError> {
        let timeout = step.timeout;
        let stop = step.stop.clone();
        let (tx, rx) = output_channel();
        let out = output::spawn(self.output_cx(label, &step.env), rx);
        let spec = self.step_container_spec(step);
        let id = match self.cx.backend.create_container(&spec).await {
            Ok(id) => id,
            Err(e) => {
                drop(tx);
                let _ = out.await;
                return Err(e.into());
            }
        };
        let backend = self.cx.backend.clone();
        let cid = id.clone();
        let mut fut = Box::pin(async move { backend.run_container(&cid, tx).await });
        let stopped = match first_of(&mut fut, timeout, &stop).await {
            Ok(finished) => finished,
            Err(why) => {
                self.kill(&id, &mut fut).await;
                why
            }
        };
        drop(fut);
        let backend = self.cx.backend.clone();
        super::lock(&self.chores)
            .removals
            .push(tokio::spawn(async move {
                let _ = backend.remove_container(&id).await;
            }));
        let effects = out.await.unwrap_or_default();
        let mut result = stopped.into_result()?;
        self.absorb(&effects, &mut result);
        Ok(result)
    }

    /// SIGTERM, then SIGKILL after the grace period, to a step's container.
    async fn kill<F>(&self, id: &str, fut: &mut F)
    where
        F: Future<Output = Result<i64, BackendError>> + Unpin,
    {
        let _ = self.cx.backend.kill_container(id, "SIGTERM").await;
        if tokio::time::timeout(GRACE, &mut *fut).await.is_err() {
            let _ = self.cx.backend.kill_container(id, "SIGKILL").await;
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut *fut).await;
        }
    }

    /// The container GitHub's runner would start: the job's mounts and network, the
    /// workspace as working directory, `INPUT_*` and `GITHUB_*` variables.
    fn step_container_spec(&self, step: StepContainer) -> ContainerSpec {
        let key = &self.site.key;
        ContainerSpec {
            name: format!(
                "gantry-{}-{}-step{}",
                self.cx.run_id,
                self.cx.slug(key),
                step.tag
            ),
            image: step.image,
            entrypoint: step.entrypoint.map(|e| vec![e]),
            cmd: (!step.args.is_empty()).then_some(step.args),
            env: step.env,
            working_dir: Some(WORKSPACE.into()),
            labels: self.cx.labels(key),
            mounts: self.site.layout.mounts(),
            network: Some(format!("container:{}", self.site.container)),
            user: self.cx.cfg.policy.user.clone(),
            confinement: self.cx.cfg.policy.confinement(),
            ..Default::default()
        }
    }
}

/// Whichever comes first: the process's end (`Ok`), its timeout or cancellation (`Err`
/// with why it must be stopped).
async fn first_of<F>(
    fut: &mut F,
    timeout: Option<Duration>,
    token: &CancellationToken,
) -> Result<Stopped, Stopped>
where
    F: Future<Output = Result<i64, BackendError>> + Unpin,
{
    let sleep = async {
        match timeout {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = &mut *fut => Ok(Stopped::Finished(r)),
        _ = sleep => Err(Stopped::TimedOut(timeout.unwrap_or_default())),
        _ = token.cancelled() => Err(Stopped::Cancelled),
    }
}

/// The variable that marks a step's processes (`<n>`: the step's number in the job).
const STEP_MARKER: &str = "GANTRY_STEP";

/// A `sh` script that sends `signal` to every process whose environment has
/// `GANTRY_STEP=<tag>`: `/proc/<pid>/environ`, NUL-separated, read with `tr` and `grep`,
/// which every image with a shell has (busybox too).
fn signal_script(tag: &str, signal: &str) -> String {
    format!(
        "for d in /proc/[0-9]*; do tr '\\0' '\\n' < \"$d/environ\" 2>/dev/null | grep -qx '{STEP_MARKER}={tag}' && kill -{signal} \"${{d#/proc/}}\" 2>/dev/null; done; true"
    )
}
