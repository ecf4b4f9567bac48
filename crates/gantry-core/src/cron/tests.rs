//! Cron table tests from GitHub's `schedule` documentation, errors with offsets, the
//! day-of-month/day-of-week rule, `next_after` against a minute-by-minute scan, civil-date
//! round trips, intervals, a no-panic fuzz, and every `cron:` in the shared corpus.

use super::*;
use crate::filter::testutil::{corpus_dir, Rng};

fn c(e: &str) -> Cron {
    Cron::parse(e).unwrap_or_else(|err| panic!("`{e}`: {err} at {}", err.offset))
}

/// Minutes of the hour at which `e` fires (hour 5, 2026-01-05, a Monday).
fn minutes(e: &str) -> Vec<u32> {
    let cron = c(e);
    (0..60).filter(|&m| cron.matches(m, 5, 5, 1, 1)).collect()
}

/// The operator table of "Events that trigger workflows: schedule", and its examples.
#[test]
fn github_documented_examples() {
    assert_eq!(minutes("15 * * * *"), [15]);
    assert_eq!(minutes("20/15 * * * *"), [20, 35, 50]);
    let list = c("2,10 4,5 * * *");
    let fires: Vec<(u32, u32)> = (0..24)
        .flat_map(|h| (0..60).map(move |m| (h, m)))
        .filter(|&(h, m)| list.matches(m, h, 1, 1, 4))
        .collect();
    assert_eq!(fires, [(4, 2), (4, 10), (5, 2), (5, 10)]);
    let range = c("30 4-6 * * *");
    assert!((4..=6).all(|h| range.matches(30, h, 9, 9, 2)) && !range.matches(30, 7, 9, 9, 2));
    let weekdays = c("30 5 * * 1-5");
    assert!((1..=5).all(|w| weekdays.matches(30, 5, 9, 9, w)));
    assert!(!weekdays.matches(30, 5, 9, 9, 0) && !weekdays.matches(30, 5, 9, 9, 6));
    let (a, b) = (c("30 5 * * 1,3"), c("30 5,17 * * 2,4"));
    assert!(a.matches(30, 5, 1, 1, 1) && a.matches(30, 5, 1, 1, 3) && !a.matches(30, 17, 1, 1, 3));
    assert!(b.matches(30, 17, 1, 1, 2) && b.matches(30, 5, 1, 1, 4) && !b.matches(30, 5, 1, 1, 1));
    assert!(c("30 5,17 * * *").matches(30, 17, 28, 2, 6));
}

#[test]
fn valid_forms() {
    for e in [
        "* * * * *",
        "*/15 * * * *",
        "1-30/5 */2 1 * *",
        "5/15 * * * *",
        "0 0 1 JAN,jul *",
        "0 12 * * sun",
        "0 9 * * MON-fri",
        "0 0 * jan-MAR/2 *",
        "00 01 * * *",
        "54 18 * * */7",
        "0 0 * * 0-6",
        "  0\t0  * * *  ",
        "0 0,3,6,9,12,15,18,21 * * *",
    ] {
        c(e);
    }
    assert_eq!(minutes("1-30/10 * * * *"), [1, 11, 21]);
    assert_eq!(minutes("50/5,7 * * * *"), [7, 50, 55]);
    assert_eq!(c("0 0 * * *").as_str(), "0 0 * * *");
}

#[test]
fn invalid_expressions_point_at_the_token() {
    let cases: &[(&str, usize, &str)] = &[
        ("61 * * * *", 0, "invalid minute value 61: expected 0-59"),
        ("0 24 * * *", 2, "invalid hour value 24: expected 0-23"),
        (
            "0 0 0 * *",
            4,
            "invalid day of month value 0: expected 1-31",
        ),
        ("0 0 * 13 *", 6, "invalid month value 13: expected 1-12"),
        ("0 6 * * 7", 8, "GitHub does not accept 7"),
        ("0 0 * * FUN", 8, "invalid day of week `FUN`"),
        ("0 0 * JANUARY *", 6, "invalid month `JANUARY`"),
        ("0 0 * * 1-SUNDAY", 10, "invalid day of week `SUNDAY`"),
        ("* * * *", 7, "this one has 4"),
        ("* * * * * *", 10, "this one has 6"),
        ("", 0, "this one has 0"),
        ("@daily", 0, "does not support `@daily`"),
        ("*/0 * * * *", 2, "invalid step `0`"),
        ("*/ * * * *", 2, "invalid step ``"),
        ("*/+5 * * * *", 2, "invalid step `+5`"),
        ("0 10-2 * * *", 2, "the start comes after the end"),
        ("0,,1 * * * *", 2, "empty item"),
        ("0, * * * *", 2, "empty item"),
        ("0 0 ? * *", 4, "`?` is not cron syntax"),
        ("0 0 L * *", 4, "`L` is not cron syntax"),
        ("0 0 * * 5#2", 8, "`#` is not cron syntax"),
        ("-5 * * * *", 0, "missing minute value"),
        ("1- * * * *", 2, "missing minute value"),
        (
            "99999999999999 * * * *",
            0,
            "invalid minute value 9999999999…",
        ),
        ("0 0 1,5-40 * *", 8, "invalid day of month value 40"),
    ];
    for (e, off, frag) in cases {
        let err = Cron::parse(e).unwrap_err();
        assert_eq!(err.offset, *off, "{e}: {err}");
        assert!(err.message.contains(frag), "{e}: {err}");
    }
}

