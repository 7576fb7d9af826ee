//! The results corpus: every query file under tests/results runs on the
//! local engine over one fixed-seed `flowq sample` folder, and its rows, as
//! the CSV sink writes them, are a snapshot in tests/snapshots/results/. A
//! change in semantics (three-valued logic, a window edge, an aggregate, an
//! ordering) shows as a diff of rows in review.
//!
//! The folder holds two flow logs, two hours each across midnight
//! ([`SAMPLE_START`], [`SAMPLE_END`]), of two accounts in the two S3
//! layouts: account 111122223333 in us-east-1 with the default layout, daily
//! folders and the default (v2) format, written with seed 7; account
//! 444455556666 in eu-west-1 with the Hive layout, hourly folders and the
//! v5 format, written with seed 8 (a second run with the same seed would
//! give its flow log the same VPC, subnet and interface ids). So queries
//! on fields of versions 3 to 5 see NULL in the first account's records.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use flowq::engine::local::{self, LocalSource};
use flowq::engine::output::{self, Format};
use flowq::engine::{Engine, Progress};
use flowq::lang::diagnostic::{self, SourceText};
use flowq::sample::{self, FileFormat, FormatVersion, Layout, Options};

const SAMPLE_START: &str = "2026-11-26T23:00:00Z";
const SAMPLE_END: &str = "2026-11-27T01:00:00Z";
/// "now" for every query: `last 2h` is the whole sample.
const NOW: &str = "2026-11-27T01:00:00Z";
const FLOWS_PER_MINUTE: u32 = 20;

/// What the sample wrote: its folder and how many records it holds.
struct Sample {
    root: PathBuf,
    records: u64,
}

/// The sample folder, written once per test run under the target
/// directory (a fresh folder each run, so a stale file cannot creep in).
fn sample_folder() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("results-corpus");
        if root.exists() {
            std::fs::remove_dir_all(&root).unwrap();
        }
        let start = flowq::time::parse_now(SAMPLE_START).unwrap().unix();
        let end = flowq::time::parse_now(SAMPLE_END).unwrap().unix();
        let default_layout = Options {
            flows_per_minute: FLOWS_PER_MINUTE,
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into()],
            seed: 7,
            ..Options::new(&root, start, end)
        };
        let hive_layout = Options {
            accounts: vec!["444455556666".into()],
            regions: vec!["eu-west-1".into()],
            layout: Layout::Hive,
            hourly: true,
            version: FormatVersion::V5,
            seed: 8,
            ..default_layout.clone()
        };
        let mut records = 0;
        for options in [default_layout, hive_layout] {
            records += sample::generate(&options).unwrap().records;
        }
        Sample { root, records }
    })
}

/// The one place this file calls the engine (whose entry point is being
/// reshaped): checks `query` at [`NOW`] against the local source's table,
/// runs it over `folder` on `threads` workers, and returns the rows as the
/// CSV sink writes them.
fn run_to_csv(query: &str, folder: &Path, threads: usize) -> String {
    let source = LocalSource {
        threads: Some(threads),
        ..LocalSource::new(folder)
    };
    let table = source.table();
    // `# list:` lines give the query its named lists (tests/common).
    let params = common::Case::read(query).params;
    let context = flowq::lang::check::CheckContext {
        table: &table,
        now: flowq::time::parse_now(NOW).unwrap(),
        params: &params,
    };
    let checked = flowq::lang::parse::parse(query)
        .map_err(|error| vec![error])
        .and_then(|parsed| flowq::lang::check::check(&parsed, &context))
        .unwrap_or_else(|errors| {
            panic!(
                "{}",
                diagnostic::render_all(&errors, "query", &SourceText::new(query))
            )
        });
    let mut csv = Vec::new();
    {
        let mut sink = output::sink(Format::Csv, Box::new(&mut csv));
        let engine = local::LocalEngine {
            source,
            max_scan: None,
        };
        engine
            .run(&checked, sink.as_mut(), &Progress::default())
            .unwrap_or_else(|e| panic!("{query}: {e}"));
    }
    String::from_utf8(csv).expect("the CSV sink writes UTF-8")
}

/// Rows past this would make a snapshot too long to review: narrow the
/// query with `| limit` or an aggregate instead.
const MAX_ROWS: usize = 50;

