//! The run page's "Re-run failed jobs" control in a real browser (Chromium through
//! chromedriver and fantoccini): a `read` session does not see it and is refused its
//! confirmation; an `operate` session sees it on a run that failed, presses it and
//! confirms, and attempt 2 runs only the failed job (`b`, which reads the output of `a`,
//! kept from attempt 1, which its page says) and succeeds; the control is gone once nothing
//! failed. Screenshots: `target/screenshots/rerun-failed-control.png`,
//! `rerun-failed-attempt-2.png`.

mod browser;
mod docker;
mod serve;

use browser::{browser, login, press_and_confirm, read_session_refused, screenshot, Driver};
use fantoccini::Locator;
use serde_json::Value;
use serve::{Service, API_TOKEN, READ_TOKEN};
use std::time::{Duration, Instant};

/// `a` sets an output; `b` needs it, prints it, and fails on attempt 1.
const WORKFLOW: &str = serve::KEEP_A_FAIL_B_ONCE;

const HOOK: &str = "on:\n  webhook:\n    names: [x]\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo x\n";

/// Waits (up to 120 s) until attempt 2 of run `id` ended; the run.
async fn attempt_2_ended(s: &Service, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let v = s.get_json(&format!("/api/runs/{id}"));
        if v["run"]["attempt"] == 2 && v["run"]["status"] == "completed" {
            return v;
        }
        assert!(Instant::now() < deadline, "attempt 2 did not end: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_failed_jobs_from_the_run_page() {
    let driver = Driver::start();
    let s = Service::new(WORKFLOW, HOOK, "");
    let id = s.push_run("pages-rerun-1");
    let first = s.wait_run(id, 180);
    assert_eq!(first["run"]["conclusion"], "failure", "{first}");
    let c = browser(&driver).await;
    let base = s.base.clone();
    read_session_refused(&c, &base, READ_TOKEN, id, "rerun-failed").await;

    login(&c, &base, API_TOKEN).await;
    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    c.find(Locator::Id("rerun-failed")).await.unwrap();
    screenshot(&c, "rerun-failed-control").await;
    press_and_confirm(&c, &base, &format!("/runs/{id}"), "rerun-failed").await;
    let second = attempt_2_ended(&s, id).await;
    assert_eq!(second["run"]["conclusion"], "success", "{second}");
    let a = second["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["key"] == "a")
        .expect("job a");
    assert_eq!(a["reason"], "kept from attempt 1", "{second}");
    let logs = s.logs(id);
    assert_eq!(logs.matches("a printed this").count(), 1, "{logs}");
    assert!(logs.contains("b got value-from-a on attempt 2"), "{logs}");

    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    let state = c.find(Locator::Id("run-state")).await.unwrap();
    assert_eq!(state.text().await.unwrap(), "success");
    let kept = c
        .find(Locator::Css("section.job[id='job:a'] .kept"))
        .await
        .unwrap();
    assert_eq!(kept.text().await.unwrap(), "kept from attempt 1");
    assert!(
        c.find(Locator::Css("section.job[id='job:b'] .kept"))
            .await
            .is_err(),
        "b ran again"
    );
    screenshot(&c, "rerun-failed-attempt-2").await;
    assert!(
        c.find(Locator::Id("rerun-failed")).await.is_err(),
        "nothing failed in attempt 2: no control"
    );
    c.find(Locator::Id("rerun")).await.unwrap();
    c.close().await.unwrap();
}
