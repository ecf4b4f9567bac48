//! Planning one push event against every corpus workflow: trigger checks, input typing,
//! job ordering, matrix expansion. Reported per workflow (goal: under 50 µs each).

#[path = "corpus.rs"]
mod corpus;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gantry_core::validate::{check_text, FileKind};
use gantry_plan::event::PushSpec;
use gantry_plan::{plan, resolve::NoFiles, PlanOptions, WorkflowFile};

fn bench(c: &mut Criterion) {
    let texts = corpus::workflows();
    let models: Vec<_> = texts
        .iter()
        .map(|(p, t)| (p.clone(), check_text(t, FileKind::Workflow).workflow))
        .collect();
    let files: Vec<WorkflowFile<'_>> = models
        .iter()
        .map(|(p, w)| WorkflowFile {
            path: p,
            workflow: w.as_ref(),
            errors: Vec::new(),
        })
        .collect();
    let push = PushSpec {
        git_ref: "refs/heads/main".into(),
        after: "a".repeat(40),
        repository: Some("octo/repo".into()),
        changed_files: Some(vec!["src/main.rs".into(), "README.md".into()]),
        ..Default::default()
    }
    .into_event();
    let opts = PlanOptions::default();
    let matched = plan(&push, &files, &opts, &NoFiles)
        .workflows
        .iter()
        .filter(|w| w.matched)
        .count();
    println!("{} workflows, {matched} match the push", files.len());
    let mut g = c.benchmark_group("plan");
    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function("push against every corpus workflow", |b| {
        b.iter(|| plan(&push, &files, &opts, &NoFiles))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
