//! A real OpenBao (Vault API) dev server per test, on free loopback ports, killed when the
//! guard drops; plus the few API calls the tests use to set it up (KV v2 secrets, an AppRole
//! with a policy that can read only some paths). The binary comes from
//! scripts/setup-vault.sh; a test that cannot find it fails and says so.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Bao {
    child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
}

fn bao_binary() -> PathBuf {
    let p = std::env::var_os("GANTRY_BAO")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/gantry-setup/bin/bao")
        });
    assert!(
        p.is_file(),
        "the OpenBao server is missing at {} (run scripts/setup-vault.sh, or set GANTRY_BAO)",
        p.display()
    );
    p
}

/// A port p with p+1 free too (the dev server's cluster listener takes port + 1).
fn free_pair() -> u16 {
    for _ in 0..200 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        if p < 65000 && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no free pair of ports");
}

fn ready(addr: &str) -> bool {
    Command::new("curl")
        .args(["-fs", "-H", "X-Vault-Token: root"])
        .arg(format!("{addr}/v1/sys/mounts/secret"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A dev server on `port` with root token `root`, its home in `dir`.
fn spawn_dev(dir: &std::path::Path, port: u16) -> Child {
    Command::new(bao_binary())
        .args([
            "server",
            "-dev",
            "-dev-root-token-id=root",
            "-dev-no-store-token",
        ])
        .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
        .env("HOME", dir)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

impl Bao {
    /// A `secrets_config` file in `conf` for `gantry serve`: this server with the root
    /// token, and hook `deploy`'s `TOKEN` from the KV v2 reference `reference`.
    pub fn hook_secrets_config(&self, conf: &std::path::Path, reference: &str) -> PathBuf {
        let token = conf.join("token");
        std::fs::write(&token, "root").unwrap();
        let secrets = conf.join("secrets.toml");
        std::fs::write(
            &secrets,
            format!(
                "[vault]\naddress = \"{}\"\ntoken_file = \"{}\"\n[tenants.\"hook:deploy\".secrets]\nTOKEN = \"{reference}\"\n",
                self.addr,
                token.display()
            ),
        )
        .unwrap();
        secrets
    }

    /// Stops the server (Vault becomes unreachable at its address).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a fresh dev server at the same address (a dev server keeps nothing: the test
    /// puts its secrets again).
    pub fn restart(&mut self) {
        self.stop();
        let port: u16 = self.addr.rsplit(':').next().unwrap().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        self.child = spawn_dev(self.dir.path(), port);
        while !ready(&self.addr) {
            if let Ok(Some(_)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(200));
                self.child = spawn_dev(self.dir.path(), port);
            }
            assert!(Instant::now() < deadline, "OpenBao did not come back");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn start() -> Bao {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_pair();
            let addr = format!("http://127.0.0.1:{port}");
            let mut child = spawn_dev(dir.path(), port);
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if ready(&addr) {
                    return Bao { child, addr, dir };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the OpenBao dev server did not start");
    }

    /// One API call with the root token; `None` when it fails.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Option<Value> {
        self.api_as("root", method, path, body)
    }

    pub fn api_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        self.api_ns(token, "", method, path, body)
    }

    /// An API call in a namespace (`""` for the root namespace).
    pub fn api_ns(
        &self,
        token: &str,
        namespace: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        let mut c = Command::new("curl");
        c.args(["-fsS", "-X", method, "-H"])
            .arg(format!("X-Vault-Token: {token}"))
            .arg(format!("{}/v1/{path}", self.addr));
        if !namespace.is_empty() {
            c.arg("-H").arg(format!("X-Vault-Namespace: {namespace}"));
        }
        if let Some(b) = body {
            c.args(["-H", "Content-Type: application/json", "-d"])
                .arg(b.to_string());
        }
        let o = c.output().ok()?;
        if !o.status.success() {
            return None;
        }
        Some(serde_json::from_slice(&o.stdout).unwrap_or(Value::Null))
    }

    pub fn put_kv2(&self, path: &str, data: Value) {
        self.api(
            "POST",
            &format!("secret/data/{path}"),
            Some(json!({ "data": data })),
        )
        .expect("writing a KV v2 secret");
    }

    /// Enables AppRole with a role whose policy reads only `secret/data/<allowed>`; writes
    /// its role id and secret id to files and returns their paths.
    pub fn approle(&self, allowed: &str) -> (PathBuf, PathBuf) {
        self.approle_with_ttl(allowed, "20m")
    }

    pub fn approle_with_ttl(&self, allowed: &str, ttl: &str) -> (PathBuf, PathBuf) {
        self.api("POST", "sys/auth/approle", Some(json!({"type": "approle"})))
            .expect("enabling approle");
        let policy = format!("path \"secret/data/{allowed}\" {{ capabilities = [\"read\"] }}");
        self.api(
            "PUT",
            "sys/policies/acl/gantry-ci",
            Some(json!({ "policy": policy })),
        )
        .expect("writing the policy");
        self.api(
            "POST",
            "auth/approle/role/gantry",
            Some(json!({"token_policies": ["gantry-ci"], "token_ttl": ttl, "token_max_ttl": "1h"})),
        )
        .expect("creating the role");
        let role_id = self
            .api("GET", "auth/approle/role/gantry/role-id", None)
            .unwrap()["data"]["role_id"]
            .as_str()
            .unwrap()
            .to_string();
        let secret_id = self
            .api(
                "POST",
                "auth/approle/role/gantry/secret-id",
                Some(json!({})),
            )
            .unwrap()["data"]["secret_id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = self.dir.path().join("role-id");
        let s = self.dir.path().join("secret-id");
        std::fs::write(&r, role_id).unwrap();
        std::fs::write(&s, secret_id).unwrap();
        (r, s)
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