#[test]
fn day_of_month_or_day_of_week() {
    // Both restricted: either matches.
    let c1 = c("0 9 1 * MON");
    assert!(c1.matches(0, 9, 1, 5, 3)); // the 1st, a Wednesday
    assert!(c1.matches(0, 9, 8, 5, 1)); // a Monday
    assert!(!c1.matches(0, 9, 8, 5, 2));
    // One of them `*`: only the other decides.
    let c2 = c("0 9 * * MON");
    assert!(!c2.matches(0, 9, 1, 5, 3) && c2.matches(0, 9, 2, 5, 1));
    let c3 = c("0 9 1 * *");
    assert!(c3.matches(0, 9, 1, 5, 3) && !c3.matches(0, 9, 2, 5, 1));
    // A `*`-led step still restricts its own field but does not turn on the OR rule.
    let c4 = c("54 18 * * */7");
    assert!(c4.matches(54, 18, 3, 5, 0) && !c4.matches(54, 18, 4, 5, 1));
    let c5 = c("0 0 */2 * 1");
    assert!(c5.matches(0, 0, 3, 5, 1) && !c5.matches(0, 0, 4, 5, 1) && !c5.matches(0, 0, 3, 5, 2));
    // Out-of-range arguments never match and never panic.
    assert!(!c("* * * * *").matches(60, 0, 1, 1, 0) && !c("* * * * *").matches(0, 0, 1, 1, 7));
    assert!(!c("* * * * *").matches(u32::MAX, u32::MAX, u32::MAX, u32::MAX, u32::MAX));
}

#[test]
fn civil_dates() {
    let t = |year, month, day, hour, minute, second, weekday| UtcTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        weekday,
    };
    let cases = [
        (0, t(1970, 1, 1, 0, 0, 0, 4)),
        (-1, t(1969, 12, 31, 23, 59, 59, 3)),
        (951_827_696, t(2000, 2, 29, 12, 34, 56, 2)),
        (1_795_395_600, t(2026, 11, 23, 1, 0, 0, 1)),
        (1_785_369_600, t(2026, 7, 30, 0, 0, 0, 4)),
        (-11_670_912_000, t(1600, 3, 1, 0, 0, 0, 3)),
        (4_107_542_340, t(2100, 2, 28, 23, 59, 0, 0)),
    ];
    for (secs, want) in cases {
        assert_eq!(UtcTime::from_unix(secs), want, "{secs}");
        assert_eq!(want.to_unix(), Some(secs));
    }
    let mut rng = Rng::new(3);
    for _ in 0..20_000 {
        let secs = (rng.next() % 200_000_000_000) as i64 - 100_000_000_000;
        assert_eq!(UtcTime::from_unix(secs).to_unix(), Some(secs));
    }
    let bad = UtcTime {
        year: 2023,
        month: 2,
        day: 29,
        hour: 0,
        minute: 0,
        second: 0,
        weekday: 0,
    };
    assert_eq!(bad.to_unix(), None);
    assert!(is_leap_year(2000) && !is_leap_year(1900) && is_leap_year(2024));
    for secs in [i64::MIN, i64::MAX, i64::MIN + 1] {
        let _ = UtcTime::from_unix(secs).to_unix();
    }
}

#[test]
fn next_after_examples() {
    let base = 1_795_395_600; // 2026-11-23T01:00:00Z, a Monday
    assert_eq!(c("30 2 * * *").next_after(base), Some(base + 90 * 60));
    assert_eq!(c("0 1 * * *").next_after(base), Some(base + 86_400));
    assert_eq!(c("* * * * *").next_after(base), Some(base + 60));
    assert_eq!(c("* * * * *").next_after(base + 59), Some(base + 60));
    let sat = c("0 0 * * SAT").next_after(base).unwrap();
    assert_eq!(
        UtcTime::from_unix(sat),
        UtcTime::from_unix(base + 4 * 86_400 + 23 * 3600)
    );
    let leap = c("0 0 29 2 *").next_after(base).unwrap();
    assert_eq!(UtcTime::from_unix(leap).year, 2028);
    assert_eq!(c("0 0 30 2 *").next_after(base), None);
    assert!(!c("0 0 31 4,6,9,11 *").can_fire() && c("0 0 31 * *").can_fire());
    // Far ends of the time line: no overflow, no panic.
    assert_eq!(c("* * * * *").next_after(i64::MAX), None);
    assert!(c("* * * * *").next_after(i64::MIN).is_some());
}

