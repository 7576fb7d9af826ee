//! Trino DDL for a flowq table: the `CREATE TABLE` that lets Trino's Hive
//! connector read the flow-log folder the way Athena does, so the SQL of
//! src/sql.rs runs unchanged on both.
//!
//! The table mirrors the AWS text-table DDL (reference §3.2, §3.4):
//! space-separated text files with one header line, columns named after
//! the fields with hyphens as underscores and typed as AWS types them
//! (`int` -> `integer`, `string` -> `varchar`), partition columns last
//! (Trino requires it). Time partitions are projected, not registered
//! (reference §3.6): Trino computes the folders of a query's partitions
//! from the partition predicates flowq always writes, and reads only those.
//!
//! Folders per scheme, below the location (reference §2):
//!
//! | scheme        | folders                                  | projection                    |
//! |---------------|------------------------------------------|-------------------------------|
//! | `date`        | `2026/11/27`                             | none: partitions registered   |
//! | `day`         | `2026/11/27`                             | date, `yyyy/MM/dd`            |
//! | `date-hour`   | `2026/11/27/03`                          | date `yyyy/MM/dd`, hour 00-23 |
//! | `hive`        | `year=2026/month=11/day=27`              | integers, 2 digits            |
//! | `hive-hourly` | `year=2026/month=11/day=27/hour=03`      | integers, 2 digits            |
//! | `none`        | any depth (needs `hive.recursive-directories=true`) | -                  |
//!
//! Account and region partition columns put `<account>/vpcflowlogs/<region>/`
//! (or `aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/`
//! for the Hive schemes) between the location and the time folders, with
//! the accounts and regions given as enum projections.
//!
//! The `date` scheme's column is a DATE. Trino 476 cannot project a DATE
//! column onto `yyyy/MM/dd` folders (it formats the partition value with
//! the folder pattern and then fails to read it back as a date:
//! `HIVE_INVALID_PARTITION_VALUE`, trinodb/trino#25642), so for that
//! scheme each day's folder is registered with [`register_partition`],
//! as Athena's `ALTER TABLE ADD PARTITION` does (reference §3.2).

use std::fmt::Write as _;

use crate::schema::{Field, FieldType};
use crate::sql::ddl::DdlSource;
use crate::sql::render::{ident, literal, Literal};
use crate::table::{FileFormat, PartitionKey, Scheme, Table, TimePart};
use crate::time;

/// Where a table's files are and what its enum partitions hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The folder the partition folders start under, as Trino names it:
    /// `s3://bucket/prefix/AWSLogs/123456789012/vpcflowlogs/us-east-1`, or
    /// `s3://bucket/prefix/AWSLogs` when the table has account and region
    /// partition columns.
    pub uri: String,
    /// The first day the projection covers (Unix seconds, any time of that
    /// UTC day). Days and years before it are never read.
    pub first_day: i64,
    /// The accounts of an account partition column.
    pub accounts: Vec<String>,
    /// The regions of a region partition column.
    pub regions: Vec<String>,
}

/// Why no DDL can be written for a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdlError(pub String);

impl std::fmt::Display for DdlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DdlError {}

/// The last year a Hive-style `year=` projection covers: integer
/// projections need a fixed end, and an end that passes would hide new
/// data without a word.
pub const LAST_PROJECTED_YEAR: i64 = 2099;

/// Leads the `date` scheme's DDL, which alone is not enough to read data.
const DATE_SCHEME_NOTE: &str = "\
-- Trino 476 cannot project a DATE partition onto yyyy/MM/dd folders (trinodb/trino#25642):
-- register each day's folder, e.g. CALL system.register_partition('<schema>', '<table>',
-- ARRAY['date'], ARRAY['2026-11-27'], '<location>/2026/11/27'), or use the 'day' scheme.
";