#[test]
fn every_query_gives_reviewed_rows() {
    let sample = sample_folder();
    // Found while the glob runs and asserted after it, so that one query
    // that breaks a rule does not hide the row diffs of the others.
    let mut problems = Vec::new();
    common::snapshots_in("results").bind(|| {
        insta::glob!("results/*.flowq", |path| {
            let query = std::fs::read_to_string(path).unwrap();
            let csv = run_to_csv(&query, &sample.root, 1);
            // Files are spread over the workers and merged: the rows must
            // not depend on how many there are.
            if run_to_csv(&query, &sample.root, 3) != csv {
                problems.push(format!("{}: 1 and 3 threads disagree", path.display()));
            }
            // The sink ends lines in CRLF (RFC 4180); the snapshot keeps LF.
            let csv = csv.replace("\r\n", "\n");
            let rows = csv.lines().count() - 1;
            if rows > MAX_ROWS {
                problems.push(format!("{}: {rows} rows, over {MAX_ROWS}", path.display()));
            }
            insta::with_settings!({ description => query.clone(), omit_expression => true }, {
                insta::assert_snapshot!(csv);
            });
        });
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same two flow logs as [`sample_folder`], written as Parquet (in
/// small row groups, so their statistics prune), and a third folder that
/// mixes them: the first flow log as text, the second as Parquet.
fn parquet_folders() -> &'static (PathBuf, PathBuf) {
    static FOLDERS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FOLDERS.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let (parquet, mixed) = (base.join("results-parquet"), base.join("results-mixed"));
        for root in [&parquet, &mixed] {
            if root.exists() {
                std::fs::remove_dir_all(root).unwrap();
            }
        }
        let start = flowq::time::parse_now(SAMPLE_START).unwrap().unix();
        let end = flowq::time::parse_now(SAMPLE_END).unwrap().unix();
        let default_layout = |root: &Path| Options {
            flows_per_minute: FLOWS_PER_MINUTE,
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into()],
            seed: 7,
            ..Options::new(root, start, end)
        };
        let hive_layout = |root: &Path| Options {
            accounts: vec!["444455556666".into()],
            regions: vec!["eu-west-1".into()],
            layout: Layout::Hive,
            hourly: true,
            version: FormatVersion::V5,
            seed: 8,
            file_format: FileFormat::Parquet,
            row_group_rows: 7,
            ..default_layout(root)
        };
        let as_parquet = Options {
            file_format: FileFormat::Parquet,
            row_group_rows: 7,
            ..default_layout(&parquet)
        };
        for options in [
            as_parquet,
            hive_layout(&parquet),
            default_layout(&mixed),
            hive_layout(&mixed),
        ] {
            sample::generate(&options).unwrap();
        }
        (parquet, mixed)
    })
}

/// Every query of the corpus gives the same rows over the same records
/// written as Parquet, or as text and Parquet mixed, as over text.
#[test]
fn parquet_files_give_the_same_rows_as_text() {
    let text = &sample_folder().root;
    let (parquet, mixed) = parquet_folders();
    let mut queries: Vec<PathBuf> = std::fs::read_dir("tests/results")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "flowq"))
        .collect();
    queries.sort();
    assert!(queries.len() > 20, "the corpus is there");
    let mut differ = Vec::new();
    for path in &queries {
        let query = std::fs::read_to_string(path).unwrap();
        let expected = run_to_csv(&query, text, 2);
        for folder in [parquet, mixed] {
            if run_to_csv(&query, folder, 2) != expected {
                differ.push(format!("{} on {}", path.display(), folder.display()));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "differ from text:\n{}",
        differ.join("\n")
    );
    let csv = run_to_csv("all time | count", parquet, 2);
    assert_eq!(csv, format!("flows\r\n{}\r\n", sample_folder().records));
}

/// The corpus's aggregates are only as good as the folder is complete:
/// the local engine must read every record the sample wrote.
#[test]
fn the_engine_reads_every_record_the_sample_wrote() {
    let sample = sample_folder();
    let csv = run_to_csv("all time | count", &sample.root, 2);
    assert_eq!(csv, format!("flows\r\n{}\r\n", sample.records));
}
