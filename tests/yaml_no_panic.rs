//! Robustness: the parser must never panic, hang or overflow its stack, whatever it is
//! fed. Thousands of deterministic mutations of corpus files (truncations, bytes turned
//! into YAML indicators, duplicated, dropped and re-indented lines) go through `parse`;
//! every error must point inside the input and every span must agree with its offset.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use gantry_core::yaml::node::{Node, NodeKind, Pos};
use gantry_core::yaml::parse;

fn corpus_files() -> Vec<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let root = std::env::var_os("GANTRY_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/corpus")])
        .find(|r| r.join("workflows").is_dir())
        .expect("YAML corpus not found: set GANTRY_CORPUS or put it at ../shared/corpus");
    let mut files = Vec::new();
    for sub in ["workflows", "actions"] {
        collect(&root.join(sub), &mut files);
    }
    files.sort();
    assert!(files.len() > 100, "only {} corpus files found", files.len());
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("corpus folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

/// xorshift64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

const INDICATORS: &[u8] = b":-[]{}#&*!|>'\"%@` \t\n";

/// Line starts and per-byte character counts of a text, to check reported positions
/// against offsets without rescanning.
struct Lines {
    starts: Vec<usize>,
    chars_before: Vec<u32>,
    bom: bool,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let b = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\r' if b.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    starts.push(i);
                }
                b'\n' | b'\r' => {
                    i += 1;
                    starts.push(i);
                }
                _ => i += 1,
            }
        }
        let mut chars_before = Vec::with_capacity(b.len() + 1);
        let mut n = 0;
        for &byte in b {
            chars_before.push(n);
            n += u32::from((byte as i8) >= -0x40);
        }
        chars_before.push(n);
        Lines {
            starts,
            chars_before,
            bom: text.starts_with('\u{feff}'),
        }
    }

    /// The position an offset should be reported as; the file's BOM is not a column.
    fn pos(&self, offset: usize) -> Pos {
        let line = self.starts.partition_point(|&s| s <= offset);
        let mut start = self.starts[line - 1];
        if start == 0 && self.bom && offset >= 3 {
            start = 3;
        }
        let col = self.chars_before[offset] - self.chars_before[start];
        Pos {
            offset: offset as u32,
            line: line as u32,
            col: col + 1,
        }
    }
}

fn check_spans(text: &str, lines: &Lines, node: &Node) -> Result<(), String> {
    let span = node.span;
    for p in [span.start, span.end] {
        if p.offset as usize > text.len() || !text.is_char_boundary(p.offset as usize) {
            return Err(format!(
                "position {p:?} is outside the input or inside a character"
            ));
        }
        let want = lines.pos(p.offset as usize);
        if p != want {
            return Err(format!("position {p:?} should be {want:?}"));
        }
    }
    if span.start.offset > span.end.offset {
        return Err(format!("span {span:?} ends before it starts"));
    }
    match &node.kind {
        NodeKind::Scalar(_) => Ok(()),
        NodeKind::Seq(items) => items.iter().try_for_each(|n| check_spans(text, lines, n)),
        NodeKind::Map(entries) => entries.iter().try_for_each(|e| {
            check_spans(text, lines, &e.key)?;
            check_spans(text, lines, &e.value)
        }),
    }
}

