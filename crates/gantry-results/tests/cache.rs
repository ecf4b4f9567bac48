//! actions/cache@v4.3.0, unmodified: main (restore) and post (save) as the runner runs them,
//! over cache v2 (Twirp) and v1 (REST); scoping by repository and branch.

mod common;

use std::collections::HashMap;

use common::{content, read, run_step, start, write, Harness, Job, JobSpec, Outcome, Step};
use gantry_results::CacheProtocol;

const CACHE: &str = "cache@v4.3.0";

/// The main step, then (as `post-if: success()`) the post step with the main step's state.
async fn cache_job(job: &Job, key: &str, restore_keys: &str) -> (Outcome, Outcome) {
    let inputs = [
        ("path", "deps"),
        ("key", key),
        ("restore-keys", restore_keys),
    ];
    let main = run_step(
        job,
        Step {
            action: CACHE,
            script: "dist/restore/index.js",
            inputs: &inputs,
            state: HashMap::new(),
        },
    )
    .await;
    main.expect_success("cache main");
    let post = run_step(
        job,
        Step {
            action: CACHE,
            script: "dist/save/index.js",
            inputs: &inputs,
            state: main.state.clone(),
        },
    )
    .await;
    post.expect_success("cache post");
    (main, post)
}

fn hit(out: &Outcome) -> bool {
    out.outputs.get("cache-hit").map(String::as_str) == Some("true")
}

fn job(h: &Harness, run_id: u64, repository: &str, git_ref: &str) -> Job {
    h.job(JobSpec {
        run_id,
        job_id: "build",
        repository,
        git_ref,
    })
}

async fn save_then_restore(protocol: CacheProtocol) -> Harness {
    let h = start(protocol).await;
    let key = format!("deps-{protocol:?}-1");
    let bytes = content(7, 200_000);
    let first = job(&h, 1, "octo/widgets", "refs/heads/main");
    write(first.workspace.path(), "deps/lib.bin", &bytes);
    write(first.workspace.path(), "deps/nested/info.txt", b"nested\n");
    let (main, post) = cache_job(&first, &key, "").await;
    assert!(!hit(&main), "first run misses: {:?}", main.outputs);
    assert!(post.stdout.contains("Cache saved"), "{}", post.stdout);
    let version = match protocol {
        CacheProtocol::V1 => "Cache service version: v1",
        CacheProtocol::V2 => "Cache service version: v2",
    };
    assert!(
        main.stdout.contains(version) && post.stdout.contains(version),
        "{}",
        post.stdout
    );
    let listed = h.service.list_caches("octo/widgets").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].key.as_str(), listed[0].git_ref.as_str()),
        (key.as_str(), "refs/heads/main")
    );

    let second = job(&h, 2, "octo/widgets", "refs/heads/main");
    let (main, _) = cache_job(&second, &key, "").await;
    assert!(hit(&main), "second run hits: {}", main.stdout);
    assert_eq!(read(second.workspace.path(), "deps/lib.bin"), bytes);
    assert_eq!(
        read(second.workspace.path(), "deps/nested/info.txt"),
        b"nested\n"
    );

    let other_repo = job(&h, 3, "octo/other", "refs/heads/main");
    let (main, _) = cache_job(&other_repo, &key, "deps-").await;
    assert!(
        !hit(&main) && !main.stdout.contains("Cache restored"),
        "{}",
        main.stdout
    );
    assert!(!other_repo.workspace.path().join("deps/lib.bin").exists());
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_v2_saves_and_restores_across_runs() {
    let h = save_then_restore(CacheProtocol::V2).await;
    branch_scoping(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_v1_saves_and_restores_across_runs() {
    save_then_restore(CacheProtocol::V1).await;
}

/// A feature branch restores the default branch's cache; what it saves stays on its ref.
async fn branch_scoping(h: &Harness) {
    let feature = job(h, 10, "octo/widgets", "refs/heads/feature");
    write(
        feature.workspace.path(),
        "deps/feature.txt",
        b"from feature\n",
    );
    let (main, post) = cache_job(&feature, "feature-only-1", "deps-").await;
    assert!(
        main.stdout.contains("Cache restored"),
        "restored from main: {}",
        main.stdout
    );
    assert!(!hit(&main), "a restore-key match is no exact hit");
    assert!(read(feature.workspace.path(), "deps/lib.bin").len() == 200_000);
    assert!(post.stdout.contains("Cache saved"), "{}", post.stdout);

    let on_main = job(h, 11, "octo/widgets", "refs/heads/main");
    let (main, _) = cache_job(&on_main, "feature-only-1", "feature-only-").await;
    assert!(
        !main.stdout.contains("Cache restored"),
        "main does not see the feature's cache: {}",
        main.stdout
    );

    let feature_again = job(h, 12, "octo/widgets", "refs/heads/feature");
    let (main, _) = cache_job(&feature_again, "feature-only-1", "").await;
    assert!(
        hit(&main),
        "the feature branch sees its own cache: {}",
        main.stdout
    );
    assert_eq!(
        read(feature_again.workspace.path(), "deps/feature.txt"),
        b"from feature\n"
    );
}
