//! Remote reusable workflows fetched before planning, so that the planner stays pure: the
//! calls of the workflows to plan are followed (through workspace files, then inside each
//! fetched repository, where `./` calls stay in that repository at the same ref), each
//! (repository, ref) is fetched once by the front's `fetch` (the GitHub adapter with its
//! cache, `--offline` and `--action-dir`; this crate knows none of them), and what was
//! fetched — or why not — feeds [`crate::FsResolver`].

use super::workflows::Loaded;
use gantry_core::model::Workflow;
use gantry_plan::remote::{
    call_targets, CallTarget, RemoteAt, RemoteRepos, RepoAt, MAX_CALL_LEVELS, MAX_UNIQUE_CALLED,
};
use gantry_plan::resolve::called_workflow;
use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::path::{Path, PathBuf};

/// The remote reusable workflows `workflows` call directly (`owner/repo/PATH@REF` at job
/// level), in file and job order, each once.
pub fn remote_calls(workflows: &[Loaded]) -> Vec<RemoteAt> {
    let mut out: Vec<RemoteAt> = Vec::new();
    for wf in workflows.iter().filter_map(|l| l.workflow.as_deref()) {
        for t in call_targets(wf, None) {
            if let CallTarget::Remote(at) = t {
                if !out.contains(&at) {
                    out.push(at);
                }
            }
        }
    }
    out
}

fn read_file(p: &Path) -> Option<Vec<u8>> {
    std::fs::read(p).ok()
}

/// The workflow a call target names, as far as it can be read now (an invalid or missing
/// file is the planner's to report).
fn read_target(t: &CallTarget, workspace: &Path, repos: &RemoteRepos) -> Option<Workflow> {
    match t {
        CallTarget::Local(p) => {
            let path = workspace.join(p);
            called_workflow(&read_file(&path)?, &path.display().to_string())
                .ok()
                .flatten()
        }
        CallTarget::Remote(at) => repos.workflow(at, read_file).ok().flatten(),
    }
}