/// The `CREATE TABLE` statement for a table whose files are at `location`.
pub fn create_table(table: &Table, location: &Location) -> Result<String, DdlError> {
    check(table, location)?;
    let mut columns: Vec<String> = table
        .format
        .fields()
        .iter()
        .map(|f| format!("{} {}", ident(f.column), column_type(f, table.file_format)))
        .collect();
    let partitions = partition_columns(table, location);
    columns.extend(partitions.iter().map(PartitionColumn::definition));

    let mut sql = String::new();
    if table.partitioning.scheme == Scheme::Date {
        sql.push_str(DATE_SCHEME_NOTE);
    }
    let _ = writeln!(
        sql,
        "CREATE TABLE IF NOT EXISTS {}.{} (",
        ident(&table.database),
        ident(&table.name)
    );
    sql.push_str(&indented(&columns, "  ", ",\n"));
    sql.push_str("\n)\nWITH (\n");
    let mut properties = match table.file_format {
        FileFormat::Text => vec![
            "format = 'TEXTFILE'".to_string(),
            format!("textfile_field_separator = {}", text(" ")),
            "skip_header_line_count = 1".to_string(),
        ],
        // Columns are matched by name, as Athena does (reference §3.1).
        FileFormat::Parquet => vec!["format = 'PARQUET'".to_string()],
    };
    properties.push(format!("external_location = {}", text(root(location))));
    if !partitions.is_empty() {
        let names: Vec<String> = partitions.iter().map(|p| text(&p.name)).collect();
        properties.push(format!("partitioned_by = ARRAY[{}]", names.join(", ")));
    }
    if partitions.iter().any(|p| p.projection.is_some()) {
        properties.push("partition_projection_enabled = true".into());
        properties.push(format!(
            "partition_projection_location_template = {}",
            text(&location_template(table, location))
        ));
    }
    sql.push_str(&indented(&properties, "  ", ",\n"));
    sql.push_str("\n)");
    Ok(sql)
}

/// The statement that registers the folder of the UTC day holding instant
/// `t` as a partition of a `date`-scheme table (without account or region
/// columns). Trino refuses folders that do not exist.
pub fn register_partition(table: &Table, location: &Location, t: i64) -> Result<String, DdlError> {
    check(table, location)?;
    let partitioning = &table.partitioning;
    if partitioning.scheme != Scheme::Date || partitioning.columns().count() != 1 {
        return Err(DdlError(
            "partitions are registered only for the 'date' scheme without account or region columns; the other schemes are projected".into(),
        ));
    }
    let (y, m, d, _, _) = time::utc_fields(t);
    let value = format!("{y:04}-{m:02}-{d:02}");
    let folder = format!("{}/{y:04}/{m:02}/{d:02}", root(location));
    Ok(format!(
        "CALL system.register_partition({}, {}, ARRAY[{}], ARRAY[{}], {})",
        text(&table.database),
        text(&table.name),
        text(&partitioning.time_columns[0]),
        text(&value),
        text(&folder)
    ))
}

/// The `CREATE TABLE` for a configured source (`flowq ddl --engine
/// trino`): its `location` as Trino names it (`s3://...` on S3), and for
/// the projected schemes the first day (`projection.start`) and the
/// account and region values of `projection`.
pub fn for_source(source: &DdlSource) -> Result<String, DdlError> {
    let uri = source.location.map(str::to_string).ok_or_else(|| {
        DdlError(format!(
            "source '{}' has no 'location': add the folder of its flow logs, e.g. s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/",
            source.name
        ))
    })?;
    let projection = source.projection.cloned();
    let start = projection.as_ref().and_then(|p| p.start.clone());
    let scheme = source.table.partitioning.scheme;
    let first_day = match start {
        Some(day) => {
            time::parse_instant(&day.replace('/', "-"))
                .map_err(|e| {
                    DdlError(format!(
                        "source '{}': projection.start '{day}': {e}",
                        source.name
                    ))
                })?
                .time
                .unix()
        }
        None if !matches!(scheme, Scheme::Date | Scheme::None) => {
            return Err(DdlError(format!(
                "source '{}': the Trino table projects its '{}' partitions from a first day: set projection.start (yyyy/MM/dd), e.g. projection: {{ enabled: true, start: 2026/01/01 }}",
                source.name,
                scheme.name()
            )))
        }
        None => 0,
    };
    let location = Location {
        uri,
        first_day,
        accounts: projection
            .as_ref()
            .and_then(|p| p.accounts.clone())
            .unwrap_or_default(),
        regions: projection.and_then(|p| p.regions).unwrap_or_default(),
    };
    create_table(source.table, &location)
}

