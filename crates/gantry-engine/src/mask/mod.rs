//! Secret masking: every secret value and every `::add-mask::` value is replaced by `***`
//! in whatever Gantry prints or stores — also each line of a multi-line secret and the
//! encodings GitHub masks (base64 at every alignment, URL-encoded, JSON-escaped).

mod encodings;

/// The values to hide, longest first so that a secret containing another is fully masked.
#[derive(Clone, Debug, Default)]
pub struct Masker {
    values: Vec<String>,
}

impl Masker {
    pub fn add(&mut self, secret: &str) {
        let mut candidates = vec![secret.to_string()];
        if secret.contains('\n') {
            candidates.extend(secret.lines().map(|l| l.trim_end_matches('\r').to_string()));
        }
        let mut all = Vec::new();
        for c in candidates {
            if c.trim().is_empty() {
                continue;
            }
            all.extend(encodings::variants(&c));
            all.push(c);
        }
        for v in all {
            // Very short fragments (a base64 tail of one or two characters) would mask
            // ordinary text everywhere.
            if v.trim().len() < 3 && v != secret {
                continue;
            }
            if !v.is_empty() && !self.values.contains(&v) {
                self.values.push(v);
            }
        }
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn max_len(&self) -> usize {
        self.values.first().map_or(0, String::len)
    }

    pub fn mask(&self, text: &str) -> String {
        if self.values.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let bytes = text.as_bytes();
        'outer: while i < bytes.len() {
            for v in &self.values {
                if bytes[i..].starts_with(v.as_bytes()) {
                    out.push_str("***");
                    i += v.len();
                    continue 'outer;
                }
            }
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
        out
    }
}

#[cfg(test)]
mod tests;
