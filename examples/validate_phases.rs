//! Time per validation phase over the corpus, single-threaded: `cargo run --release --example validate_phases`.
use gantry::diag::Diagnostics;
use gantry::model::lower::{lower_workflow, Cx};
use gantry::validate::{check_text, FileKind};
use std::time::Instant;

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
    let trees: Vec<_> = files
        .iter()
        .filter_map(|f| gantry::yaml::parse(f).ok().flatten())
        .collect();
    let parse = best(&|| {
        for f in &files {
            std::hint::black_box(gantry::yaml::parse(f).ok());
        }
    });
    let lower = best(&|| {
        for t in &trees {
            let mut d = Diagnostics::new();
            std::hint::black_box(lower_workflow(t, &mut Cx::new(&mut d)));
        }
    });
    let all = best(&|| {
        for f in &files {
            std::hint::black_box(check_text(f, FileKind::Workflow));
        }
    });
    println!("parse {parse:.1} ms, lower {lower:.1} ms, everything {all:.1} ms (so validation ≈ {:.1} ms)", all - parse - lower);
}