/// Parses one input, turning a panic or an inconsistent position into a message.
fn check(text: &str) -> Result<(), String> {
    let result =
        catch_unwind(AssertUnwindSafe(|| parse(text))).map_err(|_| "parse panicked".to_string())?;
    let lines = Lines::new(text);
    match result {
        Ok(None) => Ok(()),
        Ok(Some(tree)) => check_spans(text, &lines, &tree),
        Err(e) => {
            if e.pos.offset as usize > text.len() {
                return Err(format!(
                    "error position {:?} for {e} is past the end",
                    e.pos
                ));
            }
            let want = lines.pos(e.pos.offset as usize);
            if e.pos != want {
                return Err(format!(
                    "error position {:?} for {e} should be {want:?}",
                    e.pos
                ));
            }
            Ok(())
        }
    }
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    match rng.below(5) {
        0 => {
            let mut b = text.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                if let Some(byte) = b.get_mut(i) {
                    *byte = INDICATORS[rng.below(INDICATORS.len())];
                }
            }
            String::from_utf8_lossy(&b).into_owned()
        }
        1 => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(lines.len());
                if i < lines.len() {
                    let line = lines[i];
                    lines.insert(i, line);
                }
            }
            lines.concat()
        }
        2 => {
            let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(lines.len());
                if let Some(line) = lines.get_mut(i) {
                    match rng.below(3) {
                        0 => line.insert_str(0, &" ".repeat(1 + rng.below(3))),
                        1 => {
                            let trimmed = line.trim_start().to_string();
                            *line = trimmed;
                        }
                        _ => line.insert(0, '\t'),
                    }
                }
            }
            lines.concat()
        }
        3 => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            let i = rng.below(lines.len());
            if i < lines.len() {
                lines.remove(i);
            }
            lines.concat()
        }
        _ => {
            let mut b = text.as_bytes().to_vec();
            let i = rng.below(b.len() + 1);
            b.insert(i.min(b.len()), INDICATORS[rng.below(INDICATORS.len())]);
            String::from_utf8_lossy(&b).into_owned()
        }
    }
}

/// A prefix of `text` cut at (or just before) byte `at`, on a character boundary.
fn truncated(text: &str, mut at: usize) -> &str {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

#[test]
fn mutated_corpus_files_never_panic() {
    let files = corpus_files();
    let texts: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("corpus file"))
        .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut failures = Vec::new();
    let mut inputs = 0;
    for (path, text) in files.iter().zip(&texts) {
        let mut try_one = |input: &str| {
            inputs += 1;
            if let Err(why) = check(input) {
                failures.push(format!(
                    "{} ({} bytes): {why}\n{input:?}",
                    path.display(),
                    input.len()
                ));
            }
        };
        try_one(text);
        // Truncations every N bytes, N chosen so each file gives about a dozen.
        let step = (text.len() / 12).max(1);
        for at in (0..text.len()).step_by(step) {
            try_one(truncated(text, at));
        }
        for _ in 0..8 {
            let m = mutate(&mut rng, text);
            try_one(&m);
            let cut = rng.below(m.len() + 1).min(m.len());
            try_one(truncated(&m, cut));
        }
        if failures.len() > 20 {
            break;
        }
    }
    println!("fed {inputs} mutated or truncated corpus files to the parser");
    assert!(inputs > 10_000, "only {inputs} inputs");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn pathological_inputs_are_refused_or_parsed_without_panic() {
    let n = 200_000;
    let inputs = [
        "[".repeat(n),
        "{".repeat(n),
        "- ".repeat(n),
        "a: ".repeat(n),
        "? ".repeat(n),
        "&a ".repeat(n),
        "!t ".repeat(n),
        "*a ".repeat(n),
        "\"".repeat(n),
        "'".repeat(n),
        "|".repeat(n),
        "\n".repeat(n) + "x",
        " ".repeat(n) + "x",
        "\t".repeat(n),
        format!("é: [{}]", "x, ".repeat(n)),
        format!("k: {}", "é ".repeat(n)),
        (0..3000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect(),
        (0..3000)
            .map(|i| format!("{}- \n", " ".repeat(2 * i)))
            .collect(),
        format!(
            "a: &a [{}]\nb: [{}]\n",
            "x, ".repeat(1000),
            "*a, ".repeat(n / 10)
        ),
        "\u{feff}".repeat(n),
        format!("\"{}\"", "\\u00e9".repeat(n)),
        format!("k: |\n{}", "  line\n".repeat(n)),
    ];
    for (i, input) in inputs.iter().enumerate() {
        let head: String = input.chars().take(30).collect();
        let result = catch_unwind(|| parse(input).map(|_| ()));
        assert!(result.is_ok(), "panic for input {i} starting {head:?}");
        if let Err(why) = check(input) {
            panic!("{why} for input {i} starting {head:?}");
        }
    }
}