#[test]
fn next_after_agrees_with_a_minute_scan() {
    let fields = [
        ["*", "*/7", "5,35", "0", "10-20/3", "58"],
        ["*", "3", "*/5", "22-23", "0,12", "9"],
        ["*", "1", "*/10", "15-17", "31", "29"],
        ["*", "2", "*/3", "FEB", "1-6", "dec"],
        ["*", "0", "1-5", "*/2", "SAT", "*/7"],
    ];
    let mut rng = Rng::new(11);
    for _ in 0..150 {
        let e: Vec<&str> = fields.iter().map(|f| f[rng.below(f.len())]).collect();
        let cron = c(&e.join(" "));
        let start = 1_700_000_000 + (rng.next() % 200_000_000) as i64;
        let limit = 60 * 24 * 60; // minutes scanned: 60 days
        let scanned = (1..=limit)
            .map(|k| (start.div_euclid(60) + k) * 60)
            .find(|&t| cron.matches_at(t));
        match (scanned, cron.next_after(start)) {
            (Some(s), got) => assert_eq!(got, Some(s), "{} from {start}", e.join(" ")),
            (None, Some(got)) => assert!(got > start + limit * 60 - 60, "{}", e.join(" ")),
            (None, None) => {}
        }
    }
}

#[test]
fn shortest_intervals() {
    let cases: &[(&str, Option<u32>)] = &[
        ("* * * * *", Some(1)),
        ("*/15 * * * *", Some(15)),
        ("*/2 * * * *", Some(2)),
        ("0,58 0,23 * * *", Some(2)),
        ("0 * * * *", Some(60)),
        ("0 3 * * *", Some(1440)),
        ("0 0 * * 0", Some(10_080)),
        ("0 0 * * 6,0", Some(1440)),
        ("0 0 1 * *", Some(28 * 1440)),
        ("0 0 29 2 *", Some(1461 * 1440)),
        ("0 0 30 2 *", None),
    ];
    for (e, want) in cases {
        assert_eq!(c(e).shortest_interval_minutes(), *want, "{e}");
    }
    assert_eq!(c("*/3 * * * *").min_interval_minutes(), 3);
    assert_eq!(c("0 0 31 2 *").min_interval_minutes(), u32::MAX);
}

#[test]
fn fuzz_never_panics_and_offsets_stay_inside() {
    let alphabet = [
        "0", "5", "59", "7", "*", "/", ",", "-", "JAN", "sun", "?", "L", "#", "@", "x", "é", "\t",
        "99", "1", "2",
    ];
    let mut rng = Rng::new(5);
    let mut ok = 0;
    for _ in 0..30_000 {
        let n = if rng.below(4) == 0 { rng.below(8) } else { 5 };
        let valid = ["*", "0", "1-5", "*/15", "JAN-mar", "sun,SAT", "5/20", "1,2"];
        let fields: Vec<String> = (0..n)
            .map(|_| {
                if rng.below(4) > 0 {
                    valid[rng.below(valid.len())].to_string()
                } else {
                    rng.string(&alphabet, 4)
                }
            })
            .collect();
        let e = fields.join(if rng.below(3) == 0 { "  " } else { " " });
        match Cron::parse(&e) {
            Ok(cron) => {
                ok += 1;
                let _ = cron.matches_at(rng.next() as i64);
                if ok % 50 == 0 {
                    let _ = cron.next_after(rng.next() as i64 / 4);
                }
            }
            Err(err) => assert!(
                err.offset <= e.len() && e.is_char_boundary(err.offset),
                "{e:?}: {err:?}"
            ),
        }
    }
    assert!(ok > 500, "{ok}");
}

/// Every `cron:` value in the shared corpus of real workflows parses.
#[test]
fn corpus_crons_parse() {
    let mut seen = 0;
    for (path, text) in crate::filter::testutil::corpus_files() {
        for line in text.lines() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .trim_start()
                .strip_prefix("cron:")
            else {
                continue;
            };
            let value = crate::filter::testutil::yaml_scalar(rest);
            seen += 1;
            if let Err(e) = Cron::parse(&value) {
                panic!("{}: cron `{value}`: {e}", path.display());
            }
        }
    }
    assert!(
        seen > 100,
        "only {seen} cron values found under {}",
        corpus_dir().display()
    );
}
