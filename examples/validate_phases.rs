//! Time per validation phase over the corpus, single-threaded: `cargo run --release --example validate_phases`.
use gantry_core::diag::Diagnostics;
use gantry_core::model::lower::{lower_workflow, Cx};
use gantry_core::validate::{validate_workflow, LineIndex, Source};
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpus/workflows".into());
    let mut files = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(e.unwrap().path()).unwrap() {
            files.push(std::fs::read_to_string(f.unwrap().path()).unwrap());
        }
    }
    let best = |f: &dyn Fn()| {
        (0..10)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::MAX, f64::min)
    };
    // One arena holds every tree here; `gantry validate` resets its arena per file.
    let arena = gantry_core::yaml::Bump::new();
    let trees: Vec<_> = files
        .iter()
        .map(|f| gantry_core::yaml::parse_in(f, &arena).ok().flatten())
        .collect();
    let models: Vec<_> = trees
        .iter()
        .map(|t| {
            t.as_ref()
                .map(|t| lower_workflow(t, &mut Cx::new(&mut Diagnostics::new())))
        })
        .collect();
    let checks = || {
        for (f, m) in files.iter().zip(&models) {
            let Some(m) = m else { continue };
            let index = LineIndex::new(f);
            let mut d = Diagnostics::new();
            validate_workflow(
                m,
                &Source {
                    text: f,
                    index: &index,
                },
                &mut d,
            );
            std::hint::black_box(d.len());
        }
    };
    // ONLY_CHECKS=1 loops over the checks alone, for a profiler.
    if std::env::var_os("ONLY_CHECKS").is_some() {
        (0..20).for_each(|_| checks());
        return;
    }
    let parse = best(&|| {
        let mut arena = gantry_core::yaml::Bump::new();
        for f in &files {
            std::hint::black_box(gantry_core::yaml::parse_in(f, &arena).is_ok());
            arena.reset();
        }
    });
    let lower = best(&|| {
        for t in trees.iter().flatten() {
            let mut d = Diagnostics::new();
            std::hint::black_box(lower_workflow(t, &mut Cx::new(&mut d)));
        }
    });
    let check = best(&checks);
    // The owned trees tests and the model use, copied out of the arena and dropped.
    let owned_trees = best(&|| {
        let t: Vec<_> = files
            .iter()
            .map(|f| gantry_core::yaml::parse(f).ok().flatten())
            .collect();
        drop(t);
    });
    println!("parse {parse:.1} ms (owned trees, copied and dropped: {owned_trees:.1}), lower {lower:.1} ms, checks {check:.1} ms");
}
