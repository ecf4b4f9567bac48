//! The run page's job graph and trigger reasons in a real browser (Chromium through
//! fantoccini, as tests/serve_pages.rs). A push runs a diamond workflow (a; b, a matrix of
//! two legs, and c need a; d needs b and c): its page draws 4 nodes and 4 edges in an
//! inline SVG, every node coloured `state-success` once done, each a keyboard-reachable link
//! with an accessible name; "Why it ran" names the pushed branch; the JSON API answers the
//! same why and graph; at phone width the page does not scroll sideways. A hook's run,
//! watched while it goes, turns its nodes from queued and in progress to success without a
//! reload (the live stream's `state` events). Screenshots: `run-graph`, `run-graph-phone`,
//! `run-graph-live`.

mod browser;
mod docker;
mod serve;

use browser::{browser, fits_width, login, screenshot, wait_path, Driver};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use serve::{Service, API_TOKEN};
use std::time::{Duration, Instant};

/// The push workflow: a diamond whose `b` is a matrix of two legs.
const DIAMOND: &str = r#"
on:
  push:
    branches: [main]
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo a
  b:
    needs: a
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2]
    steps:
      - run: echo b ${{ matrix.n }}
  c:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo c
  d:
    needs: [b, c]
    runs-on: ubuntu-latest
    steps:
      - run: echo d
"#;

/// The hook's workflow: a slow job, and one that waits for it.
const SLOW: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 8
  after:
    needs: slow
    runs-on: ubuntu-latest
    steps:
      - run: echo after
"#;

/// The `class` of every `svg .node` of the page, in document order.
async fn node_classes(c: &Client) -> Vec<String> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('svg .node')].map(n => n.getAttribute('class'));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// The class of the node of job `id`.
async fn class_of(c: &Client, id: &str) -> String {
    let node = c
        .find(Locator::Css(&format!("svg .node[data-id='{id}']")))
        .await
        .unwrap();
    node.attr("class").await.unwrap().unwrap_or_default()
}

