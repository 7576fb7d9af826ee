//! Instants as the language writes them (RFC 3339 or a date, UTC unless an
//! offset is given) and as SQL and humans read them.
//!
//! Every instant flowq handles is a [`Time`]: whole Unix seconds from
//! 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. Flow-log `start` and `end`
//! are Unix seconds, so nothing before 1970 can match, and four-digit years
//! are what RFC 3339 and the partition folders write. Arithmetic on times
//! is checked: a result outside the range is an error that says which end
//! it passed, never a wrapped or clamped number.

use std::fmt;

use jiff::fmt::temporal::Pieces;

/// An instant in flowq's range, in whole Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

/// A time arithmetic or parsing result past one end of the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    BeforeEarliest,
    AfterLatest,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutOfRange::BeforeEarliest => write!(
                f,
                "before {}, the earliest time flowq handles",
                Time::EARLIEST
            ),
            OutOfRange::AfterLatest => {
                write!(f, "after {}, the latest time flowq handles", Time::LATEST)
            }
        }
    }
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Time {
    /// 1970-01-01T00:00:00Z.
    pub const EARLIEST: Time = Time(0);
    /// 9999-12-31T23:59:59Z.
    pub const LATEST: Time = Time(253_402_300_799);

    pub fn from_unix(seconds: i64) -> Result<Time, OutOfRange> {
        if seconds < Time::EARLIEST.0 {
            Err(OutOfRange::BeforeEarliest)
        } else if seconds > Time::LATEST.0 {
            Err(OutOfRange::AfterLatest)
        } else {
            Ok(Time(seconds))
        }
    }

    /// Unix seconds.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This time plus `seconds` (which may be negative).
    pub fn plus(self, seconds: i64) -> Result<Time, OutOfRange> {
        match self.0.checked_add(seconds) {
            Some(t) => Time::from_unix(t),
            None if seconds < 0 => Err(OutOfRange::BeforeEarliest),
            None => Err(OutOfRange::AfterLatest),
        }
    }

    /// This time minus `seconds` (which may be negative).
    pub fn minus(self, seconds: i64) -> Result<Time, OutOfRange> {
        match seconds.checked_neg() {
            Some(negated) => self.plus(negated),
            None => Err(OutOfRange::AfterLatest),
        }
    }

    /// This time plus `seconds`, stopping at the ends of the range. Only
    /// for bounds that may safely widen to the whole range (the partition
    /// range: no partition lies outside it).
    pub fn saturating_plus(self, seconds: i64) -> Time {
        self.plus(seconds).unwrap_or_else(|e| match e {
            OutOfRange::BeforeEarliest => Time::EARLIEST,
            OutOfRange::AfterLatest => Time::LATEST,
        })
    }

    /// The start of the `step`-second period (a day, an hour) holding this
    /// time, counted from the epoch.
    pub fn floor(self, step: i64) -> Time {
        Time(self.0 - self.0.rem_euclid(step))
    }

    /// The UTC calendar fields: (year, month, day, hour, minute).
    pub fn fields(self) -> (i16, i8, i8, i8, i8) {
        let (year, month, day, hour, minute) = utc_fields(self.0);
        // The range keeps the year within four digits.
        (year as i16, month, day, hour, minute)
    }

    /// The time of a UTC civil date and time; None when the fields are not
    /// a real date and time or lie outside the range.
    pub fn from_fields(year: i16, month: i8, day: i8, hour: i8, minute: i8) -> Option<Time> {
        let date = jiff::civil::Date::new(year, month, day).ok()?;
        jiff::civil::Time::new(hour, minute, 0, 0).ok()?;
        let seconds = days_from_civil(date) * SECONDS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60;
        Time::from_unix(seconds).ok()
    }

    /// The current time, floored to the second: windows are whole seconds,
    /// as flow-log `start` and `end` are.
    pub fn now() -> Result<Time, String> {
        let seconds = jiff::Timestamp::now().as_second();
        Time::from_unix(seconds).map_err(|e| {
            format!("the system clock reads {seconds} s since 1970, {e}: set the clock or pin the time with --now")
        })
    }
}

