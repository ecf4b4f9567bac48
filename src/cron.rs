//! POSIX cron as GitHub's `schedule` accepts it: five fields (minute, hour, day of month,
//! month, day of week) with `*`, lists, ranges, steps and month/day names. Parsing reports
//! the offset of the bad field; matching uses cron's day-of-month OR day-of-week rule.

#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    /// Allowed values per field, as bit sets.
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CronError {
    /// Byte offset in the expression of the offending field or character.
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for CronError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CronError {}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    },
    // 7 is accepted as Sunday, as in most cron implementations.
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    },
];

fn value(f: &Field, s: &str, at: usize) -> Result<u32, CronError> {
    if let Ok(n) = s.parse::<u32>() {
        if n < f.min || n > f.max {
            return Err(CronError {
                offset: at,
                message: format!("invalid {} value {n}: expected {}-{}", f.name, f.min, f.max),
            });
        }
        return Ok(n);
    }
    if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + if f.name == "month" { 1 } else { 0 });
    }
    let hint = if f.names.is_empty() {
        String::new()
    } else {
        format!(" or a name such as {}", f.names[0])
    };
    Err(CronError {
        offset: at,
        message: format!(
            "invalid {} `{s}`: expected a number {}-{}{hint}",
            f.name, f.min, f.max
        ),
    })
}

fn parse_field(f: &Field, text: &str, base: usize) -> Result<u64, CronError> {
    let mut bits = 0u64;
    let mut off = base;
    for part in text.split(',') {
        if part.is_empty() {
            return Err(CronError {
                offset: off,
                message: format!("empty item in the {} list", f.name),
            });
        }
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let st: u32 = s.parse().ok().filter(|n| *n > 0).ok_or_else(|| CronError {
                    offset: off + r.len() + 1,
                    message: format!(
                        "invalid step `{s}` in the {} field: expected a positive number",
                        f.name
                    ),
                })?;
                (r, Some(st))
            }
            None => (part, None),
        };
        let (lo, hi) = if range == "*" {
            (f.min, f.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let lo = value(f, a, off)?;
            let hi = value(f, b, off + a.len() + 1)?;
            if hi < lo {
                return Err(CronError {
                    offset: off,
                    message: format!(
                        "invalid {} range `{range}`: the end comes before the start",
                        f.name
                    ),
                });
            }
            (lo, hi)
        } else {
            let v = value(f, range, off)?;
            // `5/15` means "from 5, every 15" up to the field's maximum.
            (v, if step.is_some() { f.max } else { v })
        };
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
        off += part.len() + 1;
    }
    Ok(bits)
}

