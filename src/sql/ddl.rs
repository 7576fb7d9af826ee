//! `flowq ddl`: the Athena `CREATE EXTERNAL TABLE` for a source, and the
//! `ALTER TABLE ... ADD PARTITION` statements users otherwise write by hand.
//!
//! Columns come from the source's log format, in order (LazySimpleSerDe
//! maps text columns by position, reference §6.1), hyphens to underscores;
//! every identifier is backticked (always legal in Hive DDL, and `date`,
//! `end`, `start` need it, reference §4.2). Text tables set
//! `serialization.null.format` to `-`, so `-` reads as NULL in every column
//! (reference §1.3); flowq's queries work with or without it.

use std::fmt::Write as _;

use crate::schema::FieldType;
use crate::sql::partition::{self, PartValue, PartitionRange};
use crate::sql::render as sql;
use crate::table::{FileFormat, Scheme, Table, TimePart};
use crate::time::Time;

/// What the DDL needs of a source: its table, where its files are, and
/// how Athena projects its partitions.
pub struct DdlSource<'a> {
    pub name: &'a str,
    pub table: &'a Table,
    /// `s3://bucket/prefix/`: where the flow logs are.
    pub location: Option<&'a str>,
    pub projection: Option<&'a Projection>,
}

/// Partition projection settings of an Athena table (reference §3.6).
#[derive(serde::Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    pub enabled: bool,
    /// First day of the projected range, `yyyy/MM/dd`.
    pub start: Option<String>,
    /// Values of the account partition column.
    pub accounts: Option<Vec<String>>,
    /// Values of the region partition column.
    pub regions: Option<Vec<String>>,
}

/// A DDL identifier: backticked, with backticks doubled.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A DDL string literal.
fn string(text: &str) -> String {
    sql::literal(sql::Literal::Text(text))
}

fn property(key: &str, value: &str) -> String {
    format!("  {}={}", json_like(key), json_like(value))
}

/// TBLPROPERTIES keys and values are double-quoted strings.
fn json_like(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[derive(Debug, PartialEq, Eq)]
pub struct DdlError(pub String);

impl std::fmt::Display for DdlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `CREATE EXTERNAL TABLE` for the source.
pub fn create_table(source: &DdlSource) -> Result<String, DdlError> {
    let table = &source.table;
    let location = location(source)?;
    let mut out = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {}.{} (\n",
        ident(&table.database),
        ident(&table.name)
    );
    let columns: Vec<String> = table
        .format
        .fields()
        .iter()
        .map(|f| {
            format!(
                "  {} {}",
                ident(f.column),
                column_type(f.ty, f.parquet_int32, table.file_format)
            )
        })
        .collect();
    out.push_str(&columns.join(",\n"));
    out.push_str("\n)\n");
    let partitions = partition_columns(table);
    if !partitions.is_empty() {
        let list: Vec<String> = partitions
            .iter()
            .map(|(n, t)| format!("{} {t}", ident(n)))
            .collect();
        let _ = writeln!(out, "PARTITIONED BY ({})", list.join(", "));
    }
    match table.file_format {
        FileFormat::Text => out.push_str("ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\n"),
        FileFormat::Parquet => out.push_str(
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n\
             STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n\
             OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'\n",
        ),
    }
    let _ = writeln!(out, "LOCATION {}", string(&location));
    let mut properties = vec![property("skip.header.line.count", "1")];
    if table.file_format == FileFormat::Text {
        properties.push(property("serialization.null.format", "-"));
    }
    if let Some(projection) = source.projection.filter(|p| p.enabled) {
        properties.extend(projection_properties(source, projection, &location)?);
    }
    let _ = write!(out, "TBLPROPERTIES (\n{}\n);\n", properties.join(",\n"));
    Ok(out)
}

fn column_type(ty: FieldType, parquet_int32: bool, format: FileFormat) -> &'static str {
    match ty {
        FieldType::Int => "int",
        // The Parquet files store protocol as INT_32; declaring bigint
        // breaks Spark and other readers (reference §6.5).
        FieldType::BigInt if format == FileFormat::Parquet && parquet_int32 => "int",
        FieldType::BigInt => "bigint",
        FieldType::Text | FieldType::Address => "string",
    }
}

