//! The pages of `gantry serve` in a real browser: Debian's headless Chromium driven through
//! `chromedriver` (Debian's `chromium-driver`, installed by scripts/setup-browser.sh) with
//! fantoccini. A read session sees a running run without a cancel control and is refused the
//! confirmation; an operate session logs in, opens `/runs`, follows a run's link to its page,
//! expands a step and finds its numbered, timestamped lines, sees `<script>` in a log line as
//! text (no alert), watches a running step's log grow and the final state arrive without a
//! reload, cancels a run through the confirmation page; a cross-site form posting to the
//! page's cancel URL with that session open cancels nothing. Screenshots of the list, a
//! running run and a finished run with a failed step go to `target/screenshots/`.

mod browser;
mod docker;
mod serve;

use browser::{
    browser, fits_width, header, http, login, press_and_confirm, read_session_refused, screenshot,
    text_of, wait_path, wait_text, wait_text_containing, Driver,
};
use fantoccini::{Client, Locator};
use serde_json::json;
use serve::{Service, API_TOKEN, READ_TOKEN};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// The push workflow: a line of markup, and a step that fails.
const CI: &str = r#"
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Say markup
        run: echo '<script>alert(1)</script>'
      - name: Count
        run: for i in 1 2 3; do echo "line $i"; done
      - name: Fail
        run: echo 'about to fail'; exit 3
"#;

/// The hook's workflow: a step that prints a line a second for a while.
const TICKS: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  tick:
    runs-on: ubuntu-latest
    steps:
      - name: Tick
        run: for i in $(seq 1 15); do echo "tick $i"; sleep 1; done
"#;

fn wait_started(s: &Service, id: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.get_json(&format!("/api/runs/{id}"))["run"]["status"] != "in_progress" {
        assert!(Instant::now() < deadline, "run {id} never started");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A site of another origin whose page posts the run page's cancel form at once.
fn cross_site_form(target: &str, id: i64) -> String {
    let page = format!(
        r#"<!doctype html><html><body><form id="f" method="POST" action="{target}/runs/{id}/cancel"><input name="csrf" value="guess"></form><script>document.getElementById("f").submit();</script></body></html>"#
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = (&stream).write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                )
                .as_bytes(),
            );
        }
    });
    format!("{base}/evil.html")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_real_browser() {
    let driver = Driver::start();
    let s = Service::new(CI, TICKS, "");
    let ci = s.push_run("pages-1");
    let done = s.wait_run(ci, 120);
    assert_eq!(done["run"]["conclusion"], "failure", "{done}");
    let ticking = s.hook_run("deploy");
    wait_started(&s, ticking);
    let c = browser(&driver).await;
    let base = s.base.clone();

    read_session_refused(&c, &base, READ_TOKEN, ticking, "cancel").await;
    login(&c, &base, API_TOKEN).await;
    list_and_finished_run(&c, &base, ci).await;
    live_run(&c, &base, ticking).await;
    no_host_paths(&c, &s, ticking).await;
    let to_cancel = s.hook_run("deploy");
    wait_started(&s, to_cancel);
    cross_site_form_cancels_nothing(&c, &s, to_cancel).await;
    cancel_run(&c, &s, to_cancel).await;
    rerun_and_attempts(&c, &s, ci).await;
    c.goto(&format!("{base}/runs")).await.unwrap();
    screenshot(&c, "runs-list").await;
    phone_width(&c, &base, ci).await;
    c.close().await.unwrap();
}

