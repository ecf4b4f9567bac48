//! The encodings of a secret that GitHub's runner also masks: base64 (as the secret
//! appears inside a longer base64 text at each of the three byte alignments), URL encoding
//! and JSON string escaping.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The characters of the secret's base64 that do not depend on its neighbours, when it
/// starts at byte offset 0, 1 or 2 of a longer encoded text.
fn base64_alignments(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for shift in 0..3usize {
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(s.as_bytes());
        let enc = base64(&padded);
        let enc = enc.trim_end_matches('=');
        // Leading characters mix in the padding bytes; trailing ones the next bytes.
        let skip = match shift {
            0 => 0,
            1 => 2,
            _ => 3,
        };
        let total_bits = padded.len() * 8;
        let full_chars = total_bits / 6;
        if full_chars > skip {
            let stable = &enc[skip..full_chars.min(enc.len())];
            if !stable.is_empty() {
                out.push(stable.to_string());
            }
        }
    }
    out.push(base64(s.as_bytes()));
    out
}

fn url_encode(s: &str, plus_for_space: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' if plus_for_space => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_string()
}

pub fn variants(secret: &str) -> Vec<String> {
    let mut v = base64_alignments(secret);
    v.push(url_encode(secret, false));
    v.push(url_encode(secret, true));
    v.push(json_escape(secret));
    v.retain(|x| x != secret && !x.is_empty());
    v.dedup();
    v
}