impl Cron {
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let mut fields = Vec::with_capacity(5);
        let mut search = 0;
        for word in expr.split_whitespace() {
            let at = expr[search..].find(word).map_or(search, |i| search + i);
            search = at + word.len();
            fields.push((word, at));
        }
        if fields.len() != 5 {
            return Err(CronError {
                offset: fields.get(5).map_or(0, |f| f.1),
                message: format!("a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has {}", fields.len()),
            });
        }
        let mut bits = [0u64; 5];
        for (i, (text, at)) in fields.iter().enumerate() {
            bits[i] = parse_field(&FIELDS[i], text, *at)?;
        }
        // Sunday is 0 and 7.
        if bits[4] & (1 << 7) != 0 {
            bits[4] |= 1;
        }
        Ok(Cron {
            minute: bits[0],
            hour: bits[1],
            dom: bits[2],
            month: bits[3],
            dow: bits[4],
            dom_star: fields[2].0.starts_with('*'),
            dow_star: fields[4].0.starts_with('*'),
        })
    }

    /// Whether the schedule fires at this UTC minute (`weekday` 0 = Sunday).
    pub fn matches(&self, minute: u32, hour: u32, day: u32, month: u32, weekday: u32) -> bool {
        let has = |bits: u64, v: u32| v < 64 && bits & (1 << v) != 0;
        if !has(self.minute, minute) || !has(self.hour, hour) || !has(self.month, month) {
            return false;
        }
        let d = has(self.dom, day);
        let w = has(self.dow, weekday);
        match (self.dom_star, self.dow_star) {
            (true, true) => true,
            (true, false) => w,
            (false, true) => d,
            (false, false) => d || w,
        }
    }

    /// The next firing strictly after `unix_secs` (UTC), within eight years.
    pub fn next_after(&self, unix_secs: i64) -> Option<i64> {
        let mut t = unix_secs.div_euclid(60) * 60 + 60;
        let limit = t + 8 * 366 * 86_400;
        while t < limit {
            let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
            let (_, m, d) = civil_from_days(days);
            let weekday = (days + 4).rem_euclid(7) as u32; // 1970-01-01 was a Thursday.
            if self.month & (1 << m) == 0 {
                t = (days + 1) * 86_400;
                continue;
            }
            let (hour, minute) = ((secs / 3600) as u32, ((secs % 3600) / 60) as u32);
            if self.matches(minute, hour, d, m, weekday) {
                return Some(t);
            }
            t += 60;
        }
        None
    }

    /// The shortest gap between two firings within a day, in minutes; GitHub runs scheduled
    /// workflows at most every 5 minutes.
    pub fn min_interval_minutes(&self) -> u32 {
        let mins: Vec<u32> = (0..60).filter(|m| self.minute & (1 << m) != 0).collect();
        let hours = (0..24).filter(|h| self.hour & (1 << h) != 0).count();
        if mins.len() <= 1 {
            return if hours > 1 { 60 } else { 24 * 60 };
        }
        let mut gap = 60 - mins[mins.len() - 1] + mins[0];
        for w in mins.windows(2) {
            gap = gap.min(w[1] - w[0]);
        }
        gap
    }
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_expressions() {
        for e in [
            "* * * * *",
            "*/15 * * * *",
            "0 3 * * 1-5",
            "30 5,17 * * *",
            "0 0 1 JAN,jul *",
            "0 12 * * SUN",
            "5/15 * * * *",
            "0 0 * * 7",
            "1-30/5 */2 1 * *",
        ] {
            assert!(Cron::parse(e).is_ok(), "{e}");
        }
    }

    #[test]
    fn invalid_expressions_point_at_the_field() {
        let cases: &[(&str, usize, &str)] = &[
            ("61 * * * *", 0, "invalid minute value 61: expected 0-59"),
            ("0 24 * * *", 2, "invalid hour value 24"),
            ("0 0 0 * *", 4, "invalid day of month value 0"),
            ("0 0 * 13 *", 6, "invalid month value 13"),
            ("0 0 * * FUN", 8, "invalid day of week `FUN`"),
            ("* * * *", 0, "has 5 fields"),
            ("*/0 * * * *", 2, "invalid step `0`"),
            ("0 10-2 * * *", 2, "the end comes before the start"),
            ("0,,1 * * * *", 2, "empty item"),
        ];
        for (e, off, frag) in cases {
            let err = Cron::parse(e).unwrap_err();
            assert_eq!(err.offset, *off, "{e}: {err}");
            assert!(err.message.contains(frag), "{e}: {err}");
        }
    }

    #[test]
    fn matching_uses_the_or_rule_for_days() {
        let c = Cron::parse("0 9 1 * MON").unwrap();
        assert!(c.matches(0, 9, 1, 5, 3)); // the 1st, a Wednesday
        assert!(c.matches(0, 9, 8, 5, 1)); // a Monday
        assert!(!c.matches(0, 9, 8, 5, 2));
        let star = Cron::parse("0 9 * * MON").unwrap();
        assert!(!star.matches(0, 9, 1, 5, 3));
    }

    #[test]
    fn next_after_finds_the_next_firing() {
        // 2026-11-23T01:00:00Z is a Monday.
        let base = 1_795_395_600;
        let c = Cron::parse("30 2 * * *").unwrap();
        assert_eq!(c.next_after(base), Some(base + 90 * 60));
        let c = Cron::parse("0 0 * * SAT").unwrap();
        let next = c.next_after(base).unwrap();
        assert_eq!((next - base) % 86_400, 23 * 3600);
        assert_eq!((next / 86_400 + 4) % 7, 6);
    }

    #[test]
    fn intervals() {
        assert_eq!(Cron::parse("* * * * *").unwrap().min_interval_minutes(), 1);
        assert_eq!(
            Cron::parse("*/15 * * * *").unwrap().min_interval_minutes(),
            15
        );
        assert_eq!(Cron::parse("0 * * * *").unwrap().min_interval_minutes(), 60);
        assert_eq!(
            Cron::parse("0 3 * * *").unwrap().min_interval_minutes(),
            1440
        );
    }
}
