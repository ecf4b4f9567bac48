//! Times and durations as pages show them: UTC wall-clock times from the store's
//! milliseconds, and short durations (`4s`, `2m 05s`, `1h 02m`).

/// `2026-12-07 16:31:20` (UTC) of milliseconds since the Unix epoch.
pub fn datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `16:31:20.042` (UTC) of milliseconds since the Unix epoch: a log line's time.
pub fn clock(ms: i64) -> String {
    let in_day = ms.rem_euclid(86_400_000);
    let s = in_day / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        in_day % 1000
    )
}

/// How long from `from` to `to` (milliseconds), short.
pub fn duration(from: i64, to: i64) -> String {
    let ms = (to - from).max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// Year, month and day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        for (ms, want) in [
            (0, "1970-01-01 00:00:00"),
            (951_782_400_000, "2000-02-29 00:00:00"),
            (1_796_661_080_000, "2026-12-07 16:31:20"),
        ] {
            assert_eq!(datetime(ms), want, "{ms}");
        }
        assert_eq!(clock(1_796_661_080_042), "16:31:20.042");
    }

    #[test]
    fn durations() {
        for (ms, want) in [
            (42, "42ms"),
            (4_200, "4s"),
            (125_000, "2m 05s"),
            (3_720_000, "1h 02m"),
            (-5, "0ms"),
        ] {
            assert_eq!(duration(0, ms), want, "{ms}");
        }
    }
}
