//! Calendar days and quarters for history and scorecards: a day from a commit's time, `YYYY-MM-DD`,
//! `YYYY-QN`, and the nearest-rank percentile. Pure; the clock is read only by the caller.

use std::fmt;

/// A calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Day(pub i64);

impl Day {
    /// The day of a commit time as its committer saw it (seconds, offset from UTC in minutes).
    pub(crate) fn from_time(seconds: i64, offset_minutes: i32) -> Self {
        Self((seconds + i64::from(offset_minutes) * 60).div_euclid(86_400))
    }

    /// The day of a civil date.
    pub(crate) fn from_civil(year: i64, month: i64, day: i64) -> Self {
        Self(crate::exceptions::days_from_civil(year, month, day))
    }

    /// The day of a TOML date.
    pub(crate) fn from_toml(d: toml::value::Date) -> Self {
        Self::from_civil(i64::from(d.year), i64::from(d.month), i64::from(d.day))
    }

    /// Today, from the clock.
    pub(crate) fn today() -> Self {
        Self::from_toml(crate::exceptions::today())
    }

    /// (year, month, day).
    pub(crate) fn civil(self) -> (i64, i64, i64) {
        crate::exceptions::civil_from_days(self.0)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl serde::Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Day {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a date YYYY-MM-DD");
        let parts: Vec<&str> = text.trim().split('-').collect();
        let [y, m, d] = parts.as_slice() else { return Err(bad()) };
        let (y, m, d): (i64, i64, i64) =
            (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        let day = Self::from_civil(y, m, d);
        if y.to_string().len() != 4 || day.civil() != (y, m, d) {
            return Err(bad());
        }
        Ok(day)
    }
}

/// A calendar quarter, `2026-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Quarter {
    /// The year.
    pub year: i64,
    /// 1 to 4.
    pub q: i64,
}

impl Quarter {
    /// Its first day.
    pub(crate) fn start(self) -> Day {
        Day::from_civil(self.year, (self.q - 1) * 3 + 1, 1)
    }

    /// Its last day.
    pub(crate) fn end(self) -> Day {
        Day(self.next().start().0 - 1)
    }

    /// The quarter before.
    pub(crate) fn previous(self) -> Self {
        if self.q == 1 { Self { year: self.year - 1, q: 4 } } else { Self { year: self.year, q: self.q - 1 } }
    }

    /// The quarter after.
    pub(crate) fn next(self) -> Self {
        if self.q == 4 { Self { year: self.year + 1, q: 1 } } else { Self { year: self.year, q: self.q + 1 } }
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

impl serde::Serialize for Quarter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Quarter {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a quarter YYYY-QN (for example 2026-Q4)");
        let (y, q) = text.trim().split_once(['-', ' ']).ok_or_else(bad)?;
        let q = q.strip_prefix(['Q', 'q']).ok_or_else(bad)?;
        let (year, q): (i64, i64) = (y.parse().map_err(|_| bad())?, q.parse().map_err(|_| bad())?);
        if y.len() != 4 || !(1..=4).contains(&q) {
            return Err(bad());
        }
        Ok(Self { year, q })
    }
}

/// The nearest-rank percentile `p` (0–100) of sorted values: the smallest value with at least
/// p% of the values at or below it. `None` for no values.
pub(crate) fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (usize::try_from(p).unwrap_or(100) * n).div_ceil(100).clamp(1, n);
    Some(sorted[rank - 1])
}

/// The median of sorted values: the middle one, or the mean of the two middle ones (rounded
/// down) for an even count.
pub(crate) fn median(sorted: &[i64]) -> Option<i64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]).div_euclid(2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_and_bound() {
        let q: Quarter = "2026-Q4".parse().expect("quarter");
        assert_eq!((q.start().to_string(), q.end().to_string()), ("2026-10-01".into(), "2026-12-31".into()));
        assert_eq!(q.previous().to_string(), "2026-Q3");
        assert_eq!("2027-q1".parse::<Quarter>().map(|q| q.previous().end().to_string()), Ok("2026-12-31".into()));
        assert_eq!("2024-Q1".parse::<Quarter>().map(|q| q.end().to_string()), Ok("2024-03-31".into()));
        for bad in ["2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-4", ""] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
    }

    #[test]
    fn days_parse_print_and_come_from_commit_times() {
        let d: Day = "2026-02-28".parse().expect("day");
        assert_eq!(Day(d.0 + 1).to_string(), "2026-03-01");
        assert!("2026-02-29".parse::<Day>().is_err() && "2026-13-01".parse::<Day>().is_err());
        // 2026-01-01T23:30:00Z seen by a committer at +01:00 is already the 2nd.
        let t = Day::from_civil(2026, 1, 1).0 * 86_400 + 23 * 3600 + 1800;
        assert_eq!(Day::from_time(t, 0).to_string(), "2026-01-01");
        assert_eq!(Day::from_time(t, 60).to_string(), "2026-01-02");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = [3, 5, 8, 13, 21, 34, 55, 89, 144, 233];
        assert_eq!(median(&v), Some(27));
        assert_eq!(percentile(&v, 90), Some(144));
        assert_eq!(percentile(&v, 50), Some(21));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(median(&[1, 2, 10]), Some(2));
        assert_eq!(percentile(&[], 90), None);
        assert_eq!(median(&[]), None);
    }
}
