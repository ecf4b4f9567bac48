//! `on.schedule` cron expressions as GitHub accepts them: five fields (minute 0-59, hour
//! 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT, names in any
//! case) with `*`, `,` lists, `a-b` ranges and `/` steps. `a/n` means "from a to the end of
//! the field, every n" (GitHub's own example: `20/15` is minutes 20, 35 and 50).
//!
//! GitHub rejects `7` for Sunday ("invalid cron attribute \"0 6 * * 7\""), the `@daily`
//! family and Quartz extras (`?`, `L`, `W`, `#`); so does this parser, with the byte offset
//! of the offending token. Times are UTC; the civil-date arithmetic is in [`UtcTime`].

use serde::Serialize;
use std::fmt;

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    source: String,
    /// Allowed values as bit sets, indexed by the value itself.
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Vixie cron's rule for the two day fields: when both are restricted (written without
    /// a leading `*`) a day matching either fires; otherwise a day must match both.
    days_restricted: bool,
    weekdays_restricted: bool,
}

/// Why an expression is invalid, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    /// Byte offset in the expression of the offending field or token.
    pub offset: usize,
    pub message: String,
}

fn err(offset: usize, message: impl Into<String>) -> CronError {
    CronError {
        offset,
        message: message.into(),
    }
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

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
        names: &MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: &WEEKDAYS,
    },
];

impl Field {
    /// One value: a number or (month, weekday) a three-letter name.
    fn value(&self, tok: &str, at: usize) -> Result<u32, CronError> {
        if tok.is_empty() {
            return Err(err(at, format!("missing {} value", self.name)));
        }
        if tok.bytes().all(|b| b.is_ascii_digit()) {
            let n = tok.parse::<u32>().unwrap_or(u32::MAX);
            if n < self.min || n > self.max {
                let shown = if tok.len() > 10 {
                    format!("{}…", &tok[..10])
                } else {
                    tok.to_string()
                };
                let hint = if self.names == WEEKDAYS && n == 7 {
                    " (0 is Sunday; GitHub does not accept 7)"
                } else {
                    ""
                };
                return Err(err(
                    at,
                    format!(
                        "invalid {} value {shown}: expected {}-{}{hint}",
                        self.name, self.min, self.max
                    ),
                ));
            }
            return Ok(n);
        }
        if let Some(i) = self.names.iter().position(|n| n.eq_ignore_ascii_case(tok)) {
            return Ok(self.min + i as u32);
        }
        if let Some(c) = tok.chars().find(|c| matches!(c, '?' | 'L' | 'W' | '#')) {
            if self.names.is_empty() || !tok.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(err(at, format!("`{c}` is not cron syntax GitHub supports: fields take only numbers, names, `*`, `,`, `-` and `/`")));
            }
        }
        let names = if self.names.is_empty() {
            String::new()
        } else {
            format!(
                " or a name {}-{}",
                self.names[0],
                self.names[self.names.len() - 1]
            )
        };
        Err(err(
            at,
            format!(
                "invalid {} `{tok}`: expected a number {}-{}{names}",
                self.name, self.min, self.max
            ),
        ))
    }

    /// One comma-separated item: `*`, `v`, `a-b`, each optionally `/step`.
    fn item(&self, item: &str, at: usize) -> Result<u64, CronError> {
        let (range, step) = match item.split_once('/') {
            None => (item, None),
            Some((r, s)) => {
                let s_at = at + r.len() + 1;
                let step = match s.parse::<u32>() {
                    Ok(n) if n > 0 && s.bytes().all(|b| b.is_ascii_digit()) => n,
                    _ => return Err(err(s_at, format!("invalid step `{s}` in the {} field: expected a whole number of at least 1", self.name))),
                };
                (r, Some(step))
            }
        };
        let (lo, hi) = if range == "*" {
            (self.min, self.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let lo = self.value(a, at)?;
            let hi = self.value(b, at + a.len() + 1)?;
            if hi < lo {
                return Err(err(
                    at,
                    format!(
                        "invalid {} range `{range}`: the start comes after the end",
                        self.name
                    ),
                ));
            }
            (lo, hi)
        } else {
            let v = self.value(range, at)?;
            // `20/15`: from 20 through the end of the field.
            (v, if step.is_some() { self.max } else { v })
        };
        let step = step.unwrap_or(1);
        let mut bits = 0u64;
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v = v.saturating_add(step);
        }
        Ok(bits)
    }

    fn parse(&self, text: &str, at: usize) -> Result<u64, CronError> {
        let mut bits = 0;
        let mut off = at;
        for item in text.split(',') {
            if item.is_empty() {
                return Err(err(off, format!("empty item in the {} list", self.name)));
            }
            bits |= self.item(item, off)?;
            off += item.len() + 1;
        }
        Ok(bits)
    }
}

