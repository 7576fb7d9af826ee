//! Snapshots of the Trino DDL for every partition scheme, with and without
//! account and region partition columns (in tests/snapshots/ddl_trino/).
//! That the DDL works is proven on a real Trino by tests/trino.rs; these
//! show what changed in review.

mod common;

use flowq::schema::LogFormat;
use flowq::sql::ddl_trino::{create_table, Location};
use flowq::table::{Partitioning, Scheme, Table};

fn table(scheme: Scheme, account_and_region: bool) -> Table {
    let mut partitioning = Partitioning::new(scheme);
    if account_and_region {
        partitioning.account_column = Some("aws_account".into());
        partitioning.region_column = Some("aws_region".into());
    }
    Table {
        name: format!("flows_{}", scheme.name().replace('-', "_")),
        format: LogFormat::parse(common::V5_FORMAT).unwrap(),
        partitioning,
        ..Table::default()
    }
}

fn location(account_and_region: bool) -> Location {
    Location {
        uri: if account_and_region {
            "s3://my-flow-logs/AWSLogs/".into()
        } else {
            "s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/".into()
        },
        first_day: flowq::time::parse_now("2025-01-01").unwrap().unix(),
        accounts: vec!["123456789012".into(), "210987654321".into()],
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
    }
}

#[test]
fn every_scheme_has_reviewed_ddl() {
    common::snapshots_in("ddl_trino").bind(|| {
        for scheme in Scheme::ALL {
            let sql = create_table(&table(scheme, false), &location(false)).unwrap();
            insta::assert_snapshot!(format!("{}", scheme.name()), sql);
        }
    });
}

#[test]
fn projected_schemes_take_account_and_region_columns() {
    common::snapshots_in("ddl_trino").bind(|| {
        for scheme in Scheme::ALL {
            let result = create_table(&table(scheme, true), &location(true));
            if scheme == Scheme::Date {
                let error = result.unwrap_err();
                assert!(error.0.contains("use the 'day' scheme"), "{error}");
                continue;
            }
            insta::assert_snapshot!(format!("{}-account-region", scheme.name()), result.unwrap());
        }
    });
}

#[test]
fn partition_columns_come_last_in_scheme_order() {
    let sql = create_table(&table(Scheme::HiveHourly, true), &location(true)).unwrap();
    let position = |column: &str| {
        sql.find(&format!("\n  \"{column}\" "))
            .unwrap_or_else(|| panic!("no column {column} in\n{sql}"))
    };
    let order = [
        "traffic_path",
        "year",
        "month",
        "day",
        "hour",
        "aws_account",
        "aws_region",
    ];
    for pair in order.windows(2) {
        assert!(
            position(pair[0]) < position(pair[1]),
            "{pair:?} out of order in\n{sql}"
        );
    }
    assert!(sql.contains(
        "partitioned_by = ARRAY['year', 'month', 'day', 'hour', 'aws_account', 'aws_region']"
    ));
}

/// A Parquet source: `format = 'PARQUET'`, no text properties, and
/// `protocol` an integer as the files store it (reference §1.4).
#[test]
fn parquet_tables_are_stored_as_parquet() {
    let parquet = Table {
        file_format: flowq::table::FileFormat::Parquet,
        ..table(Scheme::HiveHourly, true)
    };
    let sql = create_table(&parquet, &location(true)).unwrap();
    assert!(sql.contains("  format = 'PARQUET',\n"), "{sql}");
    assert!(
        !sql.contains("TEXTFILE") && !sql.contains("skip_header"),
        "{sql}"
    );
    assert!(sql.contains("\"protocol\" integer,"), "{sql}");
    assert!(sql.contains("\"packets\" bigint,"), "{sql}");
    common::snapshots_in("ddl_trino").bind(|| {
        insta::assert_snapshot!("hive-hourly-account-region-parquet", sql);
    });
}
