//! A throw-away PostgreSQL cluster for the store's tests: Debian's server binaries
//! (`scripts/setup-postgres.sh`), `initdb` into a temporary directory, `pg_ctl start` on
//! 127.0.0.1 and a free port, one fresh database per test, `pg_ctl stop -m immediate` when
//! the last test using it lets go. `initdb` refuses to run as root, so as root the cluster
//! runs as `nobody` (through `runuser`), in a directory handed to it.
//!
//! Tests running at once share one cluster (a second `initdb` per test costs seconds on a
//! shared machine); each gets its own database, so they cannot see each other's rows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// How to get the binaries, said by every failure to start the cluster.
const FIX: &str = "run scripts/setup-postgres.sh (Debian's postgresql package) and export GANTRY_PG_BIN=<the directory it prints>";

/// A running cluster; stopped when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_nobody: bool,
}

/// The cluster the tests running now share.
static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A database of its own on a live cluster, with the URL to reach it.
pub struct Database {
    pub url: String,
    /// Keeps the cluster up while the test uses the database.
    _cluster: Arc<Cluster>,
}

/// A fresh empty database (panics, saying how to fix it, when PostgreSQL cannot start).
pub fn database() -> Database {
    create(shared())
}

/// A database on a cluster of its own, for a test that stops and starts the server.
pub fn own_database() -> (Database, Arc<Cluster>) {
    let cluster = Arc::new(Cluster::start());
    (create(cluster.clone()), cluster)
}

/// A database on a cluster of its own that takes TLS (`ssl = on`) with this certificate and
/// key (PEM), and clear connections too (the clients' `sslmode` decides).
pub fn tls_database(cert_pem: &str, key_pem: &str) -> (Database, Arc<Cluster>) {
    let cluster = Arc::new(Cluster::start_with(Some((cert_pem, key_pem))));
    (create(cluster.clone()), cluster)
}

fn create(cluster: Arc<Cluster>) -> Database {
    let name = format!(
        "t{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::SeqCst)
    );
    cluster.run(
        "createdb",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "gantry",
            &name,
        ],
    );
    Database {
        url: format!("postgres://gantry@127.0.0.1:{}/{name}", cluster.port),
        _cluster: cluster,
    }
}

fn shared() -> Arc<Cluster> {
    let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = slot.upgrade() {
        return c;
    }
    let c = Arc::new(Cluster::start());
    *slot = Arc::downgrade(&c);
    c
}

/// The directory of `initdb` and `pg_ctl`: `GANTRY_PG_BIN`, else the newest Debian one.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GANTRY_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort_by_key(|p| {
        let major = p.parent().and_then(Path::file_name);
        major
            .and_then(|m| m.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    match found.pop() {
        Some(b) => b,
        None => panic!("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: {FIX}"),
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
    l.local_addr().expect("the port's address").port()
}

fn is_root() -> bool {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .expect("running `id -u`");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

impl Cluster {
    fn start() -> Cluster {
        Self::start_with(None)
    }

    fn start_with(tls: Option<(&str, &str)>) -> Cluster {
        let bin = bin_dir();
        assert!(
            bin.join("initdb").exists(),
            "no initdb in {}: {FIX}",
            bin.display()
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let as_nobody = is_root();
        if as_nobody {
            // initdb refuses root: the cluster is nobody's, in a directory it owns.
            let ok = Command::new("chown")
                .args(["nobody:nogroup"])
                .arg(dir.path())
                .status();
            assert!(
                ok.is_ok_and(|s| s.success()),
                "chown of the cluster's directory to nobody"
            );
        }
        let c = Cluster {
            bin,
            dir,
            port: free_port(),
            as_nobody,
        };
        let data = c.dir.path().join("data");
        let data = data.to_str().expect("a UTF-8 temporary path");
        c.run(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "gantry",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
                data,
            ],
        );
        if let Some((cert, key)) = tls {
            c.take_tls(cert, key);
        }
        c.start_server();
        c
    }

    /// Puts the server's certificate and key in its data directory (the key readable by the
    /// server's user only, as PostgreSQL demands) and turns `ssl` on.
    fn take_tls(&self, cert: &str, key: &str) {
        use std::os::unix::fs::PermissionsExt;
        let data = self.dir.path().join("data");
        for (name, text, mode) in [("server.crt", cert, 0o644), ("server.key", key, 0o600)] {
            let path = data.join(name);
            std::fs::write(&path, text).expect("writing the server's TLS files");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .expect("the TLS file's mode");
            if self.as_nobody {
                let ok = Command::new("chown")
                    .arg("nobody:nogroup")
                    .arg(&path)
                    .status();
                assert!(ok.is_ok_and(|s| s.success()), "chown of {name} to nobody");
            }
        }
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::write(&conf, text).expect("postgresql.conf");
    }

    /// Starts the server on the cluster's directory and port (again, after [`Cluster::stop`]).
    pub fn start_server(&self) {
        let data = self.dir.path().join("data");
        let data = data.to_str().expect("a UTF-8 temporary path");
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        let log = log.to_str().expect("a UTF-8 temporary path");
        self.run(
            "pg_ctl",
            &["start", "-w", "-D", data, "-l", log, "-o", &opts],
        );
    }

    /// Stops the server at once, as a crash would (`-m immediate`).
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        let data = data.to_str().expect("a UTF-8 temporary path");
        self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", data]);
    }

    /// Runs one of the server's programs (as nobody when root).
    fn output(&self, program: &str, args: &[&str]) -> std::io::Result<std::process::Output> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        // nobody cannot enter root's working directory (the crate's, under cargo test).
        cmd.args(args).current_dir(self.dir.path()).output()
    }

    /// As [`Cluster::output`]; panics with the program's output (and how to fix it) on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .output(program, args)
            .unwrap_or_else(|e| panic!("starting {program} in {}: {e}: {FIX}", self.bin.display()));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            panic!(
                "{program} {args:?} failed ({}): {}{}\nserver log:\n{log}\n{FIX}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let Some(data) = data.to_str() else { return };
        // A test may have stopped it already: then pg_ctl says so, and that is fine.
        let stopped = self.output("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", data]);
        if stopped.is_err() {
            eprintln!(
                "the test PostgreSQL cluster in {} did not stop",
                self.dir.path().display()
            );
        }
    }
}

#[test]
fn a_cluster_starts_and_gives_each_test_its_own_database() {
    let a = database();
    let b = database();
    assert_ne!(a.url, b.url);
    assert!(
        a.url.starts_with("postgres://gantry@127.0.0.1:"),
        "{}",
        a.url
    );
}
