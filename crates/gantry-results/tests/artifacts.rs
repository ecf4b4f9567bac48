//! upload-artifact@v4.6.2 and download-artifact@v4.3.0, unmodified, against the service:
//! contents byte for byte, name uniqueness and overwrite, run scoping.

mod common;

use std::collections::HashMap;

use common::{content, read, run_step, start, write, Harness, JobSpec, Step};
use gantry_results::CacheProtocol;

const UPLOAD: &str = "upload-artifact@v4.6.2";
const DOWNLOAD: &str = "download-artifact@v4.3.0";

fn upload<'a>(inputs: &'a [(&'a str, &'a str)]) -> Step<'a> {
    Step {
        action: UPLOAD,
        script: "dist/upload/index.js",
        inputs,
        state: HashMap::new(),
    }
}

fn download<'a>(inputs: &'a [(&'a str, &'a str)]) -> Step<'a> {
    Step {
        action: DOWNLOAD,
        script: "dist/index.js",
        inputs,
        state: HashMap::new(),
    }
}

fn spec(run_id: u64, job_id: &str) -> JobSpec<'_> {
    JobSpec {
        run_id,
        job_id,
        repository: "octo/widgets",
        git_ref: "refs/heads/main",
    }
}

/// What the producing job uploaded, to compare downloads with.
struct Uploaded {
    single: Vec<u8>,
    a: Vec<u8>,
    b: Vec<u8>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_round_trip_through_the_official_actions() {
    let h = start(CacheProtocol::V2).await;
    let uploaded = produce(&h).await;
    consume(&h, &uploaded).await;

    let stranger = h.job(spec(2002, "build"));
    let out = run_step(&stranger, download(&[("name", "single"), ("path", "x")])).await;
    assert!(
        !out.success,
        "another run does not see run 1001's artifacts"
    );
    assert!(out.stdout.contains("not found"), "{}", out.stdout);
    assert!(!stranger.workspace.path().join("x/single.bin").exists());
    assert!(h.service.list_artifacts(2002).await.unwrap().is_empty());
}

/// Job `build` of run 1001 uploads a file, a directory (9 MB: more than one 8 MB block),
/// and two parts; a second `tree` is refused until `overwrite: true`.
async fn produce(h: &Harness) -> Uploaded {
    let producer = h.job(spec(1001, "build"));
    let ws = producer.workspace.path();
    let up = Uploaded {
        single: content(1, 300_000),
        a: content(2, 10_000),
        b: content(3, 9_000_000),
    };
    write(ws, "single.bin", &up.single);
    write(ws, "dist/a.txt", &up.a);
    write(ws, "dist/sub/b.bin", &up.b);
    write(ws, "p1.txt", b"part one\n");
    write(ws, "p2.txt", b"part two\n");
    let steps: &[&[(&str, &str)]] = &[
        &[("name", "single"), ("path", "single.bin")],
        &[("name", "tree"), ("path", "dist")],
        &[
            ("name", "part-1"),
            ("path", "p1.txt"),
            ("retention-days", "3"),
        ],
        &[("name", "part-2"), ("path", "p2.txt")],
    ];
    for inputs in steps {
        let out = run_step(&producer, upload(inputs)).await;
        out.expect_success(&format!("upload {inputs:?}"));
        let id = out.outputs.get("artifact-id");
        assert!(id.is_some_and(|id| !id.is_empty()), "{:?}", out.outputs);
    }
    let again = run_step(&producer, upload(&[("name", "tree"), ("path", "dist")])).await;
    assert!(
        !again.success,
        "a second artifact named tree in one run is refused"
    );
    assert!(
        again.stdout.contains("(409)"),
        "a conflict:\n{}",
        again.stdout
    );
    let overwrite = [("name", "tree"), ("path", "dist"), ("overwrite", "true")];
    let out = run_step(&producer, upload(&overwrite)).await;
    out.expect_success("upload with overwrite");

    let listed = h.service.list_artifacts(1001).await.unwrap();
    let mut names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["part-1", "part-2", "single", "tree"]);
    let single = listed.iter().find(|s| s.name == "single").unwrap();
    let kept = single.expires_at - single.created_at;
    assert!(kept > chrono::Duration::days(89) && kept <= chrono::Duration::days(90));
    let part = listed.iter().find(|s| s.name == "part-1").unwrap();
    let kept = part.expires_at - part.created_at;
    assert!(
        kept > chrono::Duration::days(2) && kept <= chrono::Duration::days(3),
        "retention-days: 3"
    );
    up
}

/// Job `deploy` of the same run downloads by name, all, and merged by pattern.
async fn consume(h: &Harness, up: &Uploaded) {
    let consumer = h.job(spec(1001, "deploy"));
    let cws = consumer.workspace.path();
    let by_name = [("name", "single"), ("path", "one")];
    let out = run_step(&consumer, download(&by_name)).await;
    out.expect_success("download by name");
    assert_eq!(read(cws, "one/single.bin"), up.single);

    let out = run_step(&consumer, download(&[("path", "all")])).await;
    out.expect_success("download all");
    assert_eq!(read(cws, "all/single/single.bin"), up.single);
    assert_eq!(read(cws, "all/tree/a.txt"), up.a);
    assert_eq!(read(cws, "all/tree/sub/b.bin"), up.b);

    let merged = [
        ("pattern", "part-*"),
        ("merge-multiple", "true"),
        ("path", "merged"),
    ];
    let out = run_step(&consumer, download(&merged)).await;
    out.expect_success("download merge-multiple");
    assert_eq!(read(cws, "merged/p1.txt"), b"part one\n");
    assert_eq!(read(cws, "merged/p2.txt"), b"part two\n");
}