/// Partition columns in table order: account, region, then time.
fn partition_columns(table: &Table) -> Vec<(String, &'static str)> {
    let p = &table.partitioning;
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for column in p.account_column.iter().chain(&p.region_column) {
        out.push((column.clone(), "string"));
    }
    for (column, part) in p.time_columns.iter().zip(p.scheme.parts()) {
        let ty = if *part == TimePart::DateValue {
            "date"
        } else {
            "string"
        };
        out.push((column.clone(), ty));
    }
    out
}

fn location(source: &DdlSource) -> Result<String, DdlError> {
    let location = source.location.map(str::to_string).ok_or_else(|| {
        DdlError(format!(
            "source '{}' has no 'location': add the S3 prefix of its flow logs, e.g. s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/",
            source.name
        ))
    })?;
    Ok(if location.ends_with('/') {
        location
    } else {
        format!("{location}/")
    })
}

/// The path below the table location where partition `key` lies, with
/// `${col}` placeholders for projection or values for ADD PARTITION.
fn template(table: &Table, time: &[String], account: Option<&str>, region: Option<&str>) -> String {
    let p = &table.partitioning;
    let hive = matches!(p.scheme, Scheme::Hive | Scheme::HiveHourly);
    let mut parts: Vec<String> = Vec::new();
    match (account, region, hive) {
        (Some(a), Some(r), false) => parts.push(format!("{a}/vpcflowlogs/{r}")),
        (Some(a), Some(r), true) => parts.push(format!(
            "aws-account-id={a}/aws-service=vpcflowlogs/aws-region={r}"
        )),
        (Some(a), None, false) => parts.push(format!("{a}/vpcflowlogs")),
        (None, Some(r), false) => parts.push(r.to_string()),
        (Some(a), None, true) => parts.push(format!("aws-account-id={a}/aws-service=vpcflowlogs")),
        (None, Some(r), true) => parts.push(format!("aws-region={r}")),
        (None, None, _) => {}
    }
    for (value, part) in time.iter().zip(p.scheme.parts()) {
        parts.push(match part {
            TimePart::DateValue | TimePart::DayPath => value.clone(),
            TimePart::Year => format!("year={value}"),
            TimePart::Month => format!("month={value}"),
            TimePart::Day => format!("day={value}"),
            TimePart::Hour if hive => format!("hour={value}"),
            TimePart::Hour => value.clone(),
        });
    }
    parts.join("/")
}

fn placeholder(column: &str) -> String {
    format!("${{{column}}}")
}

fn projection_properties(
    source: &DdlSource,
    projection: &Projection,
    location: &str,
) -> Result<Vec<String>, DdlError> {
    let table = &source.table;
    let p = &table.partitioning;
    if p.scheme == Scheme::None && p.account_column.is_none() && p.region_column.is_none() {
        return Err(DdlError(
            "projection needs partition columns: set partitioning.scheme".into(),
        ));
    }
    let start = projection.start.clone().ok_or_else(|| {
        DdlError(format!(
            "source '{}': projection needs 'start', the first day of logs (yyyy/MM/dd)",
            source.name
        ))
    })?;
    let start_date = start.replace('-', "/");
    let mut out = vec![property("projection.enabled", "true")];
    for (column, values, what) in [
        (&p.account_column, &projection.accounts, "accounts"),
        (&p.region_column, &projection.regions, "regions"),
    ] {
        if let Some(column) = column {
            let values = values.as_ref().filter(|v| !v.is_empty()).ok_or_else(|| {
                DdlError(format!("source '{}': projection.{what} must list the values of partition column '{column}'", source.name))
            })?;
            out.push(property(&format!("projection.{column}.type"), "enum"));
            out.push(property(
                &format!("projection.{column}.values"),
                &values.join(","),
            ));
        }
    }
    let year = start_date.get(..4).unwrap_or("2020");
    for (column, part) in p.time_columns.iter().zip(p.scheme.parts()) {
        let (ty, extra): (&str, Vec<(&str, String)>) = match part {
            TimePart::DateValue | TimePart::DayPath => (
                "date",
                vec![
                    ("range", format!("{start_date},NOW")),
                    ("format", "yyyy/MM/dd".into()),
                ],
            ),
            TimePart::Year => ("integer", vec![("range", format!("{year},2100"))]),
            TimePart::Month => (
                "integer",
                vec![("range", "1,12".into()), ("digits", "2".into())],
            ),
            TimePart::Day => (
                "integer",
                vec![("range", "1,31".into()), ("digits", "2".into())],
            ),
            TimePart::Hour => (
                "integer",
                vec![("range", "0,23".into()), ("digits", "2".into())],
            ),
        };
        out.push(property(&format!("projection.{column}.type"), ty));
        for (key, value) in extra {
            out.push(property(&format!("projection.{column}.{key}"), &value));
        }
    }
    let time: Vec<String> = p.time_columns.iter().map(|c| placeholder(c)).collect();
    let account = p.account_column.as_deref().map(placeholder);
    let region = p.region_column.as_deref().map(placeholder);
    let path = template(table, &time, account.as_deref(), region.as_deref());
    out.push(property(
        "storage.location.template",
        &format!("{location}{path}"),
    ));
    Ok(out)
}