/// Fetches every repository that the remote reusable workflows called by `workflows` are in,
/// following nested calls (workspace files read from `workspace`) as deep as GitHub allows.
/// `fetch` gives a repository's directory at a ref, or why it cannot; a failure is kept
/// (the planner names it at the call) and never fetched again.
pub async fn fetch_remote_calls<F, Fut>(
    workflows: &[Loaded],
    workspace: &Path,
    fetch: F,
) -> RemoteRepos
where
    F: Fn(RepoAt) -> Fut,
    Fut: Future<Output = Result<PathBuf, String>>,
{
    let mut repos = RemoteRepos::default();
    let mut queue: VecDeque<(CallTarget, usize)> = VecDeque::new();
    for wf in workflows.iter().filter_map(|l| l.workflow.as_deref()) {
        queue.extend(call_targets(wf, None).into_iter().map(|t| (t, 1)));
    }
    // Breadth first, so that a workflow is first seen at its shallowest level.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let most = MAX_UNIQUE_CALLED * workflows.len().max(1);
    while let Some((target, level)) = queue.pop_front() {
        // `level` is the called workflow's depth below its top-level caller.
        if level >= MAX_CALL_LEVELS || seen.len() >= most {
            continue;
        }
        let within = match &target {
            CallTarget::Local(p) => {
                if !seen.insert(format!("./{p}")) {
                    continue;
                }
                None
            }
            CallTarget::Remote(at) => {
                if !seen.insert(at.to_string()) {
                    continue;
                }
                if repos.get(&at.repo).is_none() {
                    tracing::debug!(repository = %at.repo, "fetching for a reusable workflow");
                    let fetched = fetch(at.repo.clone()).await;
                    repos.insert(at.repo.clone(), fetched);
                }
                Some(at.repo.clone())
            }
        };
        if let Some(wf) = read_target(&target, workspace, &repos) {
            let next = call_targets(&wf, within.as_ref());
            queue.extend(next.into_iter().map(|t| (t, level + 1)));
        }
    }
    repos
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn write(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn loaded(text: &str) -> Vec<Loaded> {
        vec![crate::check("ci.yml".into(), text.as_bytes())]
    }

    const LEAF: &str = "on: workflow_call\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n";

    #[test]
    fn the_direct_remote_calls_are_listed_once() {
        let l = loaded("on: push\njobs:\n  a:\n    uses: o/r/.github/workflows/a.yml@v1\n  b:\n    uses: ./.github/workflows/b.yml\n  c:\n    uses: o/r/.github/workflows/a.yml@v1\n  d:\n    uses: o/s/.github/workflows/d.yml@main\n");
        let got: Vec<String> = remote_calls(&l).iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "o/r/.github/workflows/a.yml@v1",
                "o/s/.github/workflows/d.yml@main"
            ]
        );
    }

    /// The workspace calls `./local.yml`, which calls `o/r/outer.yml@v1`, which calls
    /// `./inner.yml` (in `o/r` at v1) and `o/s/x.yml@v2` (which is not there): each
    /// repository is fetched once, failures are kept.
    #[tokio::test]
    async fn nested_calls_are_followed_and_each_repository_fetched_once() {
        let ws = tempfile::tempdir().unwrap();
        let r = tempfile::tempdir().unwrap();
        write(
            ws.path(),
            ".github/workflows/local.yml",
            "on: workflow_call\njobs:\n  l:\n    uses: o/r/.github/workflows/outer.yml@v1\n",
        );
        write(r.path(), ".github/workflows/outer.yml", "on: workflow_call\njobs:\n  i:\n    uses: ./.github/workflows/inner.yml\n  x:\n    uses: o/s/.github/workflows/x.yml@v2\n");
        write(r.path(), ".github/workflows/inner.yml", "on: workflow_call\njobs:\n  again:\n    uses: o/r/.github/workflows/outer.yml@v1\n  leaf:\n    uses: ./.github/workflows/leaf.yml\n");
        write(r.path(), ".github/workflows/leaf.yml", LEAF);
        let l = loaded("on: push\njobs:\n  a:\n    uses: ./.github/workflows/local.yml\n");
        let asked = Mutex::new(Vec::new());
        let dir = r.path().to_path_buf();
        let repos = fetch_remote_calls(&l, ws.path(), |at: RepoAt| {
            asked.lock().unwrap().push(at.to_string());
            let dir = dir.clone();
            async move {
                if at.repository == "o/r" {
                    Ok(dir)
                } else {
                    Err(format!("{at} is not cached"))
                }
            }
        })
        .await;
        assert_eq!(*asked.lock().unwrap(), ["o/r@v1", "o/s@v2"]);
        let failures: Vec<String> = repos.failures().map(|(a, e)| format!("{a}: {e}")).collect();
        assert_eq!(failures, ["o/s@v2: o/s@v2 is not cached"]);
        let leaf = RemoteAt {
            repo: RepoAt {
                repository: "o/r".into(),
                git_ref: "v1".into(),
            },
            path: ".github/workflows/leaf.yml".into(),
        };
        assert!(repos.workflow(&leaf, read_file).unwrap().is_some());
    }

    /// A chain deeper than GitHub allows is followed only as far as it can be planned.
    #[tokio::test]
    async fn fetching_stops_at_the_nesting_limit() {
        let l = loaded("on: push\njobs:\n  a:\n    uses: o/r0/.github/workflows/w.yml@v1\n");
        let root = tempfile::tempdir().unwrap();
        for i in 0..15 {
            let next = format!(
                "on: workflow_call\njobs:\n  n:\n    uses: o/r{}/.github/workflows/w.yml@v1\n",
                i + 1
            );
            write(
                &root.path().join(format!("r{i}")),
                ".github/workflows/w.yml",
                &next,
            );
        }
        let asked = Mutex::new(0);
        let base = root.path().to_path_buf();
        fetch_remote_calls(&l, root.path(), |at: RepoAt| {
            *asked.lock().unwrap() += 1;
            let dir = base.join(at.repository.trim_start_matches("o/"));
            async move { Ok(dir) }
        })
        .await;
        assert_eq!(*asked.lock().unwrap(), MAX_CALL_LEVELS - 1);
    }
}
