//! `gantry run`: plan like `gantry plan`, then execute every matched workflow with the
//! Docker engine, printing each job's steps and output as they happen. Ctrl-C cancels
//! gracefully (running steps are stopped, `always()` steps run, everything is removed); a
//! second Ctrl-C stops at once (still removing what was created).

use super::console::Console;
use super::plan::{PlanArgs, Remote};
use super::remote_calls::Fetching;
use super::Format;
use anyhow::{Context, Result};
use clap::Args;
use gantry_docker::DockerBackend;
use gantry_engine::{scratch, Conclusion, Engine, EngineConfig, Overrides, RunRequest, Signals};
use gantry_plan::render::render_text;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Jobs running at once.
    #[arg(long = "jobs", default_value_t = 4)]
    pub jobs: usize,
    /// Bind-mount the working tree into the jobs instead of copying it: steps then change
    /// (and may delete) your files, as with act's `--bind`. By default each job gets a copy
    /// and the working tree is never modified.
    #[arg(long)]
    pub bind: bool,
    /// The default since the working tree is copied unless `--bind` is given; kept so that
    /// existing scripts keep working.
    #[arg(long, hide = true, conflicts_with = "bind")]
    pub copy_workspace: bool,
    /// Where per-run files (step scripts, file commands, event payload) live while a run
    /// lasts: a directory on tmpfs (default: $XDG_RUNTIME_DIR/gantry, else
    /// /dev/shm/gantry-<uid>).
    #[arg(long = "scratch-dir", alias = "run-root", env = "GANTRY_SCRATCH_DIR")]
    pub run_root: Option<PathBuf>,
    /// Accept a scratch directory that is not tmpfs (unsafe: secret values rendered into
    /// step scripts and file commands are written to that disk).
    #[arg(long)]
    pub allow_disk_scratch: bool,
    /// Use only repositories already in the action cache (or `--action-dir`); never
    /// download (remote actions and remote reusable workflows alike).
    #[arg(long)]
    pub offline: bool,
    /// The GitHub API remote actions and reusable workflows are downloaded from (GitHub
    /// Enterprise, tests).
    #[arg(
        long,
        env = "GANTRY_GITHUB_API",
        default_value = "https://api.github.com"
    )]
    pub github_api: String,
    /// The Node runtimes JavaScript actions run with (`node20/`, `node24/`), mounted
    /// read-only into job containers; scripts/setup-node.sh installs them (default:
    /// ~/.cache/gantry/externals).
    #[arg(long, env = "GANTRY_EXTERNALS")]
    pub externals: Option<PathBuf>,
    /// The tool cache (`RUNNER_TOOL_CACHE`) where `setup-*` actions keep tools across runs
    /// (default: ~/.cache/gantry/tool_cache).
    #[arg(long, env = "GANTRY_TOOL_CACHE")]
    pub tool_cache: Option<PathBuf>,
    /// Where the artifact and cache services keep their data; caches outlive the run, so
    /// the next run restores them (default: ~/.cache/gantry/results).
    #[arg(long, env = "GANTRY_RESULTS_DIR")]
    pub results_dir: Option<PathBuf>,
    /// Another local repository jobs may check out (`actions/checkout` with
    /// `repository: OWNER/NAME`), served read-only by Gantry's git server (repeatable).
    #[arg(long = "git-repository", value_name = "OWNER/NAME=DIR")]
    pub git_repositories: Vec<String>,
}

/// `~/.cache/gantry/<name>`: Gantry's per-user directories.
fn user_cache(name: &str) -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("gantry").join(name)
}

/// The externals and the tool cache (created when missing).
fn runner_dirs(args: &RunArgs) -> Result<(PathBuf, PathBuf)> {
    let externals = args
        .externals
        .clone()
        .unwrap_or_else(gantry_engine::default_externals);
    let tool_cache = args
        .tool_cache
        .clone()
        .unwrap_or_else(|| user_cache("tool_cache"));
    std::fs::create_dir_all(&tool_cache)
        .with_context(|| format!("--tool-cache {}: creating it", tool_cache.display()))?;
    Ok((externals, tool_cache))
}

/// Per-run files on tmpfs, in this process's own directory under the scratch root (removed
/// when the process ends; those of gantry processes that died are removed now).
fn scratch_dir(args: &RunArgs) -> Result<scratch::RemoveOnDrop> {
    let keys = scratch::ScratchKeys {
        dir: "--scratch-dir",
        allow_disk: "--allow-disk-scratch",
    };
    let root = scratch::prepare(args.run_root.as_deref(), args.allow_disk_scratch, keys)?;
    let own = scratch::process_dir(&root).with_context(|| {
        format!(
            "--scratch-dir {}: creating this run's directory",
            root.display()
        )
    })?;
    Ok(scratch::RemoveOnDrop(own))
}

/// Where remote actions and reusable workflows come from: `--action-dir` copies first,
/// then the download cache.
fn action_source(
    args: &RunArgs,
    secrets: &std::collections::BTreeMap<String, String>,
) -> Result<Overrides> {
    let cache = args.plan.actions.cache_dir();
    let token = secrets
        .get("GITHUB_TOKEN")
        .cloned()
        .or_else(|| std::env::var("GITHUB_TOKEN").ok())
        .filter(|t| !t.is_empty());
    let fetcher = gantry_github::FetcherConfig {
        cache_dir: cache,
        offline: args.offline,
        api_base: Some(args.github_api.clone()),
        token,
    }
    .build()?;
    args.plan.actions.overrides(Arc::new(fetcher))
}

fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}{:03}", now.as_secs(), std::process::id() % 1000)
}

pub fn run(mut args: RunArgs) -> Result<ExitCode> {
    let mut secrets = args.plan.secrets.load()?;
    // `github.token`: `-s GITHUB_TOKEN`, else the environment's GITHUB_TOKEN.
    if !secrets.contains_key("GITHUB_TOKEN") && std::env::var_os("GITHUB_TOKEN").is_some() {
        args.plan.secrets.secrets.push("GITHUB_TOKEN".into());
        secrets = args.plan.secrets.load()?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // One source for the run: the repositories of remote reusable workflows are fetched
    // with it before planning, remote actions while the jobs run.
    // The GitHub client spawns its worker on the runtime it is built in.
    let actions = {
        let _in_runtime = rt.enter();
        Arc::new(action_source(&args, &secrets)?)
    };
    let remote = Remote {
        rt: &rt,
        actions: &*actions,
        how: Fetching::Download,
    };
    let planned = args.plan.build_with_sources(remote)?;
    let console = Arc::new(Console::new(args.plan.format == Format::Json, &secrets));
    if args.plan.format == Format::Text {
        console.header(&render_text(&planned.plan));
    }
    let blocked: Vec<String> = planned
        .plan
        .workflows
        .iter()
        .filter(|w| w.matched && !w.errors.is_empty())
        .map(|w| format!("{}: {}", w.file, w.errors_text()))
        .collect();
    if !blocked.is_empty() {
        for b in &blocked {
            console.note(&format!("cannot run {b}"));
        }
        return Ok(ExitCode::FAILURE);
    }
    if !secrets.contains_key("GITHUB_TOKEN") && planned.plan.workflows.iter().any(|w| w.matched) {
        console.note(
            "github.token: no GITHUB_TOKEN given (-s GITHUB_TOKEN, or the environment); jobs \
             get a token of the run, which Gantry's git, artifact and cache services accept",
        );
    }
    let own = scratch_dir(&args)?;
    let start = Start {
        args: &args,
        planned,
        console,
        actions,
        run_root: own.0.clone(),
    };
    rt.block_on(execute(start))
}

/// What the run starts from, once planned.
struct Start<'a> {
    args: &'a RunArgs,
    planned: super::plan::Planned,
    console: Arc<Console>,
    actions: Arc<Overrides>,
    run_root: PathBuf,
}

/// Runs every matched workflow; the exit code of the worst conclusion.
async fn execute(s: Start<'_>) -> Result<ExitCode> {
    let Start {
        args,
        planned,
        console,
        actions,
        run_root,
    } = s;
    let backend = Arc::new(DockerBackend::connect().await.with_context(|| {
        "Docker is needed to run workflows; start dockerd (scripts/setup-docker.sh does it) \
         or set DOCKER_HOST"
    })?);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let _stop_services = shutdown.clone().drop_guard();
    let results_dir = args
        .results_dir
        .clone()
        .unwrap_or_else(|| user_cache("results"));
    let repository = planned.event.meta.repository.clone();
    let (services, note) =
        super::services::start(&backend, args, repository.as_deref(), results_dir, shutdown)
            .await?;
    if let Some(note) = note {
        console.note(&note);
    }
    let options = planned.options;
    let (externals, tool_cache) = runner_dirs(args)?;
    let config = EngineConfig {
        workspace: args.plan.workspace.clone(),
        copy_workspace: !args.bind,
        policy: options.policy,
        max_jobs: args.jobs,
        run_root,
        vars: options.vars,
        externals: Some(externals),
        tool_cache: Some(tool_cache),
        ..EngineConfig::default()
    };
    let engine = Engine::new(backend, config)
        .with_secrets(Arc::new(planned.store))
        .with_actions(actions)
        .with_services(services);
    let signals = Signals::default();
    spawn_ctrl_c(signals.clone(), console.clone());
    let mut worst = Conclusion::Success;
    let mut number = 0;
    for w in &planned.plan.workflows {
        let Some(mut req) = RunRequest::from_outcome(w, &planned.event, run_id(), number + 1)
        else {
            continue;
        };
        req.remote = planned.remote.clone();
        number += 1;
        let result = engine.run(req, console.clone(), signals.clone()).await?;
        worst = match (worst, result.conclusion) {
            (Conclusion::Failure, _) | (_, Conclusion::Failure) => Conclusion::Failure,
            (Conclusion::Cancelled, _) | (_, Conclusion::Cancelled) => Conclusion::Cancelled,
            _ => Conclusion::Success,
        };
        if signals.cancel.is_cancelled() {
            break;
        }
    }
    console.finish();
    Ok(match worst {
        Conclusion::Success | Conclusion::Skipped => ExitCode::SUCCESS,
        Conclusion::Failure => ExitCode::FAILURE,
        Conclusion::Cancelled => ExitCode::from(130),
    })
}

fn spawn_ctrl_c(signals: Signals, console: Arc<Console>) {
    tokio::spawn(async move {
        let mut presses = 0;
        while tokio::signal::ctrl_c().await.is_ok() {
            presses += 1;
            if presses == 1 {
                console.note("cancelling: stopping running steps, then running always() steps (Ctrl-C again to stop now)");
                signals.cancel.cancel();
            } else {
                console.note("stopping now; removing containers");
                signals.force.cancel();
                signals.cancel.cancel();
            }
        }
    });
}
