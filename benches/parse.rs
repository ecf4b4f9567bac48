//! YAML parsing and full validation (parse, lower, check) of every corpus workflow, in one
//! thread; `scripts/bench-validate.sh` measures the whole `gantry validate` process.

#[path = "corpus.rs"]
mod corpus;

/// The binary's allocator, so that figures match `gantry validate`.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gantry_core::model::lower::{lower_workflow, Cx};
use gantry_core::validate::{check_text, FileKind};

fn bench(c: &mut Criterion) {
    let texts = corpus::workflows();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(30);
    // The arena is reset between files, as `gantry validate` does.
    let mut arena = gantry_core::yaml::Bump::new();
    g.bench_function("yaml parse", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|(_, t)| {
                    let ok = gantry_core::yaml::parse_in(t, &arena).is_ok() as usize;
                    arena.reset();
                    ok
                })
                .sum::<usize>()
        })
    });
    g.bench_function("parse and lower", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|(_, t)| {
                    let jobs = match gantry_core::yaml::parse_in(t, &arena) {
                        Ok(Some(root)) => {
                            let mut diags = gantry_core::diag::Diagnostics::new();
                            let wf = lower_workflow(&root, &mut Cx::new(&mut diags));
                            wf.jobs.len()
                        }
                        _ => 0,
                    };
                    arena.reset();
                    jobs
                })
                .sum::<usize>()
        })
    });
    g.bench_function("validate (parse, lower, check)", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|(_, t)| check_text(t, FileKind::Workflow).diagnostics.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
