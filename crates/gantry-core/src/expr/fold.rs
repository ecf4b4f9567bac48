//! Case-insensitive text as GitHub compares it: .NET's `StringComparison.OrdinalIgnoreCase`,
//! which upper-cases every character with its simple (one-to-one) Unicode mapping and then
//! compares UTF-16 code units. So `'a' < '['` (folded `A` is 0x41, `[` 0x5B), `'ς' == 'Σ'`,
//! `'ß'` stays `ß` (no `SS`), and `'İ'` stays `İ` (so it is not `'i'`).

use std::cmp::Ordering;

/// A character upper-cased as .NET's ordinal casing does it: the simple Unicode mapping.
/// Dotless `ı` and long `ſ` stay themselves: .NET keeps Windows' invariant casing for them.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    if matches!(c, 'ı' | 'ſ') {
        return c;
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => simple_upper_of_expanding(c),
    }
}

/// For a character whose full upper case is several characters (`ß` → `SS`): its simple
/// mapping. Only the Greek letters with ypogegrammeni have one (`ᾳ` → `ᾼ`, `ᾀ` → `ᾈ`); every
/// other such character (`ß`, `ﬁ`, `ŉ`, the titlecase `ᾈ` ...) has none and stays.
fn simple_upper_of_expanding(c: char) -> char {
    let u = c as u32;
    let mapped = match u {
        0x1F80..=0x1FAF if u & 0xF < 8 => u + 8,
        0x1FB3 | 0x1FC3 | 0x1FF3 => u + 9,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// `s` with every character folded (see [`fold_char`]).
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        s.chars().map(fold_char).collect()
    }
}

/// Equality ignoring case, as GitHub's `==` on two strings.
pub fn eq_ignore_case(x: &str, y: &str) -> bool {
    if x.is_ascii() && y.is_ascii() {
        x.eq_ignore_ascii_case(y)
    } else {
        x.chars().map(fold_char).eq(y.chars().map(fold_char))
    }
}

/// Ordering ignoring case, as GitHub's `<` on two strings: the folded texts compared by
/// UTF-16 code units (a character outside the BMP sorts before U+E000..U+FFFF).
pub fn cmp_ignore_case(x: &str, y: &str) -> Ordering {
    if x.is_ascii() && y.is_ascii() {
        let up = |s: &str| {
            s.bytes()
                .map(|b| b.to_ascii_uppercase())
                .collect::<Vec<_>>()
        };
        return up(x).cmp(&up(y));
    }
    let units = |s: &str| fold(s).encode_utf16().collect::<Vec<u16>>();
    units(x).cmp(&units(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_characters_fold_one_to_one() {
        let cases: &[(char, char)] = &[
            // GitHub: ASCII letters upper-case, everything else in ASCII stays
            ('a', 'A'),
            ('[', '['),
            // GitHub: simple mappings (.NET OrdinalCasing over ICU's u_toupper)
            ('ς', 'Σ'),
            ('µ', 'Μ'),
            ('ÿ', 'Ÿ'),
            ('ǅ', 'Ǆ'),
            ('ᾳ', 'ᾼ'),
            ('ᾀ', 'ᾈ'),
            ('𐐨', '𐐀'),
            // GitHub: no expansion: one UTF-16 unit stays one
            ('ß', 'ß'),
            ('ﬁ', 'ﬁ'),
            ('ŉ', 'ŉ'),
            ('ᾈ', 'ᾈ'),
            // GitHub: ordinal casing keeps ı and ſ; İ has no upper case of its own
            ('ı', 'ı'),
            ('ſ', 'ſ'),
            ('İ', 'İ'),
        ];
        for (c, want) in cases {
            assert_eq!(fold_char(*c), *want, "{c}");
        }
    }
}
