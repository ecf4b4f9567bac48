//! GitHub's official actions, unmodified, in runs of the real `gantry serve` for a push to
//! a local repository: checkout fetches the pushed commit from the service's git server,
//! an artifact passes from one job to a dependent one, a cache saved by the first run is
//! restored by the second, github-script sees the event, setup-node finds the tenant's
//! pre-seeded tool cache, the API lists the run's artifacts and the repository's caches,
//! and the run's page lists its artifact; the repository the service reads is left as it
//! was.

mod browser;
mod docker;
mod serve;

use docker::{official_action, seed_tool_cache, OFFICIAL};
use serve::{git, Service, API_TOKEN, API_TOKENS};

const CI: &str = r#"name: official
on: push
jobs:
  build:
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: |
          test "$(git rev-parse HEAD)" = "$GITHUB_SHA"
          echo "checked-out=$(cat README.md) commits=$(git rev-list --count HEAD)"
          rm -rf .git
      - uses: actions/cache@v4
        id: cache
        with:
          path: deps
          key: deps-${{ runner.os }}
      - run: |
          echo "hit=${{ steps.cache.outputs.cache-hit }} cached=$(cat deps/data 2>/dev/null || echo none)"
          mkdir -p deps && echo "from the first run" > deps/data
          echo "made by build" > made.txt
      - uses: actions/upload-artifact@v4
        with: { name: made, path: made.txt }
  use:
    needs: build
    runs-on: self-hosted
    steps:
      - uses: actions/download-artifact@v4
        with: { name: made }
      - run: echo "downloaded=$(cat made.txt)"
  tools:
    runs-on: self-hosted
    steps:
      - uses: actions/github-script@v7
        with:
          script: console.log(`script event=${context.eventName} sha=${context.sha}`)
      - uses: actions/setup-node@v4
        with:
          node-version: 20.20.2
      - run: echo "node=$(node --version) from=$(command -v node)"
"#;

/// `[runner] actions`: the official actions from their directories, as `--action-dir`.
fn runner_table() -> String {
    let mut t = String::from("[runner]\n[runner.actions]\n");
    for (uses, dir) in OFFICIAL {
        t.push_str(&format!(
            "\"{uses}\" = \"{}\"\n",
            official_action(dir).display()
        ));
    }
    t
}

#[test]
fn the_official_actions_work_in_runs_of_the_service() {
    let mut s = Service::configure(CI, "", &runner_table(), "", API_TOKENS);
    // The repository's tenant's own tool cache, pre-seeded with Node 20 for setup-node.
    seed_tool_cache(&s.data_dir().join("tool_cache/repo_octo-org_octo-repo"));
    s.start();
    let head = git(&s.repo, &["rev-parse", "HEAD"]);
    let (code, text) = s.push("official-1");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    s.wait_success(id, 1);
    let first = s.logs(id);
    assert!(first.contains("checked-out=hello commits=1"), "{first}");
    assert!(first.contains("cached=none"), "{first}");
    assert!(first.contains("downloaded=made by build"), "{first}");
    assert!(
        first.contains(&format!("script event=push sha={head}")),
        "{first}"
    );
    assert!(
        first.contains("node=v20.20.2 from=/github/tool_cache/node/20.20.2/x64/bin/node"),
        "{first}"
    );
    let artifacts = s.get_json(&format!("/api/runs/{id}/artifacts"));
    assert_eq!(artifacts["artifacts"][0]["name"], "made", "{artifacts}");
    let session = browser::page_session(&s.base, API_TOKEN);
    let url = format!("{}/runs/{id}", s.base);
    let (code, _, page) = browser::http("GET", &url, &[&session], None);
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains(r#"<td class="artifact-name">made</td>"#),
        "the run page lists the artifact: {page}"
    );
    let caches = s.get_json("/api/repositories/octo-org/octo-repo/caches");
    assert_eq!(caches["caches"][0]["key"], "deps-Linux", "{caches}");

    let (code, text) = s.push("official-2");
    assert_eq!(code, 202, "{text}");
    let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["runs"][0]["id"]
        .as_i64()
        .unwrap();
    s.wait_success(id, 1);
    let second = s.logs(id);
    assert!(
        second.contains("hit=true cached=from the first run"),
        "{second}"
    );
    // The service's repository is read, never changed by a job.
    assert_eq!(git(&s.repo, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&s.repo, &["status", "--porcelain"]), "");
}