fn check(table: &Table, location: &Location) -> Result<(), DdlError> {
    table.validate().map_err(DdlError)?;
    // Trino matches `${column}` in the location template against the
    // lowercased column name; Athena allows only these characters in
    // names anyway (reference §3.1).
    for column in table.partitioning.columns() {
        let valid = !column.is_empty()
            && column
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(DdlError(format!(
                "partition column '{column}' must be lowercase letters, digits and underscores"
            )));
        }
    }
    let partitioning = &table.partitioning;
    if partitioning.account_column.is_some() && partitioning.region_column.is_none() {
        return Err(DdlError(
            "an account partition column needs a region partition column too: the region folder lies between the account folder and the time folders".into(),
        ));
    }
    if partitioning.scheme == Scheme::Date && partitioning.region_column.is_some() {
        return Err(DdlError(
            "on Trino the 'date' scheme's partitions are registered day by day, which flowq does only without account or region columns; use the 'day' scheme, whose partitions are projected".into(),
        ));
    }
    for (key, values) in [
        (PartitionKey::Account, &location.accounts),
        (PartitionKey::Region, &location.regions),
    ] {
        if let Some(column) = partitioning.column(key) {
            if values.is_empty() {
                return Err(DdlError(format!(
                    "partition column '{column}' is projected from a list of values; give at least one"
                )));
            }
        }
    }
    if root(location).is_empty() {
        return Err(DdlError("the table needs a location".into()));
    }
    Ok(())
}

fn root(location: &Location) -> &str {
    location.uri.trim_end_matches('/')
}

fn text(value: &str) -> String {
    literal(Literal::Text(value))
}

fn indented(lines: &[String], indent: &str, separator: &str) -> String {
    lines
        .iter()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join(separator)
}

/// Column types as the AWS text DDL gives them (reference §1.4).
fn column_type(field: &Field, format: FileFormat) -> &'static str {
    match field.ty {
        FieldType::Int => "integer",
        // The Parquet files store protocol as INT32 (reference §1.4, §6.5),
        // as sql/ddl.rs declares it for Athena.
        FieldType::BigInt if format == FileFormat::Parquet && field.parquet_int32 => "integer",
        FieldType::BigInt => "bigint",
        FieldType::Text | FieldType::Address => "varchar",
    }
}

struct PartitionColumn {
    name: String,
    sql_type: &'static str,
    projection: Option<Vec<String>>,
}

impl PartitionColumn {
    fn definition(&self) -> String {
        let mut out = format!("{} {}", ident(&self.name), self.sql_type);
        if let Some(properties) = &self.projection {
            let _ = write!(out, " WITH (\n{}\n  )", indented(properties, "    ", ",\n"));
        }
        out
    }
}

/// Partition columns in Trino's order: time columns, then account, region.
fn partition_columns(table: &Table, location: &Location) -> Vec<PartitionColumn> {
    let partitioning = &table.partitioning;
    let first_year = time::utc_fields(location.first_day).0;
    let mut out: Vec<PartitionColumn> = partitioning
        .scheme
        .parts()
        .iter()
        .zip(&partitioning.time_columns)
        .map(|(part, name)| PartitionColumn {
            name: name.clone(),
            sql_type: if *part == TimePart::DateValue {
                "date"
            } else {
                "varchar"
            },
            projection: time_projection(*part, location.first_day, first_year),
        })
        .collect();
    for (column, values) in [
        (&partitioning.account_column, &location.accounts),
        (&partitioning.region_column, &location.regions),
    ] {
        if let Some(name) = column {
            let values: Vec<String> = values.iter().map(|v| text(v)).collect();
            out.push(PartitionColumn {
                name: name.clone(),
                sql_type: "varchar",
                projection: Some(vec![
                    format!("partition_projection_type = {}", text("enum")),
                    format!("partition_projection_values = ARRAY[{}]", values.join(", ")),
                ]),
            });
        }
    }
    out
}

fn time_projection(part: TimePart, first_day: i64, first_year: i64) -> Option<Vec<String>> {
    let integer = |low: i64, high: i64, digits: Option<u8>| {
        let mut properties = vec![
            format!("partition_projection_type = {}", text("integer")),
            format!(
                "partition_projection_range = ARRAY[{}, {}]",
                text(&low.to_string()),
                text(&high.to_string())
            ),
        ];
        if let Some(digits) = digits {
            properties.push(format!("partition_projection_digits = {digits}"));
        }
        Some(properties)
    };
    match part {
        // Registered, not projected: see the module comment.
        TimePart::DateValue => None,
        TimePart::DayPath => {
            let (y, m, d, _, _) = time::utc_fields(first_day);
            Some(vec![
                format!("partition_projection_type = {}", text("date")),
                format!("partition_projection_format = {}", text("yyyy/MM/dd")),
                format!(
                    "partition_projection_range = ARRAY[{}, {}]",
                    text(&format!("{y:04}/{m:02}/{d:02}")),
                    text("NOW")
                ),
            ])
        }
        TimePart::Year => integer(first_year, LAST_PROJECTED_YEAR, None),
        TimePart::Month => integer(1, 12, Some(2)),
        TimePart::Day => integer(1, 31, Some(2)),
        TimePart::Hour => integer(0, 23, Some(2)),
    }
}

