//! The services over an S3-compatible bucket (moto's server, a real S3 API on 127.0.0.1,
//! installed by scripts/setup-s3.sh): upload-artifact and download-artifact, unmodified,
//! round-trip a file and a directory through it, and actions/cache saves an entry that a
//! second run restores — the same clients as over a directory, with `object_store`'s S3
//! client underneath.

mod common;

use common::{content, read, run_step, start_with_storage, write, JobSpec, Step};
use gantry_results::StorageConfig;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// moto's server on a free port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GANTRY_MOTO`, else what scripts/setup-s3.sh installs (it prints the path).
fn moto_program() -> PathBuf {
    if let Some(p) = std::env::var_os("GANTRY_MOTO") {
        return PathBuf::from(p);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/setup-s3.sh");
    let out = Command::new("bash").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "scripts/setup-s3.sh failed (it installs moto's S3 server from PyPI): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(moto_program())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting moto_server");
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// Creates the bucket (moto accepts unsigned requests).
async fn create_bucket(endpoint: &str, bucket: &str) {
    let status = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "creating the bucket: {status}");
}

fn step<'a>(action: &'a str, script: &'a str, inputs: &'a [(&'a str, &'a str)]) -> Step<'a> {
    Step {
        action,
        script,
        inputs,
        state: HashMap::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_and_caches_round_trip_through_an_s3_bucket() {
    let moto = start_moto();
    create_bucket(&moto.endpoint, "gantry-results").await;
    let store = StorageConfig::S3 {
        bucket: "gantry-results".into(),
        endpoint: Some(moto.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: Some("test".into()),
        secret_access_key_env: None,
        allow_http: true,
    };
    let h = start_with_storage(store, tempfile::tempdir().unwrap(), |_| {}).await;
    let spec = |run_id, job_id| JobSpec {
        run_id,
        job_id,
        repository: "octo/widgets",
        git_ref: "refs/heads/main",
    };
    let producer = h.job(spec(7, "build"));
    let (single, big) = (content(11, 200_000), content(12, 9_000_000));
    write(producer.workspace.path(), "single.bin", &single);
    write(producer.workspace.path(), "tree/big.bin", &big);
    for inputs in [
        &[("name", "one"), ("path", "single.bin")],
        &[("name", "tree"), ("path", "tree")],
    ] {
        let out = run_step(
            &producer,
            step("upload-artifact@v4.6.2", "dist/upload/index.js", inputs),
        )
        .await;
        out.expect_success(&format!("upload {inputs:?}"));
    }
    let consumer = h.job(spec(7, "use"));
    let out = run_step(
        &consumer,
        step(
            "download-artifact@v4.3.0",
            "dist/index.js",
            &[("path", "all")],
        ),
    )
    .await;
    out.expect_success("download all");
    assert_eq!(
        read(consumer.workspace.path(), "all/one/single.bin"),
        single
    );
    assert_eq!(read(consumer.workspace.path(), "all/tree/big.bin"), big);
    assert_eq!(h.service.list_artifacts(7).await.unwrap().len(), 2);

    let inputs: &[(&str, &str)] = &[("path", "deps"), ("key", "deps-s3")];
    let first = h.job(spec(8, "build"));
    write(first.workspace.path(), "deps/lib.bin", b"cached bytes");
    let main = run_step(
        &first,
        step("cache@v4.3.0", "dist/restore/index.js", inputs),
    )
    .await;
    main.expect_success("restore (miss)");
    let post = Step {
        state: main.state.clone(),
        ..step("cache@v4.3.0", "dist/save/index.js", inputs)
    };
    run_step(&first, post).await.expect_success("save");
    let second = h.job(spec(9, "build"));
    let restored = run_step(
        &second,
        step("cache@v4.3.0", "dist/restore/index.js", inputs),
    )
    .await;
    restored.expect_success("restore (hit)");
    assert_eq!(
        restored.outputs.get("cache-hit").map(String::as_str),
        Some("true"),
        "{restored:?}"
    );
    assert_eq!(
        read(second.workspace.path(), "deps/lib.bin"),
        b"cached bytes"
    );
}
