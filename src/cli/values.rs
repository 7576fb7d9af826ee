//! How clap reads the values of flags: the closed sets of the library's
//! vocabulary as `ValueEnum`s. A bad value is then clap's usage error naming
//! the flag (exit 2), and no command parses a flag's text again.

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::engine::output::Format;
use crate::sample::{FormatVersion, Layout};
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

impl ValueEnum for FormatVersion {
    fn value_variants<'a>() -> &'a [Self] {
        &FormatVersion::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
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
    }
}
