//! `gantry plan`: what an event would run, and why each workflow does or does not match.

use super::event_args::EventArgs;
use super::remote_calls::{self, ActionArgs, Fetching};
use super::{files, Format};
use anyhow::{Context, Result};
use clap::Args;
use gantry_plan::{render::render_text, PlanOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub event: EventArgs,
    /// Workflow files or directories (default: .github/workflows and workflows/).
    #[arg(short = 'W', long = "workflows")]
    pub workflows: Vec<PathBuf>,
    /// Only this job (and the jobs it needs).
    #[arg(short = 'j', long = "job")]
    pub job: Option<String>,
    /// Map a runs-on label to an image: LABEL=IMAGE (repeatable; like act's -P).
    #[arg(short = 'P', long = "platform", value_name = "LABEL=IMAGE")]
    pub platforms: Vec<String>,
    /// A configuration variable for `vars`: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// The workspace that local actions (`uses: ./x`) and reusable workflows are read from.
    #[arg(long, default_value = ".")]
    pub workspace: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub secrets: gantry_secrets::SecretArgs,
    /// The operator's policy: a TOML file with a `[policy]` table (a `gantry.toml` works).
    /// Without it the default policy applies (docs/security.md).
    #[arg(long, env = "GANTRY_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub actions: ActionArgs,
}

impl PlanArgs {
    pub fn options(&self) -> Result<PlanOptions> {
        let platforms = gantry_load::platforms(&self.platforms)?;
        let mut vars = gantry_core::expr::Object::new();
        for v in &self.vars {
            let (k, val) = v
                .split_once('=')
                .with_context(|| format!("invalid --var `{v}`: expected NAME=VALUE"))?;
            vars.insert(k.to_string(), gantry_core::expr::Value::str(val));
        }
        let policy = match &self.policy {
            Some(f) => gantry_load::policy(f)?,
            None => gantry_core::policy::Policy::default(),
        };
        Ok(PlanOptions {
            platforms,
            platform_hint: gantry_plan::platform::PlatformHint::Flag,
            job: self.job.clone(),
            vars,
            secret_sources: Vec::new(),
            policy: std::sync::Arc::new(policy),
        })
    }

    /// Builds the plan: reads and validates the workflow files, builds the event, plans.
    /// Remote reusable workflows are read from `--action-dir` and the action cache only.
    pub fn build(&self) -> Result<gantry_plan::Plan> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let remote = Remote {
            rt: &rt,
            actions: &self.actions.cached()?,
            how: Fetching::CacheOnly,
        };
        Ok(self.build_with_sources(remote)?.plan)
    }

    /// The plan together with the event it was made for and where its secrets come
    /// from, which is what `gantry run` executes; the repositories of remote reusable
    /// workflows are fetched from `remote` first.
    pub fn build_with_sources(&self, remote: Remote<'_>) -> Result<Planned> {
        let event = self.event.build()?;
        let opts = self.options()?;
        let loaded = gantry_load::read_paths(&files::collect(&self.workflows)?)?;
        let cache = self.actions.cache_dir();
        let repos = remote_calls::fetch(
            remote.rt,
            &loaded,
            &self.workspace,
            remote.actions,
            remote.how,
            &cache,
        );
        let mut plan =
            gantry_load::plan_with_remote(&event, &loaded, &opts, &self.workspace, repos.clone());
        let repository = event
            .meta
            .repository
            .clone()
            .unwrap_or_else(|| "local/repository".into());
        let store = self.secrets.store(&repository)?;
        describe_secrets(&mut plan, &store);
        Ok(Planned {
            plan,
            event,
            store,
            options: opts,
            remote: repos,
        })
    }
}

/// A plan with what it was made for.
pub struct Planned {
    pub plan: gantry_plan::Plan,
    pub event: gantry_plan::event::Event,
    /// Where the workflows' secrets come from.
    pub store: gantry_secrets::ChainStore,
    /// The options it was planned with (the policy and `vars` the engine runs with too).
    pub options: PlanOptions,
    /// The repositories of remote reusable workflows it was planned with.
    pub remote: gantry_load::RemoteRepos,
}

/// Where planning gets the repositories of remote reusable workflows, and how.
pub struct Remote<'a> {
    pub rt: &'a tokio::runtime::Runtime,
    pub actions: &'a dyn gantry_engine::ActionSource,
    pub how: Fetching,
}

/// Every secret in the plan says where it comes from (never its value).
fn describe_secrets(plan: &mut gantry_plan::Plan, store: &dyn gantry_secrets::SecretStore) {
    for w in &mut plan.workflows {
        for j in w.run.iter_mut().flat_map(|r| r.jobs.iter_mut()) {
            for s in &mut j.secrets {
                s.source = store.describe(&s.name);
            }
        }
    }
}

pub fn run(args: PlanArgs) -> Result<ExitCode> {
    let p = args.build()?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&p)?),
        Format::Text => print!("{}", render_text(&p)),
    }
    // A matched workflow that cannot run (bad input, invalid file) fails the command.
    let blocked = p
        .workflows
        .iter()
        .any(|w| w.matched && !w.errors.is_empty());
    Ok(if blocked {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
