use super::encodings::variants;
use super::Masker;

fn masker(secrets: &[&str]) -> Masker {
    let mut m = Masker::default();
    for s in secrets {
        m.add(s);
    }
    m
}

fn b64(s: &[u8]) -> String {
    // Reference encoder, independent of the one under test.
    use std::process::Command;
    let out = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(s)?;
            c.wait_with_output()
        });
    String::from_utf8(out.unwrap().stdout).unwrap()
}

#[test]
fn plain_multiline_and_overlapping_secrets() {
    let m = masker(&["hunter2", "hunter2-long", "line one\nline two"]);
    assert_eq!(m.mask("pw=hunter2-long!"), "pw=***!");
    assert_eq!(m.mask("a hunter2 b"), "a *** b");
    assert_eq!(m.mask("got: line two"), "got: ***");
    assert_eq!(m.mask("nothing here"), "nothing here");
}

#[test]
fn empty_and_blank_secrets_mask_nothing() {
    let m = masker(&["", "  "]);
    assert!(m.is_empty());
    assert_eq!(m.mask("text"), "text");
}

#[test]
fn base64_at_every_alignment_is_masked() {
    let secret = "s3cr3t-value";
    let m = masker(&[secret]);
    for prefix in ["", "a", "ab", "abc"] {
        let enc = b64(format!("{prefix}{secret}{prefix}").as_bytes());
        let masked = m.mask(&enc);
        assert!(
            masked.contains("***"),
            "prefix {prefix:?}: {enc} -> {masked}"
        );
    }
}

#[test]
fn url_and_json_encodings_are_masked() {
    let secret = "p@ss word\"x";
    let m = masker(&[secret]);
    assert_eq!(m.mask("q=p%40ss%20word%22x"), "q=***");
    assert_eq!(m.mask("q=p%40ss+word%22x"), "q=***");
    assert_eq!(m.mask(r#"{"pw":"p@ss word\"x"}"#), r#"{"pw":"***"}"#);
    assert!(!variants(secret).is_empty());
}

#[test]
fn non_ascii_text_survives() {
    let m = masker(&["geheim"]);
    assert_eq!(m.mask("ünïcödé geheim ✓"), "ünïcödé *** ✓");
}
