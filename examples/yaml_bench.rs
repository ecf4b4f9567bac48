//! Parse throughput over the corpus: `cargo run --release --example yaml_bench`.
use std::time::Instant;

fn walk(d: &std::path::Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(s) = std::fs::read_to_string(&p) {
            out.push(s);
        }
    }
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpus/workflows".into());
    let mut files = Vec::new();
    walk(std::path::Path::new(&root), &mut files);
    let bytes: usize = files.iter().map(String::len).sum();
    let mut best = f64::MAX;
    // Into an arena reset per file, as `gantry validate` parses.
    let mut arena = gantry_core::yaml::Bump::new();
    for _ in 0..20 {
        let t = Instant::now();
        for f in &files {
            std::hint::black_box(gantry_core::yaml::parse_in(f, &arena).is_ok());
            arena.reset();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} files, {} bytes: best {:.2} ms, {:.0} MB/s",
        files.len(),
        bytes,
        best * 1e3,
        bytes as f64 / best / 1e6
    );
}
