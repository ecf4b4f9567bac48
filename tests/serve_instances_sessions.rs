//! Page sessions across `gantry serve` instances on one PostgreSQL run store: a login on
//! node-0 gives a cookie that opens `/runs` on node-1 (no sticky sessions needed), both
//! derive the same CSRF token for it, a logout on node-1 ends it on node-0 too, and the
//! store holds the cookie's SHA-256, never the cookie value. While PostgreSQL is down, pages
//! answer 503 and nobody logs in.

mod browser;
mod docker;
mod serve;

use browser::{header, http};
use serve::instances::{no_tables, Cluster, Setup};
use serve::{Service, API_TOKEN};
use std::process::Command;

const FORM: &str = "Content-Type: application/x-www-form-urlencoded";

/// Logs in on `s`; the session cookie's value.
fn login(s: &Service) -> String {
    let url = format!("{}/login", s.base);
    let (code, h, body) = http("POST", &url, &[FORM], Some(&format!("token={API_TOKEN}")));
    assert_eq!(code, 303, "{body}");
    let set = header(&h, "set-cookie");
    let value = set
        .strip_prefix("gantry_session=")
        .and_then(|v| v.split(';').next())
        .unwrap_or_default();
    assert_eq!(value.len(), 64, "{set}");
    value.to_string()
}

/// `GET path` on `s` with the session cookie: the status and the body or `Location`.
fn get(s: &Service, path: &str, cookie: &str) -> (u16, String) {
    let c = format!("Cookie: gantry_session={cookie}");
    let (code, h, body) = http("GET", &format!("{}{path}", s.base), &[&c], None);
    let text = if code == 303 {
        header(&h, "location").to_string()
    } else {
        body
    };
    (code, text)
}

/// The CSRF token of the confirmation page `path` shows to the session.
fn csrf(s: &Service, path: &str, cookie: &str) -> String {
    let (code, body) = get(s, path, cookie);
    assert_eq!(code, 200, "{body}");
    let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    body[at..at + 64].to_string()
}

fn sha256_hex(text: &str) -> String {
    let out = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Every row of the sessions table, each column joined with `|`.
async fn session_rows(url: &str) -> Vec<String> {
    let cfg = gantry_store::StoreConfig {
        url: Some(url.to_string()),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = gantry_store::Store::connect(&cfg, dir.path(), "reader")
        .await
        .unwrap();
    let gantry_store::Reader::Postgres(c) = store.reader().await.unwrap() else {
        panic!("a PostgreSQL store");
    };
    let rows = c
        .query(
            "SELECT id_sha256, token_name, scope, expires_at::text FROM sessions",
            &[],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (0..4)
                .map(|i| r.get::<_, String>(i))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_started_on_one_instance_opens_pages_on_the_other_until_logout() {
    let c = tokio::task::spawn_blocking(|| {
        Cluster::start(&Setup {
            instances: 2,
            workflow: "on: push\njobs: {}\n",
            hook_workflow: "on: push\njobs: {}\n",
            lease_secs: 10,
            extra: "",
            tables: &no_tables,
            own_server: false,
        })
    })
    .await
    .unwrap();
    let (n0, n1) = (&c.nodes[0], &c.nodes[1]);
    let cookie = login(n0);

    let (code, body) = get(n1, "/runs", &cookie);
    assert_eq!(code, 200, "node-1 knows node-0's session: {body}");
    assert!(body.contains("<h1>Runs</h1>"), "{body}");
    assert_eq!(
        csrf(n0, "/runs/1/cancel", &cookie),
        csrf(n1, "/runs/1/cancel", &cookie),
        "both instances derive the same CSRF token"
    );

    let rows = session_rows(&c.db.url).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with(&format!("{}|test|operate|", sha256_hex(&cookie))),
        "the row is the cookie's hash, the token's name and scope: {rows:?}"
    );
    let csrf_value = csrf(n0, "/runs/1/cancel", &cookie);
    assert!(
        !rows[0].contains(&cookie) && !rows[0].contains(&csrf_value),
        "neither the cookie nor the CSRF token is stored: {rows:?}"
    );

    let logout = format!("Cookie: gantry_session={cookie}");
    let (code, h, _) = http("POST", &format!("{}/logout", n1.base), &[&logout], None);
    assert_eq!((code, header(&h, "location")), (303, "/login"));
    let (code, to) = get(n0, "/runs", &cookie);
    assert_eq!(
        (code, to.as_str()),
        (303, "/login?next=/runs"),
        "logged out on node-1, refused on node-0"
    );
    let (code, _) = get(n1, "/runs", &cookie);
    assert_eq!(code, 303, "and on node-1");
    assert!(session_rows(&c.db.url).await.is_empty(), "the row is gone");
}

/// While PostgreSQL is down, pages answer 503 (the session cannot be checked) and a login
/// with a right token starts no session; once it is back, the session opens pages again.
#[test]
fn without_the_store_pages_say_so_and_nobody_logs_in() {
    let c = Cluster::start(&Setup {
        instances: 1,
        workflow: "on: push\njobs: {}\n",
        hook_workflow: "on: push\njobs: {}\n",
        lease_secs: 10,
        extra: "",
        tables: &no_tables,
        own_server: true,
    });
    let s = &c.nodes[0];
    let cookie = login(s);
    let server = c.server.as_ref().expect("a server of its own");
    server.stop();
    let (code, body) = get(s, "/runs", &cookie);
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("cannot be reached"), "{body}");
    let url = format!("{}/login", s.base);
    let (code, h, body) = http("POST", &url, &[FORM], Some(&format!("token={API_TOKEN}")));
    assert_eq!(code, 503, "{body}");
    assert_eq!(header(&h, "set-cookie"), "", "no session without the store");
    server.start_server();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (code, body) = get(s, "/runs", &cookie);
        if code == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the store came back, the session did not: {code} {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