/// `2026-11-27T03:00:00Z`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi) = self.fields();
        let s = self.0.rem_euclid(60);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`), exact for every year jiff's civil dates hold.
fn days_from_civil(date: jiff::civil::Date) -> i64 {
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A time as written in a query or a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub time: Time,
    /// Written as a bare date (`2026-11-26`), meaning its UTC midnight.
    pub is_date: bool,
}

/// Parses `2026-11-26T10:00:00Z`, `2026-11-26T10:00:00+01:00`,
/// `2026-11-26T10:00:00` (UTC), `2026-11-26T10:00` or `2026-11-26`.
/// Fractions of a second are dropped.
pub fn parse_instant(text: &str) -> Result<Instant, String> {
    let not_a_time = || {
        format!(
            "'{text}' is not a time: write RFC 3339 (2026-11-26T10:00:00Z, or with an offset) or a date (2026-11-26)"
        )
    };
    // jiff parses the pieces (date, time, offset) without converting them
    // to its own timestamp, whose range ends a day before ours.
    let pieces = Pieces::parse(text).map_err(|_| not_a_time())?;
    if pieces.time_zone_annotation().is_some() {
        return Err(format!(
            "'{text}' names a time zone: write a UTC offset instead (2026-11-26T10:00:00+01:00)"
        ));
    }
    let clock = pieces.time();
    let offset = pieces.to_numeric_offset().map_or(0, |o| o.seconds());
    let since_midnight = clock.map_or(0, |t| {
        i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second())
    });
    let seconds =
        days_from_civil(pieces.date()) * SECONDS_PER_DAY + since_midnight - i64::from(offset);
    let time = Time::from_unix(seconds).map_err(|e| format!("'{text}' is {e}"))?;
    Ok(Instant {
        time,
        is_date: clock.is_none(),
    })
}

/// Parses `--now` and similar flags: a full RFC 3339 timestamp or a date.
pub fn parse_now(text: &str) -> Result<Time, String> {
    parse_instant(text).map(|i| i.time)
}

/// `2026-11-27T03:00:00Z`; a number of seconds outside the range is shown
/// as the number.
pub fn format_rfc3339(seconds: i64) -> String {
    match Time::from_unix(seconds) {
        Ok(t) => t.to_string(),
        Err(_) => seconds.to_string(),
    }
}

/// The UTC calendar fields of any Unix time: (year, month, day, hour,
/// minute), on the proleptic Gregorian calendar. For callers that compute
/// times past the range (the sample generator's file times): they get the
/// true calendar, never a stand-in.
pub fn utc_fields(seconds: i64) -> (i64, i8, i8, i8, i8) {
    let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    (
        year,
        month as i8,
        day as i8,
        (second_of_day / 3600) as i8,
        (second_of_day % 3600 / 60) as i8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Time {
        parse_now(text).unwrap()
    }

    #[test]
    fn instants_are_utc_unless_an_offset_is_given() {
        let z = parse_instant("2026-11-26T10:00:00Z").unwrap();
        assert_eq!(z.time.unix(), 1_795_687_200);
        assert_eq!(at("2026-11-26T10:00:00"), z.time);
        assert_eq!(at("2026-11-26T11:00:00+01:00"), z.time);
        assert_eq!(at("2026-11-26T10:00:00.999Z"), z.time);
        let date = parse_instant("2026-11-26").unwrap();
        assert!(date.is_date);
        assert_eq!(date.time.unix(), z.time.unix() - 10 * 3600);
        assert!(parse_instant("yesterday").is_err());
        assert!(parse_instant("2026-11-26T10:00:00+01:00[Europe/Paris]")
            .unwrap_err()
            .contains("write a UTC offset"));
        assert_eq!(z.time.to_string(), "2026-11-26T10:00:00Z");
        assert_eq!(z.time.fields(), (2026, 11, 26, 10, 0));
        assert_eq!(Time::from_fields(2026, 11, 26, 10, 0), Some(z.time));
    }

    #[test]
    fn the_range_is_1970_to_9999_inclusive() {
        // 253402300799 is the well-known Unix time of 9999-12-31T23:59:59Z.
        assert_eq!(at("9999-12-31T23:59:59Z").unix(), 253_402_300_799);
        assert_eq!(at("9999-12-31T23:59:59Z"), Time::LATEST);
        assert_eq!(at("1970-01-01"), Time::EARLIEST);
        assert_eq!(Time::LATEST.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Time::EARLIEST.to_string(), "1970-01-01T00:00:00Z");
        for (text, says) in [
            ("1969-12-31T23:59:59Z", "before 1970-01-01T00:00:00Z"),
            ("1970-01-01T00:30:00+01:00", "before 1970-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59-00:01", "after 9999-12-31T23:59:59Z"),
            ("0000-01-01", "before"),
        ] {
            let e = parse_instant(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
        assert!(parse_instant("10000-01-01").is_err());
        assert_eq!(
            Time::from_fields(9999, 12, 31, 23, 59).unwrap().unix(),
            253_402_300_740
        );
        assert_eq!(Time::from_fields(1969, 12, 31, 23, 59), None);
        assert_eq!(Time::from_fields(2026, 2, 29, 0, 0), None);
    }

    #[test]
    fn arithmetic_is_checked_at_both_ends() {
        let t = at("2026-11-27T03:00:00Z");
        assert_eq!(t.plus(3600).unwrap(), at("2026-11-27T04:00:00Z"));
        assert_eq!(t.minus(3600).unwrap(), at("2026-11-27T02:00:00Z"));
        assert_eq!(
            t.minus(99_999_999_999 * 86_400),
            Err(OutOfRange::BeforeEarliest)
        );
        assert_eq!(t.plus(i64::MAX), Err(OutOfRange::AfterLatest));
        assert_eq!(t.plus(i64::MIN), Err(OutOfRange::BeforeEarliest));
        assert_eq!(t.minus(i64::MIN), Err(OutOfRange::AfterLatest));
        assert_eq!(Time::LATEST.plus(1), Err(OutOfRange::AfterLatest));
        assert_eq!(Time::EARLIEST.minus(1), Err(OutOfRange::BeforeEarliest));
        assert_eq!(Time::EARLIEST.saturating_plus(-300), Time::EARLIEST);
        assert_eq!(Time::LATEST.saturating_plus(1800), Time::LATEST);
        assert_eq!(t.floor(86_400), at("2026-11-27"));
    }

    #[test]
    fn calendar_fields_agree_with_jiff_over_the_whole_range() {
        // jiff's own calendar, independent of days_from_civil: every 997th
        // day from 1970 to 9999, and the last days of the range.
        let epoch = jiff::civil::date(1970, 1, 1);
        let last = jiff::civil::date(9999, 12, 31);
        let mut date = epoch;
        let mut checked = 0;
        loop {
            let days = i64::from(epoch.until(date).unwrap().get_days());
            let t = Time::from_unix(days * 86_400 + 3661).unwrap();
            assert_eq!(
                t.fields(),
                (date.year(), date.month(), date.day(), 1, 1),
                "{date}"
            );
            assert_eq!(
                Time::from_fields(date.year(), date.month(), date.day(), 1, 1),
                Some(t.minus(1).unwrap())
            );
            checked += 1;
            if date == last {
                break;
            }
            date = date
                .checked_add(jiff::Span::new().days(997))
                .map_or(last, |next| next.min(last));
        }
        assert!(checked > 2900, "{checked}");
    }
}