/// The most partitions one `flowq ddl --partitions` adds.
const MAX_ADDED_PARTITIONS: u64 = 100_000;

/// `ALTER TABLE ... ADD IF NOT EXISTS PARTITION` for every partition
/// between two instants, for tables without projection.
pub fn add_partitions(source: &DdlSource, since: Time, until: Time) -> Result<String, DdlError> {
    let table = &source.table;
    let p = &table.partitioning;
    if p.scheme == Scheme::None {
        return Err(DdlError(format!(
            "source '{}' has no time partitions",
            source.name
        )));
    }
    let location = location(source)?;
    let range = PartitionRange {
        first: Some(since),
        last: Some(until),
    };
    let partitions = partition::Partitions::of(p.scheme, range)
        .ok_or_else(|| DdlError("give both ends of the range".into()))?;
    if partitions.len() > MAX_ADDED_PARTITIONS {
        return Err(DdlError(format!(
            "{} partitions is more than {MAX_ADDED_PARTITIONS}: give a shorter range",
            partitions.len()
        )));
    }
    let keys: Vec<Vec<PartValue>> = partitions.keys(0, partitions.len()).collect();
    let accounts = enum_values(source, p.account_column.as_deref(), |pr| &pr.accounts)?;
    let regions = enum_values(source, p.region_column.as_deref(), |pr| &pr.regions)?;
    let mut out = String::new();
    for account in &accounts {
        for region in &regions {
            for key in &keys {
                let values: Vec<String> = key
                    .iter()
                    .map(|v| match v {
                        PartValue::Date(s) | PartValue::Text(s) => s.clone(),
                    })
                    .collect();
                let mut spec: Vec<String> = Vec::new();
                if let (Some(c), Some(a)) = (&p.account_column, account) {
                    spec.push(format!("{}={}", ident(c), string(a)));
                }
                if let (Some(c), Some(r)) = (&p.region_column, region) {
                    spec.push(format!("{}={}", ident(c), string(r)));
                }
                for (c, v) in p.time_columns.iter().zip(&values) {
                    spec.push(format!("{}={}", ident(c), string(v)));
                }
                let path_values: Vec<String> = values.iter().map(|v| v.replace('-', "/")).collect();
                let path = template(table, &path_values, account.as_deref(), region.as_deref());
                let _ = writeln!(
                    out,
                    "ALTER TABLE {}.{} ADD IF NOT EXISTS PARTITION ({}) LOCATION {};",
                    ident(&table.database),
                    ident(&table.name),
                    spec.join(", "),
                    string(&format!("{location}{path}/"))
                );
            }
        }
    }
    Ok(out)
}

fn enum_values(
    source: &DdlSource,
    column: Option<&str>,
    pick: impl Fn(&Projection) -> &Option<Vec<String>>,
) -> Result<Vec<Option<String>>, DdlError> {
    let Some(column) = column else {
        return Ok(vec![None]);
    };
    source
        .projection
        .as_ref()
        .and_then(|p| pick(p).clone())
        .filter(|v| !v.is_empty())
        .map(|v| v.into_iter().map(Some).collect())
        .ok_or_else(|| DdlError(format!("source '{}' partitions by '{column}': list its values under projection (accounts/regions)", source.name)))
}
