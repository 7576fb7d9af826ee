//! The table model: what a query is compiled against. A table is its log
//! format, its file format, its partitioning scheme and the defaults that
//! keep an unbounded query from scanning (and billing) everything.

use std::fmt;

use crate::schema::LogFormat;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub database: String,
    pub name: String,
    pub format: LogFormat,
    pub file_format: FileFormat,
    pub partitioning: Partitioning,
    /// How long after a window ends its records may still be delivered, in
    /// seconds: the partition range is padded by this on the late side.
    pub lateness: i64,
    /// The window of a query that gives none, in seconds.
    pub default_window: i64,
    /// The row limit of a query that gives none.
    pub default_limit: u64,
}

pub const DEFAULT_LATENESS: i64 = 30 * 60;
pub const DEFAULT_WINDOW: i64 = 3600;
pub const DEFAULT_LIMIT: u64 = 1000;

impl Default for Table {
    /// The built-in source: the AWS docs' table (reference §3.2), v2
    /// default format, text files, one DATE partition column `date`.
    fn default() -> Self {
        Table {
            database: "default".into(),
            name: "vpc_flow_logs".into(),
            format: LogFormat::default_v2(),
            file_format: FileFormat::Text,
            partitioning: Partitioning::new(Scheme::Date),
            lateness: DEFAULT_LATENESS,
            default_window: DEFAULT_WINDOW,
            default_limit: DEFAULT_LIMIT,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Text,
    Parquet,
}

/// How the table's partitions map onto time (reference §2, §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// One DATE column: `"date" = DATE '2026-11-27'` (reference §3.2).
    Date,
    /// One string column `yyyy/MM/dd`, the projection layout (§3.4).
    Day,
    /// String `yyyy/MM/dd` plus string hour `00`-`23` (§3.5).
    DateHour,
    /// Strings year, month, day: Hive-compatible prefixes (§3.3).
    Hive,
    /// Hive-compatible prefixes with hourly partitions.
    HiveHourly,
    /// No time partitions: only the record times bound the scan.
    None,
}

impl Scheme {
    pub const ALL: [Scheme; 6] = [
        Scheme::Date,
        Scheme::Day,
        Scheme::DateHour,
        Scheme::Hive,
        Scheme::HiveHourly,
        Scheme::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Date => "date",
            Scheme::Day => "day",
            Scheme::DateHour => "date-hour",
            Scheme::Hive => "hive",
            Scheme::HiveHourly => "hive-hourly",
            Scheme::None => "none",
        }
    }

    pub fn from_name(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The time parts of the partition key, coarsest first.
    pub fn parts(self) -> &'static [TimePart] {
        use TimePart::*;
        match self {
            Scheme::Date => &[DateValue],
            Scheme::Day => &[DayPath],
            Scheme::DateHour => &[DayPath, Hour],
            Scheme::Hive => &[Year, Month, Day],
            Scheme::HiveHourly => &[Year, Month, Day, Hour],
            Scheme::None => &[],
        }
    }

    pub fn is_hourly(self) -> bool {
        self.parts().contains(&TimePart::Hour)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One time component of a partition key, and how its value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePart {
    /// A DATE value, `DATE '2026-11-27'`.
    DateValue,
    /// `'2026/11/27'`.
    DayPath,
    /// `'2026'`.
    Year,
    /// `'11'`, zero-padded.
    Month,
    /// `'27'`, zero-padded.
    Day,
    /// `'03'`, zero-padded.
    Hour,
}

impl TimePart {
    pub fn default_column(self) -> &'static str {
        match self {
            TimePart::DateValue => "date",
            TimePart::DayPath => "day",
            TimePart::Year => "year",
            TimePart::Month => "month",
            TimePart::Day => "day",
            TimePart::Hour => "hour",
        }
    }
}

/// The non-time partition keys a table may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionKey {
    Account,
    Region,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partitioning {
    pub scheme: Scheme,
    /// Column names for the scheme's time parts, in `Scheme::parts` order.
    pub time_columns: Vec<String>,
    /// A partition column holding the account ID, if the table has one.
    pub account_column: Option<String>,
    /// A partition column holding the region, if the table has one.
    pub region_column: Option<String>,
}

impl Partitioning {
    pub fn new(scheme: Scheme) -> Self {
        let mut time_columns: Vec<String> = scheme
            .parts()
            .iter()
            .map(|p| p.default_column().to_string())
            .collect();
        // The AWS hourly projection layout names its day column `date`
        // (reference §3.5).
        if scheme == Scheme::DateHour {
            time_columns[0] = "date".into();
        }
        Partitioning {
            scheme,
            time_columns,
            account_column: None,
            region_column: None,
        }
    }

    pub fn column(&self, key: PartitionKey) -> Option<&str> {
        match key {
            PartitionKey::Account => self.account_column.as_deref(),
            PartitionKey::Region => self.region_column.as_deref(),
        }
    }

    /// Every partition column name, time columns first.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.time_columns
            .iter()
            .chain(&self.account_column)
            .chain(&self.region_column)
            .map(String::as_str)
    }
}

impl Table {
    /// The columns of a query that returns records. A folder of files is
    /// checked against every known field, but its records show only those
    /// of versions 2 to 5 (the 29 of AWS's full custom format): the ECS and
    /// later fields are `-` for almost every flow, and `fields` names them.
    pub fn record_fields(&self) -> Vec<&'static crate::schema::Field> {
        let fields = self.format.fields();
        if self.format == LogFormat::all_fields() {
            fields.iter().copied().filter(|f| f.version <= 5).collect()
        } else {
            fields.to_vec()
        }
    }

    /// Problems that make the table unusable: a partition column that has
    /// the name of a data column would shadow it (reference §3.4's
    /// `region` pitfall).
    pub fn validate(&self) -> Result<(), String> {
        for column in self.partitioning.columns() {
            if let Some(field) = self.format.fields().iter().find(|f| f.column == column) {
                return Err(format!(
                    "partition column '{column}' has the name of the log format's field '{}'; name the partition column differently (e.g. 'aws_{column}')",
                    field.name
                ));
            }
        }
        let mut seen = Vec::new();
        for column in self.partitioning.columns() {
            if seen.contains(&column) {
                return Err(format!("partition column '{column}' is named twice"));
            }
            seen.push(column);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_column_may_not_shadow_a_data_column() {
        let mut table = Table {
            format: LogFormat::parse("${version} ${region} ${start} ${end}").unwrap(),
            ..Table::default()
        };
        assert!(table.validate().is_ok());
        table.partitioning.region_column = Some("region".into());
        assert!(table.validate().unwrap_err().contains("aws_region"));
    }

    #[test]
    fn schemes_name_their_columns_like_the_aws_docs() {
        assert_eq!(
            Partitioning::new(Scheme::DateHour).time_columns,
            ["date", "hour"]
        );
        assert_eq!(
            Partitioning::new(Scheme::Hive).time_columns,
            ["year", "month", "day"]
        );
        assert!(Scheme::HiveHourly.is_hourly() && !Scheme::Day.is_hourly());
    }
}
