//! Topic globs of `on: kafka` (`orders`, `audit.*`) as librdkafka subscriptions: a plain
//! name stays a name, a glob becomes an anchored `^regex` (librdkafka's pattern syntax).
//! The trigger's own glob match still decides; the pattern only has to cover it.

pub fn subscription(glob: &str) -> String {
    if !glob.contains(['*', '?', '[']) {
        return glob.to_string();
    }
    let mut re = String::from("^");
    let mut in_class = false;
    for c in glob.chars() {
        match c {
            '*' if !in_class => re.push_str(".*"),
            '?' if !in_class => re.push('.'),
            '[' if !in_class => {
                in_class = true;
                re.push('[');
            }
            ']' if in_class => {
                in_class = false;
                re.push(']');
            }
            '!' if in_class && re.ends_with('[') => re.push('^'),
            '.' | '+' | '(' | ')' | '|' | '^' | '$' | '{' | '}' | '\\' if !in_class => {
                re.push('\\');
                re.push(c);
            }
            _ => re.push(c),
        }
    }
    re.push('$');
    re
}

#[cfg(test)]
mod tests {
    use super::subscription;

    #[test]
    fn globs_become_anchored_patterns() {
        for (glob, want) in [
            ("orders", "orders"),
            ("audit.*", "^audit\\..*$"),
            ("eu-?.events", "^eu-.\\.events$"),
            ("shard-[0-3]", "^shard-[0-3]$"),
            ("shard-[!0]", "^shard-[^0]$"),
            ("**", "^.*.*$"),
        ] {
            assert_eq!(subscription(glob), want, "{glob}");
        }
    }
}
