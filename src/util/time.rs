//! The one way a duration is written for people: `m:ss`, or `h:mm:ss` from an hour on.

/// Seconds as `m:ss` (or `h:mm:ss`); negative and NaN as `0:00`.
pub fn fmt_time(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_time;

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
}