/// `<root>/<account and region folders>/<time folders>`, with `${column}`
/// placeholders.
fn location_template(table: &Table, location: &Location) -> String {
    let partitioning = &table.partitioning;
    let hive = matches!(partitioning.scheme, Scheme::Hive | Scheme::HiveHourly);
    let placeholder = |column: &str| format!("${{{column}}}");
    let mut folders: Vec<String> = Vec::new();
    if let Some(account) = &partitioning.account_column {
        folders.push(if hive {
            format!("aws-account-id={}", placeholder(account))
        } else {
            placeholder(account)
        });
        folders.push(
            if hive {
                "aws-service=vpcflowlogs"
            } else {
                "vpcflowlogs"
            }
            .into(),
        );
    }
    if let Some(region) = &partitioning.region_column {
        folders.push(if hive {
            format!("aws-region={}", placeholder(region))
        } else {
            placeholder(region)
        });
    }
    for (part, column) in partitioning
        .scheme
        .parts()
        .iter()
        .zip(&partitioning.time_columns)
    {
        let value = placeholder(column);
        folders.push(match part {
            TimePart::Year => format!("year={value}"),
            TimePart::Month => format!("month={value}"),
            TimePart::Day => format!("day={value}"),
            TimePart::Hour if hive => format!("hour={value}"),
            _ => value,
        });
    }
    format!("{}/{}", root(location), folders.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Partitioning;

    fn location() -> Location {
        Location {
            uri: "s3://logs/AWSLogs/".into(),
            first_day: time::parse_now("2025-03-04").unwrap().unix(),
            accounts: vec!["123456789012".into()],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        }
    }

    #[test]
    fn templates_put_account_and_region_before_time() {
        let mut table = Table {
            partitioning: Partitioning::new(Scheme::DateHour),
            ..Table::default()
        };
        table.partitioning.account_column = Some("aws_account".into());
        table.partitioning.region_column = Some("aws_region".into());
        assert_eq!(
            location_template(&table, &location()),
            "s3://logs/AWSLogs/${aws_account}/vpcflowlogs/${aws_region}/${date}/${hour}"
        );
        table.partitioning.scheme = Scheme::HiveHourly;
        table.partitioning.time_columns =
            vec!["year".into(), "month".into(), "day".into(), "hour".into()];
        assert_eq!(
            location_template(&table, &location()),
            "s3://logs/AWSLogs/aws-account-id=${aws_account}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}/hour=${hour}"
        );
    }

    #[test]
    fn an_account_column_without_a_region_column_is_refused() {
        let mut table = Table::default();
        table.partitioning.account_column = Some("aws_account".into());
        let error = create_table(&table, &location()).unwrap_err();
        assert!(error.0.contains("region partition column"), "{error}");
    }

    #[test]
    fn only_date_tables_register_partitions() {
        let at = time::parse_now("2026-11-27T03:00:00Z").unwrap().unix();
        assert_eq!(
            register_partition(&Table::default(), &location(), at).unwrap(),
            "CALL system.register_partition('default', 'vpc_flow_logs', ARRAY['date'], ARRAY['2026-11-27'], 's3://logs/AWSLogs/2026/11/27')"
        );
        let day = Table {
            partitioning: Partitioning::new(Scheme::Day),
            ..Table::default()
        };
        assert!(register_partition(&day, &location(), at).is_err());
    }

    #[test]
    fn values_and_names_stay_inside_their_quotes() {
        let mut table = Table {
            name: "t\"x".into(),
            partitioning: Partitioning::new(Scheme::Day),
            ..Table::default()
        };
        table.partitioning.account_column = Some("aws_account".into());
        table.partitioning.region_column = Some("aws_region".into());
        let mut location = location();
        location.accounts = vec!["1' OR '1".into()];
        let sql = create_table(&table, &location).unwrap();
        assert!(sql.contains("\"default\".\"t\"\"x\""), "{sql}");
        assert!(sql.contains("ARRAY['1'' OR ''1']"), "{sql}");
        table.partitioning.region_column = Some("Region".into());
        assert!(create_table(&table, &location).is_err());
    }
}
