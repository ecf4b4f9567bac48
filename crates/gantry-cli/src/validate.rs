//! `gantry validate`: check files in parallel and print every problem, as text or JSON.

use super::{files, Format};
use anyhow::Result;
use clap::Args;
use gantry_core::diag::{render_json, render_text, Diagnostic, Severity, SourceMap};
use gantry_core::validate::{check_bytes, FileKind};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{mpsc, Mutex};

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Workflow files, action.yml files or directories (default: .github/workflows and workflows/).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Treat every file as this kind instead of deciding by name (action.yml is an action).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Print only the counts per rule.
    #[arg(long)]
    pub summary: bool,
    /// Report warnings as errors (exit 1), for CI: all of them, or only those of the rules
    /// listed (`--strict=reference,key`). `plan`, `run` and `serve` never stop for warnings.
    #[arg(long, value_name = "RULES", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub strict: Option<Vec<String>>,
}

/// Makes the warnings `strict` names errors (all when it names no rule).
fn apply_strict(results: &mut [FileResult], strict: Option<&[String]>) {
    let Some(rules) = strict else { return };
    let chosen = |rule: &str| rules.is_empty() || rules.iter().any(|r| r == rule);
    for d in results.iter_mut().flat_map(|r| r.diagnostics.iter_mut()) {
        if d.severity == Severity::Warning && chosen(d.rule) {
            d.severity = Severity::Error;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Workflow,
    Action,
}

struct FileResult {
    path: String,
    text: Vec<u8>,
    diagnostics: Vec<Diagnostic>,
}

pub fn run(args: ValidateArgs) -> Result<ExitCode> {
    let mut results = check_all(&args.paths, args.kind)?;
    apply_strict(&mut results, args.strict.as_deref());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut errors, mut warnings) = (0usize, 0usize);
    for r in &results {
        for d in &r.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    match args.format {
        Format::Json => {
            let list: Vec<_> = results
                .iter()
                .flat_map(|r| r.diagnostics.iter().map(|d| render_json(&r.path, d)))
                .collect();
            let doc = serde_json::json!({
                "files": results.len(),
                "errors": errors,
                "warnings": warnings,
                "diagnostics": list,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        Format::Text if args.summary => {
            let mut by_rule: std::collections::BTreeMap<(&str, Severity), usize> =
                Default::default();
            for d in results.iter().flat_map(|r| &r.diagnostics) {
                *by_rule.entry((d.rule, d.severity)).or_default() += 1;
            }
            for ((rule, sev), n) in by_rule {
                writeln!(
                    out,
                    "{n:6} {rule} ({})",
                    if sev == Severity::Error {
                        "error"
                    } else {
                        "warning"
                    }
                )?;
            }
            writeln!(
                out,
                "{} files, {errors} errors, {warnings} warnings",
                results.len()
            )?;
        }
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            for r in &results {
                let text = String::from_utf8_lossy(&r.text);
                let src = SourceMap {
                    path: &r.path,
                    text: &text,
                };
                for d in &r.diagnostics {
                    write!(out, "{}", render_text(&src, d, color))?;
                }
            }
            writeln!(
                out,
                "{} files checked: {errors} errors, {warnings} warnings",
                results.len()
            )?;
        }
    }
    out.flush()?;
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads and checks files on every core while the main thread is still finding them;
/// results come back in path order.
fn check_all(roots: &[PathBuf], kind: Option<KindArg>) -> Result<Vec<FileResult>> {
    let (tx, rx) = mpsc::channel::<(usize, PathBuf)>();
    let rx = Mutex::new(rx);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    // One read buffer per thread: most files have nothing to report, and
                    // then their text need not outlive the check. Allocated on the first
                    // file: a worker that gets none (one file named, an empty directory)
                    // then touches no heap of its own, whose first page costs a 2 MiB
                    // huge page to clear.
                    let mut buf = Vec::new();
                    loop {
                        let next = rx.lock().map(|r| r.recv());
                        let Ok(Ok((i, path))) = next else { break };
                        done.push((i, check_one(&path, kind, &mut buf)));
                    }
                    done
                })
            })
            .collect();
        let mut found = 0;
        let walked = files::collect_each(roots, &mut |path| {
            // The workers outlive the walk, so a send cannot fail.
            let _ = tx.send((found, path));
            found += 1;
        });
        drop(tx);
        let mut slots: Vec<Option<FileResult>> = (0..found).map(|_| None).collect();
        for (i, r) in handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
        {
            slots[i] = Some(r);
        }
        walked?;
        Ok(slots.into_iter().flatten().collect())
    })
}

/// Checks of the local reusable workflows `wf` calls, read from its workspace: the directory
/// holding the `.github` the file is in. A file outside one (a directory of collected
/// workflows) has its callees looked up beside it by file name, and one not there is not
/// checked: that workspace is not known.
fn cross_file(path: &std::path::Path, wf: &gantry_core::model::Workflow) -> Vec<Diagnostic> {
    use gantry_core::model::JobKind;
    if !wf.jobs.iter().any(|j| matches!(j.kind, JobKind::Call(_))) {
        return Vec::new();
    }
    let root = path
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == ".github"))
        .and_then(std::path::Path::parent);
    let beside = path.parent().unwrap_or(std::path::Path::new("."));
    let read = |rel: &str| match root {
        Some(root) => std::fs::read_to_string(root.join(rel)).ok(),
        None => std::fs::read_to_string(beside.join(rel.rsplit('/').next()?)).ok(),
    };
    let mut diags = gantry_core::diag::Diagnostics::new();
    gantry_core::validate::check_calls(wf, &read, root.is_some(), &mut diags);
    diags.into_sorted()
}

fn check_one(path: &std::path::Path, kind: Option<KindArg>, buf: &mut Vec<u8>) -> FileResult {
    use std::io::Read;
    let name = path.display().to_string();
    let kind = match kind {
        Some(KindArg::Workflow) => FileKind::Workflow,
        Some(KindArg::Action) => FileKind::Action,
        None => FileKind::from_path(&name),
    };
    buf.clear();
    buf.reserve(64 * 1024);
    // Through `Take`, not `File::read_to_end`: the file's own version asks for its size and
    // position first (statx and lseek), two of six system calls per file; the buffer already
    // holds a typical workflow, so open, read, read (end of file) and close are enough.
    match std::fs::File::open(path).and_then(|f| f.take(u64::MAX).read_to_end(buf)) {
        Ok(_) => {
            let mut checked = check_bytes(buf, kind);
            if let Some(wf) = &checked.workflow {
                checked.diagnostics.extend(cross_file(path, wf));
            }
            let text = if checked.diagnostics.is_empty() {
                Vec::new()
            } else {
                buf.clone()
            };
            FileResult {
                path: name,
                text,
                diagnostics: checked.diagnostics,
            }
        }
        Err(e) => FileResult {
            path: name,
            text: Vec::new(),
            diagnostics: vec![Diagnostic::error(
                "io",
                Default::default(),
                format!("cannot read the file: {e}"),
            )],
        },
    }
}
