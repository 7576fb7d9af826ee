//! The Trino pruning measurement (bench/pruning.sh, docs/benchmarks.md):
//! how many bytes Trino reads for flowq's SQL over a week of flow logs,
//! against the files an ideal engine must read and against the same query
//! without flowq's partition predicates.
//!
//! Needs a running Trino whose `hive` catalog is the local file system
//! (tests/trino/server.sh): FLOWQ_TRINO_URL and FLOWQ_TRINO_FILES as
//! `tests/trino/server.sh env` prints them.
//!
//! cargo run --release --example pruning
//!
//! For each daily and hourly scheme it writes 7 days of `flowq sample`
//! output (one account and region, 20 flows a minute) in the scheme's
//! layout, creates the table with flowq's Trino DDL, and for each window:
//! - flowq: Trino's physicalInputBytes for the compiled SQL;
//! - ideal: the bytes of the files holding at least one record that
//!   overlaps the window (read from the files themselves);
//! - unpartitioned: the same query compiled for a table without time
//!   partitions, run on the same table, so that Trino reads every folder.
//!
//! The three counts must agree, or the run fails. Prints a Markdown table.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use flowq::engine::output::Cell;
use flowq::engine::trino::{Client, Config, QueryStats};
use flowq::lang::check::CheckContext;
use flowq::lang::ir::Params;
use flowq::sample::{self, FormatVersion, Layout};
use flowq::sql::ddl_trino::{self, Location};
use flowq::table::{Partitioning, Scheme, Table};

const START: &str = "2026-11-01T00:00:00Z";
const END: &str = "2026-11-08T00:00:00Z";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

const WINDOWS: [(&str, &str); 4] = [
    (
        "2 hours",
        "since 2026-11-04T10:00:00Z until 2026-11-04T12:00:00Z",
    ),
    (
        "2 hours, off the hour",
        "since 2026-11-04T10:20:00Z until 2026-11-04T12:20:00Z",
    ),
    (
        "2 hours across midnight",
        "since 2026-11-04T23:00:00Z until 2026-11-05T01:00:00Z",
    ),
    ("1 day", "on 2026-11-04"),
];

const SCHEMES: [Scheme; 4] = [
    Scheme::Day,
    Scheme::DateHour,
    Scheme::Hive,
    Scheme::HiveHourly,
];

fn t(text: &str) -> i64 {
    flowq::time::parse_now(text).unwrap().unix()
}

