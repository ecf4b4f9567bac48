//! `gantry list`: the workflows found, what triggers each, and its jobs.

use super::{files, Format};
use anyhow::{Context, Result};
use clap::Args;
use gantry_core::model::describe;
use gantry_core::validate::{check_bytes, FileKind};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Workflow files or directories (default: .github/workflows and workflows/).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: ListArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    for path in files::collect(&args.paths)? {
        let name = path.display().to_string();
        if FileKind::from_path(&name) == FileKind::Action {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {name}"))?;
        let checked = check_bytes(&bytes, FileKind::Workflow);
        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == gantry_core::diag::Severity::Error)
            .count();
        let Some(wf) = checked.workflow else {
            out.push(json!({"file": name, "valid": false, "errors": errors}));
            continue;
        };
        let triggers: Vec<String> = wf
            .on
            .iter()
            .flat_map(|o| o.value.events.iter().map(describe::trigger))
            .collect();
        let jobs: Vec<String> = wf.jobs.iter().map(describe::job).collect();
        out.push(json!({
            "file": name,
            "name": wf.name.as_ref().map(|n| n.value.clone()),
            "valid": errors == 0,
            "errors": errors,
            "triggers": triggers,
            "jobs": jobs,
        }));
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        Format::Text => {
            for w in &out {
                let file = w["file"].as_str().unwrap_or_default();
                let title = w["name"]
                    .as_str()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                let bad = if w["valid"] == true {
                    String::new()
                } else {
                    format!("  [{} errors: run gantry validate]", w["errors"])
                };
                println!("{file}{title}{bad}");
                for t in w["triggers"].as_array().into_iter().flatten() {
                    println!("  on {}", t.as_str().unwrap_or_default());
                }
                for j in w["jobs"].as_array().into_iter().flatten() {
                    println!("  job {}", j.as_str().unwrap_or_default());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
