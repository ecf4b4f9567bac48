//! The pages' accessibility in a real browser (Debian's headless Chromium through
//! `chromedriver` and fantoccini): axe-core (npm's `axe-core`, installed by
//! scripts/setup-browser.sh) is injected through WebDriver script execution — which the
//! pages' Content-Security-Policy does not govern — into `/login`, `/runs`, a running and a
//! finished run page and a confirmation page, and none of them may have a violation of
//! impact `serious` or `critical` (colour contrast included). Keyboard use: the first Tab
//! stop is a "skip to content" link that moves focus into `<main>`, and pressing Tab from the
//! top of a running run's page reaches the Cancel control and then every step's summary, in
//! that order, each with a visible focus outline. And the login limit over HTTP: failed
//! logins counted per client address, read from `X-Forwarded-For` behind a trusted proxy.

mod browser;
mod docker;
mod serve;

use browser::{browser, header, http, login, logout, Driver};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;
use serve::{Service, API_TOKEN, API_TOKENS};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The push workflow: steps that succeed and one that fails.
const CI: &str = r#"
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Greet
        run: echo hello
      - name: Fail
        run: echo 'about to fail' >&2; exit 3
"#;

/// The hook's workflow: a first step that ends at once, then one that ticks long enough
/// for the checks of the running page (the test cancels it at the end).
const LONG: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  tick:
    runs-on: ubuntu-latest
    steps:
      - name: Prepare
        run: echo ready
      - name: Tick
        run: for i in $(seq 1 300); do echo "tick $i"; sleep 1; done
"#;

/// axe.min.js: `GANTRY_AXE_JS`, else where scripts/setup-browser.sh puts it.
fn axe_source() -> String {
    let path = std::env::var_os("GANTRY_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"));
            cache.join("gantry-npm/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "\n\n*** axe-core is MISSING: cannot read {} ({e}).\n*** Run scripts/setup-browser.sh \
             (or set GANTRY_AXE_JS to an axe.min.js).\n\n",
            path.display()
        )
    })
}

/// The serious and critical violations axe-core finds on the page open in `c`, one line each.
async fn axe_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe.min.js runs");
    let run = "const done = arguments[arguments.length - 1];\
        axe.run(document, { resultTypes: ['violations'] })\
          .then(r => done(JSON.stringify({ violations: r.violations, passes: r.passes.length })),\
                e => done('error: ' + e));";
    let answer = c.execute_async(run, vec![]).await.expect("axe.run answers");
    let text = answer.as_str().unwrap_or_default().to_string();
    let report: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("axe.run did not report: {text}"));
    let passes = report["passes"].as_u64().unwrap_or(0);
    assert!(passes > 0, "axe-core checked no rule: {text}");
    let all = report["violations"].as_array().cloned().unwrap_or_default();
    println!(
        "axe-core: {passes} rules pass, {} violated (any impact)",
        all.len()
    );
    all.iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| format!("{} ({})", n["target"], n["failureSummary"]))
                .collect();
            format!("{} [{}]: {} at {nodes:?}", v["id"], v["impact"], v["help"])
        })
        .collect()
}

/// Opens `path` and asserts axe-core finds nothing serious there; `ready` is a CSS selector
/// the page shows once rendered.
async fn assert_accessible(c: &Client, base: &str, path: &str, ready: &str, axe: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css(ready))
        .await
        .unwrap_or_else(|e| panic!("{path}: no {ready}: {e}"));
    let found = axe_violations(c, axe).await;
    assert!(
        found.is_empty(),
        "{path}: axe-core finds {} serious or critical violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
    println!("{path}: axe-core finds no serious or critical violation");
}