/// Waits (up to `secs`) until the node of job `id` has class `state-<state>`.
async fn wait_node(c: &Client, id: &str, state: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let class = class_of(c, id).await;
        if class.split(' ').any(|k| k == format!("state-{state}")) {
            return;
        }
        assert!(Instant::now() < deadline, "node {id}: {class}, not {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_graph_and_why_in_a_real_browser() {
    let driver = Driver::start();
    let s = Service::new(DIAMOND, SLOW, "");
    let id = s.push_run("graph-1");
    let done = s.wait_success(id, 1);
    api_has_why_and_graph(&done);
    let c = browser(&driver).await;
    login(&c, &s.base, API_TOKEN).await;
    finished_diamond(&c, &s.base, id).await;
    job_page(&c, &s.base, id).await;
    phone_width(&c, &s.base, id).await;
    live_nodes(&c, &s).await;
    c.close().await.unwrap();
}

/// `/api/runs/{id}` answers the plan's why and graph: five legs of four job ids.
fn api_has_why_and_graph(done: &Value) {
    let why = done["why"].as_array().expect("why");
    assert!(
        why.iter()
            .any(|r| r.as_str().unwrap_or("").contains("`main`")),
        "{done}"
    );
    let graph = done["graph"].as_array().expect("graph");
    let ids: Vec<&str> = graph.iter().filter_map(|j| j["id"].as_str()).collect();
    assert_eq!(ids, ["a", "b", "b", "c", "d"], "{done}");
    let d = graph.iter().find(|j| j["id"] == "d").unwrap();
    assert_eq!(d["needs"], json!(["b", "c"]));
}

async fn finished_diamond(c: &Client, base: &str, id: i64) {
    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    let classes = node_classes(c).await;
    assert_eq!(classes.len(), 4, "one node per job id: {classes:?}");
    for class in &classes {
        assert!(class.contains("state-success"), "{classes:?}");
    }
    let edges = c.find_all(Locator::Css("svg .edge")).await.unwrap();
    assert_eq!(edges.len(), 4, "one edge per needs pair");
    let svg = c.find(Locator::Css("#graph svg")).await.unwrap();
    assert_eq!(svg.attr("role").await.unwrap().as_deref(), Some("group"));
    // The matrix node counts and lists its legs, and links to its first leg's job.
    let b = c
        .find(Locator::Css("svg .node[data-id='b']"))
        .await
        .unwrap();
    let label = b.attr("aria-label").await.unwrap().unwrap_or_default();
    assert!(
        label.contains("2 legs") && label.ends_with("success"),
        "{label}"
    );
    let legs = c
        .find_all(Locator::Css("svg .node[data-id='b'] .leg"))
        .await;
    assert_eq!(legs.unwrap().len(), 2);
    screenshot(c, "run-graph").await;
    // Each node is reachable with the keyboard, and following one lands on its job.
    let focused = c
        .execute(
            "const n = document.querySelector(\"svg .node[data-id='d']\"); n.focus(); return document.activeElement === n;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, json!(true), "a node takes the focus");
    c.find(Locator::Css("svg .node[data-id='d']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(url.fragment(), Some("job:d"), "{url}");
    let why = c.find(Locator::Css("#why li")).await.unwrap();
    let why = why.text().await.unwrap();
    assert!(why.contains("`main`"), "the reason names the branch: {why}");
}

/// A job's heading opens its own page, `/runs/{id}/jobs/{key}` (the key encoded: a matrix
/// leg's has a space and parentheses): that job alone, with a way back to all; a job the run
/// does not have is a 404 page.
async fn job_page(c: &Client, base: &str, id: i64) {
    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    let mut leg = None;
    for a in c
        .find_all(Locator::Css("section.job h2 a.anchor"))
        .await
        .unwrap()
    {
        let text = a.text().await.unwrap();
        if text.starts_with("b (") {
            leg = Some((text, a));
        }
    }
    let (name, link) = leg.expect("a matrix leg of b has a heading");
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(
        href.starts_with(&format!("/runs/{id}/jobs/b%20%28")),
        "{href}"
    );
    link.click().await.unwrap();
    wait_path(c, &href).await;
    let headings = c.find_all(Locator::Css("section.job h2 a.anchor")).await;
    let headings = headings.unwrap();
    assert_eq!(headings.len(), 1, "{href} shows one job");
    assert_eq!(headings[0].text().await.unwrap(), name);
    c.find(Locator::Id("all-jobs")).await.unwrap();
    c.goto(&format!("{base}/runs/{id}/jobs/nope"))
        .await
        .unwrap();
    let text = c.find(Locator::Css("p.message")).await.unwrap();
    let text = text.text().await.unwrap();
    assert!(text.contains("no job `nope`"), "{text}");
}

/// At phone width the page does not scroll sideways (the graph's box may).
async fn phone_width(c: &Client, base: &str, id: i64) {
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    fits_width(c, "the run page at 390px").await;
    c.execute("document.getElementById('graph').scrollIntoView();", vec![])
        .await
        .unwrap();
    screenshot(c, "run-graph-phone").await;
    c.set_window_size(1200, 900).await.unwrap();
}

/// A run watched while it goes: its nodes change state from the live stream, no reload.
async fn live_nodes(c: &Client, s: &Service) {
    let id = s.hook_run("deploy");
    c.goto(&format!("{}/runs/{id}", s.base)).await.unwrap();
    c.execute("window.sameDocument = true;", vec![])
        .await
        .unwrap();
    wait_node(c, "slow", "in_progress", 60).await;
    // `after` has no row yet while `slow` runs: queued.
    assert!(class_of(c, "after").await.contains("state-queued"));
    screenshot(c, "run-graph-live").await;
    wait_node(c, "slow", "success", 60).await;
    wait_node(c, "after", "success", 60).await;
    let same = c.execute("return window.sameDocument === true;", vec![]);
    assert_eq!(same.await.unwrap(), json!(true), "updated without a reload");
}
