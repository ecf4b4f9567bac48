//! A real browser for the page tests: Debian's headless Chromium driven through
//! `chromedriver` (Debian's `chromium-driver`, installed by scripts/setup-browser.sh) with
//! fantoccini; logging in, waiting for a path or a text, pressing a control and confirming
//! it, screenshots into `target/screenshots/`, and `curl -i` for requests without a browser.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `chromedriver` on a free port, killed when dropped.
pub struct Driver(Child, String);

impl Driver {
    pub fn start() -> Driver {
        let found = Command::new("chromedriver").arg("--version").output();
        assert!(
            found.map(|o| o.status.success()).unwrap_or(false),
            "this test needs Debian's `chromium-driver` (scripts/setup-browser.sh installs it)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver(child, url)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn browser(driver: &Driver) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"] }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.1)
        .await
        .expect("a chromedriver session")
}

pub fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

pub async fn login(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/runs")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(
        url.path(),
        "/login",
        "without a session /runs sends to the login form"
    );
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    c.find(Locator::Css("form.login button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(c, "/runs").await;
}

pub async fn logout(c: &Client) {
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(c, "/login").await;
}

pub async fn wait_path(c: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = c.current_url().await.unwrap();
        if now.path() == path {
            return;
        }
        assert!(Instant::now() < deadline, "still at {now}, expected {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element `css` finds once it equals one of `want` (up to `secs`).
pub async fn wait_text(c: &Client, css: &str, want: &[&str], secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if want.contains(&text.as_str()) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{css} says {text:?}, expected one of {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn wait_text_containing(c: &Client, css: &str, part: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            let text = e.text().await.unwrap_or_default();
            if text.contains(part) {
                return text;
            }
        }
        assert!(Instant::now() < deadline, "no {css} saying {part:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page shown does not scroll sideways (only its own boxes may: tables, logs, graph).
pub async fn fits_width(c: &Client, what: &str) {
    let script = "return document.documentElement.scrollWidth <= window.innerWidth;";
    let fits = c.execute(script, vec![]).await.unwrap();
    assert_eq!(fits, json!(true), "{what} scrolls sideways at this width");
}

/// The text of the element `css` finds (it must find one).
pub async fn text_of(c: &Client, css: &str) -> String {
    let found = c.find(Locator::Css(css)).await;
    let found = found.unwrap_or_else(|e| panic!("no {css}: {e}"));
    found.text().await.unwrap()
}

/// Logged in with `token` (a `read` one): run `id`'s page shows no `#control`, and the
/// control's confirmation page (`/runs/{id}/{control}`) refuses it, saying it needs
/// operate. Logs out again.
pub async fn read_session_refused(c: &Client, base: &str, token: &str, id: i64, control: &str) {
    login(c, base, token).await;
    c.goto(&format!("{base}/runs/{id}")).await.unwrap();
    c.find(Locator::Id("run-state")).await.unwrap();
    assert!(
        c.find(Locator::Id(control)).await.is_err(),
        "a read session sees no {control} control"
    );
    c.goto(&format!("{base}/runs/{id}/{control}"))
        .await
        .unwrap();
    let text = text_of(c, "p.message").await;
    assert!(text.contains("need operate"), "{text}");
    assert!(c.find(Locator::Id("confirm")).await.is_err());
    logout(c).await;
}

/// Clicks control `#id` on the page at `path`, then `#confirm` on its confirmation page,
/// and waits to be back at `path`.
pub async fn press_and_confirm(c: &Client, base: &str, path: &str, id: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(c, &format!("{path}/{id}")).await;
    c.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(c, path).await;
}

/// Logs in at `/login` with `token` without a browser; the `Cookie:` header of the session.
pub fn page_session(base: &str, token: &str) -> String {
    let form = "Content-Type: application/x-www-form-urlencoded";
    let body = format!("token={token}");
    let (code, h, text) = http("POST", &format!("{base}/login"), &[form], Some(&body));
    assert_eq!(code, 303, "{text}");
    let cookie = header(&h, "set-cookie");
    format!("Cookie: {}", cookie.split(';').next().unwrap_or(""))
}

/// `curl -i` of one request: status, headers (lowercase names) and body.
pub fn http(
    method: &str,
    url: &str,
    headers: &[&str],
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "-i", "--max-time", "30", "-X", method, url]);
    for h in headers {
        c.args(["-H", h]);
    }
    if let Some(b) = body {
        c.args(["--data-raw", b]);
    }
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let code = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok());
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (code.unwrap_or(0), headers, body.to_string())
}

pub fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
