//! Times for people: a duration as `m:ss` (or `h:mm:ss`), a Unix time as a UTC date and as
//! RFC 3339, without a calendar library.

/// Seconds as `m:ss` (or `h:mm:ss`); negative and NaN as `0:00`.
pub fn fmt_time(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The calendar date (UTC) of a Unix time (days → civil date, proleptic Gregorian).
pub fn civil_date(unix_secs: u64) -> (i64, u32, u32) {
    let z = (unix_secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A Unix time as RFC 3339 in UTC: `2026-12-06T16:50:00Z`.
pub fn rfc3339(unix_secs: u64) -> String {
    let (y, m, d) = civil_date(unix_secs);
    let s = unix_secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Now, in seconds since the Unix epoch (0 if the clock is before it).
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_below_an_hour_hours_from_one() {
        assert_eq!(fmt_time(0.0), "0:00");
        assert_eq!(fmt_time(-3.0), "0:00");
        assert_eq!(fmt_time(f64::NAN), "0:00");
        assert_eq!(fmt_time(59.6), "1:00");
        assert_eq!(fmt_time(441.0), "7:21");
        assert_eq!(fmt_time(3599.4), "59:59");
        assert_eq!(fmt_time(3600.0), "1:00:00");
        assert_eq!(fmt_time(86_399.0), "23:59:59");
    }

    #[test]
    fn dates_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }
}
