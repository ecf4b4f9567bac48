//! Step logs on the run page in a real browser (Debian's headless Chromium through
//! fantoccini, as tests/serve_pages.rs): ANSI colours shown as classes, a `::group::` folded
//! until its summary is clicked, annotations listed with their file:line and level, the
//! step summary's Markdown rendered with its dangerous parts removed (no script element, no
//! event handler, no alert), and the load time of a run with a 10,000-line step, printed
//! (Navigation Timing), never asserted. A running run's page gets the same rendering live:
//! a coloured line, a group, an annotation arrive over its stream, and the summary appears
//! once the run has ended, without a reload. Screenshot: `target/screenshots/run-logs.png`.

mod browser;
mod docker;
mod serve;

use browser::{browser, login, screenshot, wait_text, Driver};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serve::{Service, API_TOKEN};
use std::time::{Duration, Instant};

/// A step with colours, a group, annotations and a summary, and a 10,000-line step.
const CI: &str = r#"
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Colours
        run: |
          printf '\033[31mred\033[0m plain\n'
          echo '::group::Setup'
          echo 'inside one'
          echo 'inside two'
          echo '::endgroup::'
          echo 'after the group'
          echo '::error file=src/a.rs,line=3::bad thing'
          echo '::warning::careful'
          {
            echo '## Report'
            echo '**bold** words'
            echo
            echo '| a | b |'
            echo '|---|---|'
            echo '| 1 | 2 |'
            echo
            echo '<script>alert(1)</script>'
            echo '<img src=x onerror=alert(1)>'
          } >> "$GITHUB_STEP_SUMMARY"
      - name: Many
        run: seq 1 10000
"#;

/// The hook's workflow: after a pause (the page is open by then), a coloured line, a
/// group, a notice and a summary, for the live stream.
const HOOK: &str = r#"
on:
  webhook:
    names: [deploy]
jobs:
  live:
    runs-on: ubuntu-latest
    steps:
      - name: Live
        run: |
          sleep 4
          printf '\033[32mgreen\033[0m live\n'
          echo '::group::Fetch'
          echo 'fetching'
          sleep 1
          echo '::endgroup::'
          echo '::notice file=b.txt::look here'
          echo 'done'
          echo '**live summary**' >> "$GITHUB_STEP_SUMMARY"
          sleep 1
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_logs_in_a_real_browser() {
    let driver = Driver::start();
    let s = Service::new(CI, HOOK, "");
    let id = s.push_run("logs-1");
    let done = s.wait_run(id, 180);
    assert_eq!(done["run"]["conclusion"], "success", "{done}");
    let c = browser(&driver).await;
    login(&c, &s.base, API_TOKEN).await;
    let url = format!("{}/runs/{id}", s.base);
    for attempt in ["first load", "second load"] {
        c.goto(&url).await.unwrap();
        let t = navigation_timing(&c).await;
        eprintln!(
            "run page with a 10,000-line step ({attempt}): responseEnd {:.0} ms, \
             domContentLoadedEventEnd {:.0} ms, loadEventEnd {:.0} ms, {:.0} bytes of HTML",
            t[0], t[1], t[2], t[3]
        );
    }
    let step = open_step(&c, "Colours").await;
    colours(&step).await;
    group_folds(&c, &step).await;
    annotations(&c, id).await;
    summary(&c).await;
    let top = "document.getElementById('job:build').scrollIntoView();";
    c.execute(top, vec![]).await.unwrap();
    screenshot(&c, "run-logs").await;
    annotation_link_opens_its_step(&c, &url).await;
    many_lines(&c).await;
    live(&c, &s).await;
    c.close().await.unwrap();
}

