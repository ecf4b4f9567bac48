//! Test support shared by the filter, cron and uses tests: a seeded pseudo-random
//! generator for fuzzing without dependencies, and access to the shared corpus of real
//! workflows (with the little YAML scalar reading the corpus tests need).

/// A deterministic xorshift generator: fuzzing without a dependency, reproducible by seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn string(&mut self, alphabet: &[&str], max: usize) -> String {
        let len = self.below(max + 1);
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

/// The shared corpus of real workflows and actions: `$GANTRY_CORPUS` when set (as the main
/// crate's integration tests honour it), else `$CARGO_MANIFEST_DIR/../shared/corpus`, else
/// `/work/shared/corpus`. A missing corpus is a loud failure, not a silent pass.
pub(crate) fn corpus_dir() -> std::path::PathBuf {
    use std::path::PathBuf;
    let candidates = match std::env::var_os("GANTRY_CORPUS") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
            PathBuf::from("/work/shared/corpus"),
        ],
    };
    match candidates.iter().find(|d| d.join("workflows").is_dir()) {
        Some(dir) => dir.clone(),
        None => panic!("the shared corpus is missing: looked in {candidates:?}"),
    }
}

/// Every `.yml`/`.yaml` file of the corpus, sorted by path, with its text.
pub(crate) fn corpus_files() -> Vec<(std::path::PathBuf, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&corpus_dir(), &mut paths);
    paths.sort();
    assert!(
        paths.len() > 100,
        "only {} YAML files in the corpus",
        paths.len()
    );
    paths
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

/// The value of a one-line YAML scalar: quotes removed (with `''` and `\"` unescaped),
/// trailing `# comment` dropped.
pub(crate) fn yaml_scalar(s: &str) -> String {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('\'') {
        let mut out = String::new();
        let mut it = rest.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '\'' if it.peek() == Some(&'\'') => {
                    it.next();
                    out.push('\'');
                }
                '\'' => break,
                c => out.push(c),
            }
        }
        return out;
    }
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut it = rest.chars();
        while let Some(c) = it.next() {
            match c {
                '\\' => out.extend(it.next()),
                '"' => break,
                c => out.push(c),
            }
        }
        return out;
    }
    let end = s.find(" #").unwrap_or(s.len());
    s[..end].trim().to_string()
}