/// Waits until run `id`'s second step (`Tick`) prints: both steps are on its page.
fn wait_ticking(s: &Service, id: i64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !s.logs(id).contains("tick 1") {
        assert!(
            Instant::now() < deadline,
            "run {id}'s Tick step never printed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_accessible() {
    let axe = axe_source();
    let driver = Driver::start();
    let s = Service::new(CI, LONG, "");
    let ci = s.push_run("access-1");
    assert_eq!(s.wait_run(ci, 120)["run"]["conclusion"], "failure");
    let running = s.hook_run("deploy");
    wait_ticking(&s, running);
    let c = browser(&driver).await;
    let base = s.base.clone();

    assert_accessible(&c, &base, "/login", "form.login", &axe).await;
    login(&c, &base, API_TOKEN).await;
    assert_accessible(&c, &base, "/runs", "a.run-link", &axe).await;
    let live = format!("/runs/{running}");
    assert_accessible(&c, &base, &live, "details.step", &axe).await;
    let done = format!("/runs/{ci}");
    assert_accessible(&c, &base, &done, "details.step[open]", &axe).await;
    let confirm = format!("/runs/{running}/cancel");
    assert_accessible(&c, &base, &confirm, "#confirm", &axe).await;
    c.set_window_size(390, 844).await.unwrap();
    assert_accessible(&c, &base, &done, "details.step[open]", &axe).await;
    assert_accessible(&c, &base, "/runs", "a.run-link", &axe).await;
    c.set_window_size(1200, 900).await.unwrap();
    keyboard_skip_link(&c, &base, &live).await;
    keyboard_reaches_controls_in_order(&c, &base, &live).await;
    logout(&c).await;
    c.close().await.unwrap();
    let (code, text) = s.post(&format!("/api/runs/{running}/cancel"), &[], b"");
    assert_eq!(code, 202, "{text}");
}

/// What the focused element is: its tag, id and text, and whether its outline shows.
const ACTIVE: &str = "const e = document.activeElement; const st = getComputedStyle(e);\
    return { tag: e.tagName.toLowerCase(), id: e.id || '', text: (e.textContent || '').trim(),\
      step: e.tagName === 'SUMMARY' ? e.parentElement.id : '',\
      outline: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2 };";

/// Presses Tab once and describes the element that then has focus.
async fn tab(c: &Client) -> Value {
    c.active_element()
        .await
        .unwrap()
        .send_keys(&String::from(char::from(Key::Tab)))
        .await
        .unwrap();
    c.execute(ACTIVE, vec![]).await.unwrap()
}

/// The first Tab stop is the skip link, shown when focused; following it focuses `<main>`.
async fn keyboard_skip_link(c: &Client, base: &str, path: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    let first = tab(c).await;
    assert_eq!(first["text"], "Skip to content", "{first}");
    assert_eq!(
        first["outline"], true,
        "the focused skip link has an outline: {first}"
    );
    let shown = c
        .execute(
            "return document.activeElement.getBoundingClientRect().top >= 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        shown,
        Value::Bool(true),
        "the focused skip link is on screen"
    );
    c.active_element()
        .await
        .unwrap()
        .send_keys(&String::from(char::from(Key::Enter)))
        .await
        .unwrap();
    let now = c.execute(ACTIVE, vec![]).await.unwrap();
    assert_eq!(
        now["id"], "content",
        "the skip link moves focus to main: {now}"
    );
}

/// Tab from the top of a running run's page: Cancel, then each step's summary in page
/// order, each with a visible focus outline.
async fn keyboard_reaches_controls_in_order(c: &Client, base: &str, path: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    let want_steps: Vec<String> = {
        let mut ids = Vec::new();
        for d in c.find_all(Locator::Css("details.step")).await.unwrap() {
            ids.push(d.attr("id").await.unwrap().unwrap_or_default());
        }
        ids
    };
    assert_eq!(
        want_steps.len(),
        2,
        "both steps are on the page: {want_steps:?}"
    );
    let mut order = Vec::new();
    let mut stops = Vec::new();
    for _ in 0..40 {
        let now = tab(c).await;
        let text = now["text"].as_str().unwrap_or_default();
        stops.push(format!(
            "<{}> {text}",
            now["tag"].as_str().unwrap_or_default()
        ));
        if now["id"] == "cancel" || now["tag"] == "summary" {
            assert_eq!(now["outline"], true, "no visible focus on {now}");
            let what = if now["id"] == "cancel" {
                "cancel".to_string()
            } else {
                now["step"].as_str().unwrap_or_default().to_string()
            };
            order.push(what);
        }
        if order.len() == 1 + want_steps.len() {
            break;
        }
    }
    let mut want = vec!["cancel".to_string()];
    want.extend(want_steps);
    assert_eq!(order, want, "Tab stops: {stops:#?}");
    println!("Tab stops from the top of {path}: {stops:#?}");
}

/// The login limit over HTTP, behind a trusted proxy (`[api] trusted_proxies`): ten failed
/// logins from one client address, then even the right token is answered 429 with
/// `Retry-After` and no session; another address, and the proxy itself, still log in.
#[test]
fn failed_logins_are_limited_per_address() {
    let api = format!("[api]\ntrusted_proxies = [\"127.0.0.1\"]\n{API_TOKENS}");
    let s = Service::with_api(CI, LONG, "", "", &api);
    let url = format!("{}/login", s.base);
    let form = "Content-Type: application/x-www-form-urlencoded";
    let login = |from: Option<&str>, token: &str| {
        let xff = from.map(|a| format!("X-Forwarded-For: 198.51.100.1, {a}"));
        let mut h = vec![form];
        h.extend(xff.as_deref());
        http("POST", &url, &h, Some(&format!("token={token}")))
    };
    for i in 0..10 {
        let (code, _, body) = login(Some("203.0.113.5"), "wrong-token-0123456789");
        assert_eq!(code, 401, "failure {i}: {body}");
    }
    let (code, h, body) = login(Some("203.0.113.5"), API_TOKEN);
    assert_eq!(code, 429, "the 11th try is refused unchecked: {body}");
    let wait: u64 = header(&h, "retry-after").parse().unwrap_or(0);
    assert!((1..=600).contains(&wait), "Retry-After: {wait}");
    assert!(body.contains("too many failed logins"), "{body}");
    assert_eq!(header(&h, "set-cookie"), "", "no session when refused");
    let (code, h, _) = login(Some("203.0.113.6"), API_TOKEN);
    assert_eq!(code, 303, "another address logs in");
    assert!(header(&h, "set-cookie").starts_with("gantry_session="));
    let (code, _, _) = login(None, API_TOKEN);
    assert_eq!(code, 303, "the proxy's own address is another client");
    let (code, _, _) = login(Some("203.0.113.5"), API_TOKEN);
    assert_eq!(code, 429, "a success elsewhere does not clear 203.0.113.5");
}