fn main() {
    let url =
        std::env::var("FLOWQ_TRINO_URL").expect("FLOWQ_TRINO_URL (tests/trino/server.sh env)");
    let files = PathBuf::from(
        std::env::var("FLOWQ_TRINO_FILES").expect("FLOWQ_TRINO_FILES (tests/trino/server.sh env)"),
    );
    let root = files.join("pruning-bench");
    let _ = std::fs::remove_dir_all(&root);
    let schema = "flowq_pruning_bench";
    let client = |schema: &str| {
        Client::new(Config {
            server: url.clone(),
            user: "flowq-bench".into(),
            catalog: Some("hive".into()),
            schema: Some(schema.into()),
            session: vec![("hive.ignore_absent_partitions".into(), "true".into())],
        })
    };
    let admin = client("default");
    for scheme in SCHEMES {
        let _ = admin.query(&format!(
            "DROP TABLE IF EXISTS hive.{schema}.flows_{}",
            scheme.name().replace('-', "_")
        ));
    }
    let _ = admin.query(&format!("DROP SCHEMA IF EXISTS hive.{schema}"));
    admin
        .query(&format!("CREATE SCHEMA hive.{schema}"))
        .unwrap();
    let trino = client(schema);

    println!("| scheme | window | flowq reads | ideal | flowq / ideal | without partition predicates | that / flowq | rows counted |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for scheme in SCHEMES {
        let (table, folder) = prepare(&trino, &root, &files, schema, scheme);
        for (label, window) in WINDOWS {
            let query = format!("{window} | count");
            let (count, flowq) = run(&trino, &query, &table);
            let unpartitioned_table = Table {
                partitioning: Partitioning::new(Scheme::None),
                ..table.clone()
            };
            let (unpartitioned_count, unpartitioned) = run(&trino, &query, &unpartitioned_table);
            let (ideal_count, ideal) = ideal_bytes(&folder, window_bounds(&query, &table));
            assert_eq!(
                count, unpartitioned_count,
                "{scheme} {label}: counts differ"
            );
            assert_eq!(
                count, ideal_count,
                "{scheme} {label}: counts differ from the files"
            );
            let mb = flowq::units::format_bytes;
            println!(
                "| {} | {label} | {} | {} | {:.2}x | {} | {:.1}x | {count} |",
                scheme.name(),
                mb(flowq.physical_input_bytes),
                mb(ideal),
                flowq.physical_input_bytes as f64 / ideal as f64,
                mb(unpartitioned.physical_input_bytes),
                unpartitioned.physical_input_bytes as f64 / flowq.physical_input_bytes as f64,
            );
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}

fn prepare(
    trino: &Client,
    root: &Path,
    files: &Path,
    schema: &str,
    scheme: Scheme,
) -> (Table, PathBuf) {
    let out = root.join(scheme.name());
    let hive = matches!(scheme, Scheme::Hive | Scheme::HiveHourly);
    let options = sample::Options {
        flows_per_minute: 20,
        accounts: vec![ACCOUNT.into()],
        regions: vec![REGION.into()],
        layout: if hive { Layout::Hive } else { Layout::Default },
        hourly: scheme.is_hourly(),
        version: FormatVersion::V2,
        seed: 7,
        ..sample::Options::new(&out, t(START), t(END))
    };
    sample::generate(&options).unwrap();
    let below = if hive {
        format!("AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region={REGION}")
    } else {
        format!("AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}")
    };
    let folder = out.join(below);
    let table = Table {
        database: schema.into(),
        name: format!("flows_{}", scheme.name().replace('-', "_")),
        format: FormatVersion::V2.format(),
        partitioning: Partitioning::new(scheme),
        ..Table::default()
    };
    let location = Location {
        uri: format!("local:///{}", folder.strip_prefix(files).unwrap().display()),
        first_day: t(START),
        accounts: vec![],
        regions: vec![],
    };
    trino
        .query(&ddl_trino::create_table(&table, &location).unwrap())
        .unwrap();
    (table, folder)
}

fn compile(query: &str, table: &Table) -> flowq::sql::Compiled {
    let params = Params::default();
    let ctx = CheckContext {
        table,
        now: flowq::time::parse_now(END).unwrap(),
        params: &params,
    };
    flowq::sql::compile(query, &ctx).unwrap()
}

fn window_bounds(query: &str, table: &Table) -> (i64, i64) {
    let window = compile(query, table).checked.window;
    (window.start.unwrap().unix(), window.end.unwrap().unix())
}

fn run(trino: &Client, query: &str, table: &Table) -> (i64, QueryStats) {
    let sql = compile(query, table).sql;
    let (rows, stats) = trino.query(&sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    match rows.rows.as_slice() {
        [row] => match row.as_slice() {
            [Cell::Int(n)] => (*n, stats),
            other => panic!("a count, not {other:?}"),
        },
        other => panic!("one row, not {other:?}"),
    }
}

/// The bytes of the files that hold a record overlapping `[t0, t1)`, and
/// how many such records there are.
fn ideal_bytes(folder: &Path, (t0, t1): (i64, i64)) -> (i64, u64) {
    let mut matching = 0;
    let mut bytes = 0;
    for file in files_below(folder) {
        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(
            std::fs::File::open(&file).unwrap(),
        ));
        let mut lines = reader.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .unwrap()
            .split(' ')
            .map(String::from)
            .collect();
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (start, end) = (at("start"), at("end"));
        let mut any = false;
        for line in lines {
            let line = line.unwrap();
            let fields: Vec<&str> = line.split(' ').collect();
            let (Ok(s), Ok(e)) = (fields[start].parse::<i64>(), fields[end].parse::<i64>()) else {
                continue;
            };
            if e >= t0 && s < t1 {
                matching += 1;
                any = true;
            }
        }
        if any {
            bytes += std::fs::metadata(&file).unwrap().len();
        }
    }
    (matching, bytes)
}

fn files_below(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