/// The page's Navigation Timing (ms from navigation start) once `load` has ended, and the
/// page's size (bytes).
async fn navigation_timing(c: &Client) -> [f64; 4] {
    let js = "const t = performance.getEntriesByType('navigation')[0]; \
              return [t.responseEnd, t.domContentLoadedEventEnd, t.loadEventEnd, t.decodedBodySize];";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = c.execute(js, vec![]).await.unwrap();
        let n = |i: usize| v[i].as_f64().unwrap_or(0.0);
        if n(2) > 0.0 {
            return [n(0), n(1), n(2), n(3)];
        }
        assert!(Instant::now() < deadline, "the page never loaded: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The step named `name`, opened (a successful step starts closed).
async fn open_step(c: &Client, name: &str) -> Element {
    let xpath = format!(
        "//details[contains(@class, 'step') and .//span[@class='name' and text()='{name}']]"
    );
    let step = c.find(Locator::XPath(&xpath)).await.unwrap();
    assert_eq!(
        step.attr("open").await.unwrap(),
        None,
        "{name} starts closed"
    );
    step.find(Locator::Css(":scope > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    step
}

async fn colours(step: &Element) {
    let red = step.find(Locator::Css("span.ansi-red")).await.unwrap();
    assert_eq!(red.text().await.unwrap(), "red");
    let line = step.find(Locator::Css("ol.log > li")).await.unwrap();
    let text = line.find(Locator::Css(".text")).await.unwrap();
    assert_eq!(text.text().await.unwrap(), "red plain", "no escape shown");
}

async fn group_folds(c: &Client, step: &Element) {
    let group = step.find(Locator::Css("details.group")).await.unwrap();
    let title = group
        .find(Locator::Css(":scope > summary .text"))
        .await
        .unwrap();
    assert_eq!(title.text().await.unwrap(), "Setup");
    assert_eq!(
        group.attr("open").await.unwrap(),
        None,
        "a group starts folded"
    );
    let inside = group
        .find_all(Locator::Css("ol.group-log > li"))
        .await
        .unwrap();
    assert_eq!(inside.len(), 2, "the group's two lines");
    assert!(
        !inside[0].is_displayed().await.unwrap(),
        "folded: not visible"
    );
    group
        .find(Locator::Css(":scope > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(inside[0].is_displayed().await.unwrap(), "unfolded: visible");
    let second = inside[1].text().await.unwrap();
    assert!(second.ends_with("inside two"), "{second}");
    // Numbering goes on across the group: 1 red, 2 the group, 3-4 inside, 5 after it.
    let after = step
        .find(Locator::XPath(
            ".//li[.//span[@class='text' and text()='after the group']]",
        ))
        .await
        .unwrap();
    let n = after.find(Locator::Css(".ln")).await.unwrap();
    assert_eq!(n.text().await.unwrap(), "5");
    assert!(c.get_alert_text().await.is_err(), "no alert opened");
}

async fn annotations(c: &Client, id: i64) {
    let notes = c
        .find_all(Locator::Css("ul.annotations li.annotation"))
        .await
        .unwrap();
    assert_eq!(notes.len(), 2, "the error and the warning");
    let error = c
        .find(Locator::Css("ul.annotations li.annotation-error"))
        .await
        .unwrap();
    let field = |css: &'static str| {
        let error = error.clone();
        async move {
            error
                .find(Locator::Css(css))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    // Shown capitalised by the style sheet.
    assert_eq!(field(".level").await.to_lowercase(), "error");
    assert_eq!(field(".place").await, "src/a.rs:3");
    assert_eq!(field(".message").await, "bad thing");
    let link = error.find(Locator::Css("a.message")).await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    let target = href.rsplit('#').next().unwrap_or_default().to_string();
    let line = c.find(Locator::Id(&target)).await.unwrap();
    let text = line.text().await.unwrap();
    assert!(
        text.contains("bad thing"),
        "run {id}: {href} links to {text:?}"
    );
    let warning = c
        .find(Locator::Css(
            "ul.annotations li.annotation-warning .message",
        ))
        .await
        .unwrap();
    assert_eq!(warning.text().await.unwrap(), "careful");
    let counts = c.find(Locator::Css("details.step .counts")).await.unwrap();
    assert_eq!(counts.text().await.unwrap().trim(), "1 error 1 warning");
}

async fn summary(c: &Client) {
    let s = c.find(Locator::Css("section.step-summary")).await.unwrap();
    let bold = s.find(Locator::Css("strong")).await.unwrap();
    assert_eq!(bold.text().await.unwrap(), "bold");
    let cells = s.find_all(Locator::Css("table td")).await.unwrap();
    assert_eq!(cells.len(), 2, "the summary's table");
    assert!(s.find_all(Locator::Css("script")).await.unwrap().is_empty());
    let handlers = c.find_all(Locator::Css("img[onerror]")).await.unwrap();
    assert!(handlers.is_empty(), "no event handler survives");
    assert!(c.get_alert_text().await.is_err(), "no alert opened");
}

/// On a fresh page (the step closed), an annotation's link opens its step and shows its line.
async fn annotation_link_opens_its_step(c: &Client, url: &str) {
    c.goto(url).await.unwrap();
    let link = c
        .find(Locator::Css("ul.annotations li.annotation-error a.message"))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    let id = href.trim_start_matches('#').to_string();
    let line = c.find(Locator::Id(&id)).await.unwrap();
    assert!(!line.is_displayed().await.unwrap(), "in a closed step");
    link.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !line.is_displayed().await.unwrap() {
        assert!(Instant::now() < deadline, "{href} was not shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The 10,000-line step: every line there, numbered through.
async fn many_lines(c: &Client) {
    let step = open_step(c, "Many").await;
    let log = step.find(Locator::Css("ol.log")).await.unwrap();
    assert_eq!(
        log.attr("data-lines").await.unwrap().as_deref(),
        Some("10000")
    );
    let last = step
        .find(Locator::Css("ol.log > li:last-child"))
        .await
        .unwrap();
    let text = last.find(Locator::Css(".text")).await.unwrap();
    assert_eq!(text.text().await.unwrap(), "10000");
}

/// The first element `css` finds, once there (up to 30 s).
async fn wait_for(c: &Client, css: &str) -> Element {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            return e;
        }
        assert!(Instant::now() < deadline, "no {css} appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A running run's page: lines, a group, an annotation and the summary arrive live.
async fn live(c: &Client, s: &Service) {
    let id = s.hook_run("deploy");
    c.goto(&format!("{}/runs/{id}", s.base)).await.unwrap();
    // A mark in the page's window: still there at the end, so the page was never reloaded.
    c.execute("window.gantryMark = 42;", vec![]).await.unwrap();
    assert!(
        c.find_all(Locator::Css("span.ansi-green"))
            .await
            .unwrap()
            .is_empty(),
        "the coloured line is not printed yet when the page opens"
    );
    let green = wait_for(c, "span.ansi-green").await;
    assert_eq!(green.text().await.unwrap(), "green");
    wait_text(c, "#run-state", &["success"], 60).await;
    let group = wait_for(c, "details.group").await;
    assert_eq!(group.attr("open").await.unwrap(), None, "folded");
    let title = group
        .find(Locator::Css(":scope > summary .text"))
        .await
        .unwrap();
    assert_eq!(title.text().await.unwrap(), "Fetch");
    let inside = group
        .find_all(Locator::Css("ol.group-log > li"))
        .await
        .unwrap();
    assert_eq!(inside.len(), 1, "the group's line");
    assert!(
        !inside[0].is_displayed().await.unwrap(),
        "folded: not visible"
    );
    let done = c
        .find(Locator::XPath(
            "//li[.//span[@class='text' and text()='done']]",
        ))
        .await
        .unwrap();
    let n = done.find(Locator::Css(".ln")).await.unwrap();
    assert_eq!(n.text().await.unwrap(), "5", "numbered on across the group");
    let place = wait_for(c, "ul.annotations li.annotation-notice .place").await;
    assert_eq!(place.text().await.unwrap(), "b.txt");
    let strong = wait_for(c, "section.step-summary strong").await;
    assert_eq!(strong.text().await.unwrap(), "live summary");
    let mark = c
        .execute("return window.gantryMark;", vec![])
        .await
        .unwrap();
    assert_eq!(
        mark,
        serde_json::json!(42),
        "all of it arrived without a reload"
    );
}
