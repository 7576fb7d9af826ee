//! Instants as the language writes them (RFC 3339 or a date, UTC unless an
//! offset is given) and as SQL and humans read them.

use std::str::FromStr;

use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
use jiff::Timestamp;

/// A point in time, parsed from the query, in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub seconds: i64,
    /// Written as a bare date (`2026-11-26`), meaning its UTC midnight.
    pub is_date: bool,
}

/// Parses `2026-11-26T10:00:00Z`, `2026-11-26T10:00:00+01:00`,
/// `2026-11-26T10:00:00` (UTC), `2026-11-26T10:00` or `2026-11-26`.
pub fn parse_instant(text: &str) -> Result<Instant, String> {
    if let Ok(ts) = Timestamp::from_str(text) {
        return Ok(Instant {
            seconds: ts.as_second(),
            is_date: false,
        });
    }
    // Stopgap until the checked time type of issue 10 item 5 (branch
    // h-values) lands: a civil time past what jiff converts is an error,
    // not i64::MIN.
    let out_of_range = || format!("'{text}' is past the last time flowq handles");
    if text.contains('T') || text.contains('t') || text.contains(' ') {
        if let Ok(dt) = DateTime::from_str(text) {
            return Ok(Instant {
                seconds: utc(dt).ok_or_else(out_of_range)?,
                is_date: false,
            });
        }
    } else if let Ok(date) = Date::from_str(text) {
        return Ok(Instant {
            seconds: utc(date.to_datetime(jiff::civil::Time::midnight()))
                .ok_or_else(out_of_range)?,
            is_date: true,
        });
    }
    Err(format!(
        "'{text}' is not a time: write RFC 3339 (2026-11-26T10:00:00Z, or with an offset) or a date (2026-11-26)"
    ))
}

fn utc(dt: DateTime) -> Option<i64> {
    Offset::UTC.to_timestamp(dt).ok().map(|ts| ts.as_second())
}

/// Parses `--now` and similar flags: a full RFC 3339 timestamp or a date.
pub fn parse_now(text: &str) -> Result<i64, String> {
    parse_instant(text).map(|i| i.seconds)
}

/// The current time, floored to the second: windows are whole seconds, as
/// flow-log `start` and `end` are.
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// `2026-11-27T03:00:00Z`.
pub fn format_rfc3339(seconds: i64) -> String {
    match Timestamp::from_second(seconds) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => seconds.to_string(),
    }
}

/// The UTC calendar fields of an instant: (year, month, day, hour, minute).
pub fn utc_fields(seconds: i64) -> (i16, i8, i8, i8, i8) {
    let dt =
        Offset::UTC.to_datetime(Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH));
    (dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute())
}

/// Unix seconds of a UTC civil time, for building instants from fields.
pub fn from_utc_fields(year: i16, month: i8, day: i8, hour: i8, minute: i8) -> Option<i64> {
    let date = Date::new(year, month, day).ok()?;
    let time = jiff::civil::Time::new(hour, minute, 0, 0).ok()?;
    Offset::UTC
        .to_timestamp(date.to_datetime(time))
        .ok()
        .map(|ts| ts.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_utc_unless_an_offset_is_given() {
        let z = parse_instant("2026-11-26T10:00:00Z").unwrap();
        assert_eq!(z.seconds, 1_795_687_200);
        assert_eq!(
            parse_instant("2026-11-26T10:00:00").unwrap().seconds,
            z.seconds
        );
        assert_eq!(
            parse_instant("2026-11-26T11:00:00+01:00").unwrap().seconds,
            z.seconds
        );
        let date = parse_instant("2026-11-26").unwrap();
        assert!(date.is_date);
        assert_eq!(date.seconds, z.seconds - 10 * 3600);
        assert!(parse_instant("yesterday").is_err());
        assert_eq!(format_rfc3339(z.seconds), "2026-11-26T10:00:00Z");
        assert_eq!(utc_fields(z.seconds), (2026, 11, 26, 10, 0));
        assert_eq!(from_utc_fields(2026, 11, 26, 10, 0), Some(z.seconds));
    }
}
