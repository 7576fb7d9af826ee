//! How clap reads the values of flags: the closed sets of the library's
//! vocabulary as `ValueEnum`s, and parsers that turn text into typed values.
//! A bad value is then clap's usage error naming the flag (exit 2), and no
//! command parses a flag's text again.

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::engine::output::Format;
use crate::sample::{FileFormat, FormatVersion, Layout};
use crate::table::Scheme;

// The library keeps its own list of each set (`ALL`, `name`), which the
// config and docs use too; these impls only show clap that list, so the
// names users type stay spelled in one place.

impl ValueEnum for Scheme {
    fn value_variants<'a>() -> &'a [Self] {
        &Scheme::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &Format::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for Layout {
    fn value_variants<'a>() -> &'a [Self] {
        &Layout::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for FileFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &FileFormat::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for FormatVersion {
    fn value_variants<'a>() -> &'a [Self] {
        &FormatVersion::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

/// `--max-scan`: a size in bytes above zero (`10G`, `1.5TiB`).
pub fn scan_limit(text: &str) -> Result<u64, String> {
    let bytes = crate::units::parse_size(text)?;
    match u64::try_from(bytes) {
        Ok(bytes) if bytes > 0 => Ok(bytes),
        _ => Err("the size must be above 0".into()),
    }
}

/// `--reuse`: an age in seconds, with a unit (`60m`): a bare number could
/// mean seconds or minutes.
pub fn age(text: &str) -> Result<i64, String> {
    crate::units::parse_duration(text, true)
}

/// `-p NAME=VALUE`: a parameter's name (a leading `$` allowed, as queries
/// write it) and its value, read later as a value of the language.
pub fn param(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or("needs the form NAME=VALUE, e.g. -p window=6h")?;
    Ok((
        name.trim().trim_start_matches('$').to_string(),
        value.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each name clap accepts is the library's own, and reads back as the
    /// value it names.
    fn round_trips<T: ValueEnum + PartialEq + std::fmt::Debug>(names: &[&str]) {
        let listed: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|p| p.get_name().to_string())
            .collect();
        assert_eq!(listed, names);
        for (value, name) in T::value_variants().iter().zip(names) {
            assert_eq!(T::from_str(name, false).as_ref(), Ok(value));
        }
        assert!(T::from_str("nonsense", false).is_err());
    }

    #[test]
    fn closed_sets_keep_the_names_users_type() {
        round_trips::<Scheme>(&["date", "day", "date-hour", "hive", "hive-hourly", "none"]);
        round_trips::<Format>(&["table", "csv", "json", "jsonl"]);
        round_trips::<Layout>(&["default", "hive"]);
        round_trips::<FormatVersion>(&["2", "5"]);
        round_trips::<FileFormat>(&["text", "parquet"]);
    }

    #[test]
    fn scan_limits_are_sizes_above_zero() {
        assert_eq!(scan_limit("10G"), Ok(10_000_000_000));
        assert_eq!(scan_limit("2KiB"), Ok(2048));
        assert_eq!(scan_limit("0"), Err("the size must be above 0".into()));
        assert!(scan_limit("10Q").unwrap_err().contains("unknown size unit"));
    }

    #[test]
    fn ages_need_a_unit() {
        assert_eq!(age("60m"), Ok(3600));
        assert!(age("90").unwrap_err().contains("needs a unit"));
    }

    #[test]
    fn params_split_at_the_first_equals_sign() {
        assert_eq!(param("top=5"), Ok(("top".into(), "5".into())));
        assert_eq!(param("$window = 6h"), Ok(("window".into(), " 6h".into())));
        assert_eq!(param("q=a=b"), Ok(("q".into(), "a=b".into())));
        assert!(param("novalue").unwrap_err().contains("NAME=VALUE"));
    }
}