impl Cron {
    /// Parses an `on.schedule[*].cron` value. Fields may be separated by any run of white
    /// space, as YAML hands over whatever the author typed.
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let mut fields: Vec<(&str, usize)> = Vec::with_capacity(5);
        let mut start = None;
        for (i, c) in expr
            .char_indices()
            .chain(std::iter::once((expr.len(), ' ')))
        {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    fields.push((&expr[s..i], s));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(&(first, at)) = fields.first() {
            if first.starts_with('@') {
                return Err(err(at, format!("GitHub does not support `{first}`: write the five fields, e.g. `0 0 * * *` for daily")));
            }
        }
        if fields.len() != 5 {
            let at = fields.get(5).map_or(expr.len(), |f| f.1);
            return Err(err(at, format!("a cron expression has 5 fields (minute hour day-of-month month day-of-week); this one has {}", fields.len())));
        }
        let mut bits = [0u64; 5];
        for (i, &(text, at)) in fields.iter().enumerate() {
            bits[i] = FIELDS[i].parse(text, at)?;
        }
        Ok(Cron {
            source: expr.to_string(),
            minutes: bits[0],
            hours: bits[1] as u32,
            days: bits[2] as u32,
            months: bits[3] as u16,
            weekdays: bits[4] as u8,
            days_restricted: !fields[2].0.starts_with('*'),
            weekdays_restricted: !fields[4].0.starts_with('*'),
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the schedule fires at this UTC minute (`weekday` 0 = Sunday). Out-of-range
    /// values simply do not match.
    pub fn matches(&self, minute: u32, hour: u32, day: u32, month: u32, weekday: u32) -> bool {
        let has = |bits: u64, v: u32| v < 64 && bits & (1 << v) != 0;
        has(self.minutes, minute)
            && has(u64::from(self.hours), hour)
            && has(u64::from(self.months), month)
            && self.day_matches(day, weekday)
    }

    /// Whether the schedule fires in the minute containing `unix_secs`.
    pub fn matches_at(&self, unix_secs: i64) -> bool {
        let t = UtcTime::from_unix(unix_secs);
        self.matches(t.minute, t.hour, t.day, t.month, t.weekday)
    }

    fn day_matches(&self, day: u32, weekday: u32) -> bool {
        let d = day < 32 && self.days & (1 << day) != 0;
        let w = weekday < 8 && self.weekdays & (1 << weekday) != 0;
        // A `*`-led field has all its bits set (`*/7` is just Sunday), so AND keeps its
        // step; OR applies only when both fields are written as lists or ranges.
        if self.days_restricted && self.weekdays_restricted {
            d || w
        } else {
            d && w
        }
    }

    /// Whether the schedule fires on this day (days since 1970-01-01).
    fn fires_on(&self, days: i64) -> bool {
        let (_, m, d) = civil_from_days(days);
        self.months & (1 << m) != 0 && self.day_matches(d, weekday_of(days))
    }

    /// The first firing strictly after `unix_secs` (UTC), or None if there is none within
    /// a full 400-year Gregorian cycle (e.g. `0 0 30 2 *`: February 30th).
    pub fn next_after(&self, unix_secs: i64) -> Option<i64> {
        let from = unix_secs.div_euclid(60).checked_add(1)?; // the next whole minute
        let mut day = from.div_euclid(1440);
        let mut first_minute = from.rem_euclid(1440) as u32;
        for _ in 0..=DAYS_PER_400_YEARS {
            if self.fires_on(day) {
                if let Some(m) = self.first_time_from(first_minute) {
                    // In minutes first: `day * 86_400` alone can pass i64::MIN.
                    return day
                        .checked_mul(1440)?
                        .checked_add(i64::from(m))?
                        .checked_mul(60);
                }
            }
            day = day.checked_add(1)?;
            first_minute = 0;
        }
        None
    }

    /// The first minute of the day (0..1440) at or after `from` that the time fields allow.
    fn first_time_from(&self, from: u32) -> Option<u32> {
        (from / 60..24)
            .filter(|h| self.hours & (1 << h) != 0)
            .find_map(|h| {
                let m0 = if h == from / 60 { from % 60 } else { 0 };
                (m0..60)
                    .find(|m| self.minutes & (1 << m) != 0)
                    .map(|m| h * 60 + m)
            })
    }

    /// The shortest time between two consecutive firings, in minutes, or None if the
    /// schedule never fires. GitHub runs scheduled workflows at most every 5 minutes, so a
    /// validator warns below that.
    pub fn shortest_interval_minutes(&self) -> Option<u32> {
        let times: Vec<u32> = (0..24u32)
            .filter(|h| self.hours & (1 << h) != 0)
            .flat_map(|h| {
                (0..60u32)
                    .filter(|m| self.minutes & (1 << m) != 0)
                    .map(move |m| h * 60 + m)
            })
            .collect();
        let (&first, &last) = (times.first()?, times.last()?);
        let within_day = times.windows(2).map(|w| w[1] - w[0]).min();
        // Across midnight the gap is at least `1440 + first - last`; when even that cannot
        // beat the gap within a day, no calendar scan is needed.
        if let Some(w) = within_day {
            if 1440 + first - last >= w {
                return Some(w);
            }
        }
        // Firing days repeat every 400 years; the closest pair of firing days gives the
        // shortest gap across midnight.
        let mut prev: Option<i64> = None;
        let mut day_gap: Option<i64> = None;
        for day in 0..DAYS_PER_400_YEARS + 400 {
            if self.fires_on(day) {
                if let Some(p) = prev {
                    day_gap = Some(day_gap.map_or(day - p, |g: i64| g.min(day - p)));
                    if day_gap == Some(1) {
                        break;
                    }
                }
                prev = Some(day);
            }
        }
        let across = day_gap.map(|g| g as u32 * 1440 + first - last);
        match (within_day, across) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b).or(prev.map(|_| u32::MAX)),
        }
    }

    /// [`Cron::shortest_interval_minutes`], with `u32::MAX` for schedules that never fire.
    pub fn min_interval_minutes(&self) -> u32 {
        self.shortest_interval_minutes().unwrap_or(u32::MAX)
    }

    /// Whether two firings can be less than `n` minutes apart — what a validator asks. Cheap
    /// unless the answer hinges on firings just before and after midnight.
    pub fn fires_within(&self, n: u32) -> bool {
        let times: Vec<u32> = (0..24u32)
            .filter(|h| self.hours & (1 << h) != 0)
            .flat_map(|h| {
                (0..60u32)
                    .filter(|m| self.minutes & (1 << m) != 0)
                    .map(move |m| h * 60 + m)
            })
            .collect();
        let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
            return false;
        };
        if times.windows(2).any(|w| w[1] - w[0] < n) {
            return true;
        }
        if 1440 + first - last >= n {
            return false;
        }
        self.shortest_interval_minutes().is_some_and(|g| g < n)
    }

