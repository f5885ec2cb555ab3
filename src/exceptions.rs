//! Dates of exceptions: today from the clock, days between dates, and expiry. pave itself may
//! read the clock; templates never can.

/// Today's date as a TOML date, from the system clock (pave may read the clock; templates may not).
pub(crate) fn today() -> toml::value::Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    toml::value::Date {
        year: u16::try_from(year).unwrap_or(u16::MAX),
        month: u8::try_from(month).unwrap_or(1),
        day: u8::try_from(day).unwrap_or(1),
    }
}

/// (year, month, day) of a count of days since 1970-01-01, after Howard Hinnant's
/// `civil_from_days`.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The longest an exception may run when the catalog sets no maximum.
pub(crate) const DEFAULT_MAX_EXCEPTION_DAYS: u32 = 180;

/// Days since 1970-01-01 of a civil date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days from `today` to a date (negative in the past); `None` without a date part.
pub(crate) fn days_until(when: &toml::value::Datetime, today: toml::value::Date) -> Option<i64> {
    let d = when.date?;
    let day = |x: toml::value::Date| days_from_civil(i64::from(x.year), i64::from(x.month), i64::from(x.day));
    Some(day(d) - day(today))
}

/// Whether an exception's expiry is before `today`.
pub(crate) fn expired(expires: &toml::value::Datetime, today: toml::value::Date) -> bool {
    expires.date.is_some_and(|d| (d.year, d.month, d.day) < (today.year, today.month, today.day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_real_date() {
        let t = today();
        assert!(t.year >= 2024 && (1..=12).contains(&t.month) && (1..=31).contains(&t.day));
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
    }
}