async fn list_and_finished_run(c: &Client, base: &str, ci: i64) {
    c.goto(&format!("{base}/runs?branch=elsewhere"))
        .await
        .unwrap();
    let none = text_of(c, "p.message").await;
    assert_eq!(none, "No runs match these filters.");
    c.goto(&format!("{base}/runs?branch=main&event=push"))
        .await
        .unwrap();
    let shown = c.find_all(Locator::Css("a.run-link")).await.unwrap();
    assert_eq!(shown.len(), 1, "only the push on main");
    c.goto(&format!("{base}/runs?tenant=hook:deploy"))
        .await
        .unwrap();
    let shown = c.find_all(Locator::Css("a.run-link")).await.unwrap();
    assert_eq!(shown.len(), 1, "only the hook's run");
    assert_ne!(
        shown[0].attr("href").await.unwrap().unwrap(),
        format!("/runs/{ci}")
    );
    c.goto(&format!("{base}/runs")).await.unwrap();
    let link = c
        .find(Locator::Css(&format!("a.run-link[href='/runs/{ci}']")))
        .await
        .unwrap();
    link.click().await.unwrap();
    wait_path(c, &format!("/runs/{ci}")).await;
    wait_text(c, "#run-state", &["failure"], 5).await;
    // The failed step starts open; the first step is closed until expanded.
    let first = c
        .find(Locator::XPath(
            "//details[.//span[@class='name' and text()='Say markup']]",
        ))
        .await
        .unwrap();
    assert_eq!(
        first.attr("open").await.unwrap(),
        None,
        "a successful step starts closed"
    );
    first
        .find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let lines = first.find_all(Locator::Css("ol.log li")).await.unwrap();
    assert!(!lines.is_empty(), "the first step has lines");
    let line = &lines[0];
    let number = line
        .find(Locator::Css(".ln"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let time = line
        .find(Locator::Css("time"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let text = line
        .find(Locator::Css(".text"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(number, "1");
    assert!(is_clock(&time), "a timestamp: {time:?}");
    assert_eq!(
        text, "<script>alert(1)</script>",
        "markup in a log line is text"
    );
    assert!(c.get_alert_text().await.is_err(), "no alert opened");
    let failed = c
        .find(Locator::Css("details.step[open] .state-failure"))
        .await;
    assert!(failed.is_ok(), "the failed step is open and says failure");
    screenshot(c, "run-finished-failed-step").await;
}

fn is_clock(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 12 && b[2] == b':' && b[5] == b':' && b[8] == b'.'
}

async fn live_run(c: &Client, base: &str, id: i64) {
    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    // A mark in the page's window: still there at the end, so the page was never reloaded.
    c.execute("window.gantryMark = 42;", vec![]).await.unwrap();
    let count = || async { c.find_all(Locator::Css("ol.log li")).await.unwrap().len() };
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = count().await;
    loop {
        let now = count().await;
        if now > first && now >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the log did not grow from {first} lines"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(c, "run-live").await;
    wait_text(c, "#run-state", &["success"], 60).await;
    let mark = c
        .execute("return window.gantryMark;", vec![])
        .await
        .unwrap();
    assert_eq!(mark, json!(42), "the final state arrived without a reload");
    let ticks = c.find_all(Locator::Css("ol.log li .text")).await.unwrap();
    let last = ticks.last().unwrap().text().await.unwrap();
    assert_eq!(last, "tick 15", "every line arrived");
    let step_state = c.find(Locator::Css("details.step .state")).await.unwrap();
    assert_eq!(step_state.text().await.unwrap(), "success");
}

async fn cross_site_form_cancels_nothing(c: &Client, s: &Service, id: i64) {
    c.goto(&cross_site_form(&s.base, id)).await.unwrap();
    // The form was posted and answered: without the session cookie (never sent
    // cross-site), the cancel URL sends to the login form.
    wait_path(c, "/login").await;
    let run = s.get_json(&format!("/api/runs/{id}"));
    assert_eq!(run["run"]["status"], "in_progress", "{run}");
    // From this site's own page, with the cookie but without the session's CSRF token.
    c.goto(&format!("{}/runs/{id}", s.base)).await.unwrap();
    let forge = format!(
        "const f = document.createElement('form'); f.method = 'POST'; f.action = '/runs/{id}/cancel';\
         const i = document.createElement('input'); i.name = 'csrf'; i.value = 'guess'; f.append(i);\
         document.body.append(f); f.submit();"
    );
    c.execute(&forge, vec![]).await.unwrap();
    let text = wait_text_containing(c, "p.message", "did not come from this site").await;
    assert!(text.contains("cancel"), "{text}");
    let run = s.get_json(&format!("/api/runs/{id}"));
    assert_eq!(run["run"]["status"], "in_progress", "{run}");
}

/// Reruns the finished run from its page; each attempt's page, and its job's own page,
/// shows its own lines only.
async fn rerun_and_attempts(c: &Client, s: &Service, id: i64) {
    press_and_confirm(c, &s.base, &format!("/runs/{id}"), "rerun").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let v = s.get_json(&format!("/api/runs/{id}"));
        if v["run"]["attempt"] == 2 && v["run"]["status"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "attempt 2 did not end: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pages = [
        format!("/runs/{id}"),
        format!("/runs/{id}/jobs/build"),
        format!("/runs/{id}/attempts/1/jobs/build"),
        format!("/runs/{id}/attempts/1"),
    ];
    for page in pages {
        c.goto(&format!("{}{page}", s.base)).await.unwrap();
        let lines = c
            .find_all(Locator::XPath(
                "//details[.//span[@class='name' and text()='Count']]//ol/li",
            ))
            .await
            .unwrap();
        assert_eq!(lines.len(), 3, "{page}: the lines of this attempt only");
        let state = c.find(Locator::Id("run-state")).await.unwrap();
        assert_eq!(state.text().await.unwrap(), "failure", "{page}");
    }
    let links = c.find_all(Locator::Css("nav.attempts a")).await.unwrap();
    assert_eq!(links.len(), 1, "attempt 1's page links to attempt 2");
    let heading = c
        .find(Locator::Css("section.job h2 a.anchor"))
        .await
        .unwrap();
    let href = heading.attr("href").await.unwrap();
    let own = format!("/runs/{id}/attempts/1/jobs/build");
    assert_eq!(href.as_deref(), Some(own.as_str()), "attempt 1's job page");
}

async fn cancel_run(c: &Client, s: &Service, id: i64) {
    press_and_confirm(c, &s.base, &format!("/runs/{id}"), "cancel").await;
    let done = s.wait_run(id, 60);
    assert_eq!(done["run"]["conclusion"], "cancelled", "{done}");
    wait_text(c, "#run-state", &["cancelled"], 30).await;
}

/// At a phone's width (390 CSS pixels) the list and a run's page fit: only the tables and
/// logs scroll sideways, never the page.
async fn phone_width(c: &Client, base: &str, id: i64) {
    c.set_window_size(390, 844).await.unwrap();
    for page in ["/runs".to_string(), format!("/runs/{id}")] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        fits_width(c, &page).await;
    }
    screenshot(c, "run-phone").await;
}

/// The pages name the hook's workflow directory by its label, never its path on this host.
async fn no_host_paths(c: &Client, s: &Service, id: i64) {
    let host = s.dir.path().display().to_string();
    for page in ["/runs".to_string(), format!("/runs/{id}")] {
        c.goto(&format!("{}{page}", s.base)).await.unwrap();
        let html = c.source().await.unwrap();
        assert!(!html.contains(&host), "{page} shows a host path: {html}");
    }
    let file = c.find(Locator::XPath(
        "//dt[text()='Workflow file']/following-sibling::dd[1]",
    ));
    let file = file.await.unwrap().text().await.unwrap();
    assert_eq!(file, "hooks/deploy/deploy.yml");
}

/// The session rules without a browser: redirects, refusals, the cookie's attributes, the
/// CSP, and that the cookie opens neither the JSON API nor a live stream without a session.
#[test]
fn sessions_over_http() {
    let s = Service::new(CI, TICKS, "");
    let base = &s.base;
    let (code, h, _) = http("GET", &format!("{base}/runs?status=failure"), &[], None);
    assert_eq!(code, 303);
    assert_eq!(
        header(&h, "location"),
        "/login?next=/runs%3Fstatus%3Dfailure"
    );
    let form = "application/x-www-form-urlencoded";
    let ct = format!("Content-Type: {form}");
    let (code, _, body) = http(
        "POST",
        &format!("{base}/login"),
        &[&ct],
        Some("token=wrong-token-0123456789"),
    );
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("not one of the configured"), "{body}");
    let evil = ["Origin: http://evil.example", &ct];
    let (code, h, _) = http(
        "POST",
        &format!("{base}/login"),
        &evil,
        Some(&format!("token={API_TOKEN}")),
    );
    assert_eq!(code, 403, "a login from another origin");
    assert_eq!(header(&h, "set-cookie"), "");
    let (code, h, _) = http(
        "POST",
        &format!("{base}/login"),
        &[&ct],
        Some(&format!("token={READ_TOKEN}&next=//evil.example/")),
    );
    assert_eq!(code, 303);
    assert_eq!(header(&h, "location"), "/runs", "no open redirect");
    let cookie = header(&h, "set-cookie").to_string();
    for part in ["gantry_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let session = format!("Cookie: {}", cookie.split(';').next().unwrap());
    let (code, h, body) = http("GET", &format!("{base}/runs"), &[&session], None);
    assert_eq!(code, 200, "{body}");
    let csp = header(&h, "content-security-policy");
    assert!(
        csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let (code, _, _) = http("GET", &format!("{base}/api/runs"), &[&session], None);
    assert_eq!(code, 401, "the JSON API ignores the cookie");
    let (code, _, _) = http("GET", &format!("{base}/runs/1/live"), &[], None);
    assert_eq!(code, 401, "no live stream without a session");
    let (code, _, body) = http("GET", &format!("{base}/runs/1/cancel"), &[&session], None);
    assert_eq!(code, 403, "a read session gets no confirmation: {body}");
    let (code, h, _) = http("POST", &format!("{base}/logout"), &[&session], None);
    assert_eq!((code, header(&h, "location")), (303, "/login"));
    let (code, _, _) = http("GET", &format!("{base}/runs"), &[&session], None);
    assert_eq!(code, 303, "logged out: the session is gone");
}