    /// Whether the schedule ever fires (`0 0 31 2 *` never does).
    pub fn can_fire(&self) -> bool {
        self.next_after(0).is_some()
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Cron {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Cron, CronError> {
        Cron::parse(s)
    }
}

const DAYS_PER_400_YEARS: i64 = 146_097;

/// A UTC calendar time, as cron fields see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
}

impl UtcTime {
    pub fn from_unix(secs: i64) -> UtcTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        UtcTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
            weekday: weekday_of(days),
        }
    }

    /// Seconds since the epoch; None if a field is out of range or the result overflows.
    /// The weekday is ignored (it follows from the date).
    pub fn to_unix(&self) -> Option<i64> {
        let valid = (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60;
        if !valid || self.year.unsigned_abs() > 1 << 40 {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = i64::from(self.hour * 3600 + self.minute * 60 + self.second);
        days.checked_mul(86_400)?.checked_add(secs)
    }
}

pub fn is_leap_year(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 1970-01-01 was a Thursday.
fn weekday_of(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`:
/// shift the year to start in March so the leap day is last, then count 400-year eras.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(DAYS_PER_400_YEARS);
    let doe = z.rem_euclid(DAYS_PER_400_YEARS);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * DAYS_PER_400_YEARS + doe - 719_468
}

#[cfg(test)]
mod tests;
