//! Parquet flow-log files in the local engine, on small files written here
//! with the parquet crate: codecs, NULLs, a column the file lacks, row
//! groups skipped by their statistics, damaged files, and a tree that
//! mixes text and Parquet. Expected answers are worked out by hand from
//! the rows written here. (The whole results corpus over the same records
//! as text and as Parquet is in tests/results.rs.)

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use flowq::engine::local::{self, LocalError, LocalSource, ScanStats};
use flowq::engine::output::{self, Format};
use flowq::lang::check::CheckContext;
use flowq::lang::ir::Params;

const NOW: &str = "2026-11-27T03:00:00Z";
/// 2026-11-27T02:00:00Z.
const T: i64 = 1_795_744_800;
const DAY: &str = "AWSLogs/111111111111/vpcflowlogs/eu-west-1/2026/11/27";

fn folder(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("parquet-engine")
        .join(name);
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join(DAY)).unwrap();
    root
}

fn file_name(stamp: &str, tag: &str, extension: &str) -> String {
    format!("111111111111_vpcflowlogs_eu-west-1_fl-{tag}_{stamp}_{tag}0.{extension}")
}

/// One row of the files written here: the v2 fields a test looks at.
#[derive(Clone, Copy)]
struct Row {
    srcaddr: Option<&'static str>,
    dstport: Option<i32>,
    bytes: Option<i64>,
    start: i64,
    end: i64,
    action: Option<&'static str>,
}

fn row(srcaddr: &'static str, dstport: i32, bytes: i64, start: i64, action: &'static str) -> Row {
    Row {
        srcaddr: Some(srcaddr),
        dstport: Some(dstport),
        bytes: Some(bytes),
        start,
        end: start + 60,
        action: Some(action),
    }
}

/// Writes `groups` as the row groups of a Parquet file with AWS's column
/// names and types (no vpc_id: a v2 file).
fn write_parquet(path: &Path, groups: &[&[Row]], compression: Compression) {
    let schema = parse_message_type(
        "message flow_log {
            optional int32 version;
            optional binary srcaddr (STRING);
            optional int32 dstport;
            optional int64 bytes;
            optional int64 start;
            optional int64 end;
            optional binary action (STRING);
        }",
    )
    .unwrap();
    let properties = WriterProperties::builder()
        .set_compression(compression)
        .build();
    let file = fs::File::create(path).unwrap();
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), Arc::new(properties)).unwrap();
    for rows in groups {
        let mut group = writer.next_row_group().unwrap();
        let mut column = 0;
        while let Some(mut col) = group.next_column().unwrap() {
            match (column, col.untyped()) {
                (0, ColumnWriter::Int32ColumnWriter(w)) => {
                    let values: Vec<i32> = rows.iter().map(|_| 2).collect();
                    w.write_batch(&values, Some(&vec![1; rows.len()]), None)
                        .unwrap();
                }
                (1, ColumnWriter::ByteArrayColumnWriter(w)) => {
                    write_text(w, rows.iter().map(|r| r.srcaddr))
                }
                (6, ColumnWriter::ByteArrayColumnWriter(w)) => {
                    write_text(w, rows.iter().map(|r| r.action))
                }
                (2, ColumnWriter::Int32ColumnWriter(w)) => {
                    let levels: Vec<i16> =
                        rows.iter().map(|r| r.dstport.is_some() as i16).collect();
                    let values: Vec<i32> = rows.iter().filter_map(|r| r.dstport).collect();
                    w.write_batch(&values, Some(&levels), None).unwrap();
                }
                (3..=5, ColumnWriter::Int64ColumnWriter(w)) => {
                    let pick = |r: &Row| match column {
                        3 => r.bytes,
                        4 => Some(r.start),
                        _ => Some(r.end),
                    };
                    let levels: Vec<i16> = rows.iter().map(|r| pick(r).is_some() as i16).collect();
                    let values: Vec<i64> = rows.iter().filter_map(pick).collect();
                    w.write_batch(&values, Some(&levels), None).unwrap();
                }
                _ => unreachable!("the schema above"),
            }
            col.close().unwrap();
            column += 1;
        }
        group.close().unwrap();
    }
    writer.close().unwrap();
}

fn write_text(
    w: &mut parquet::column::writer::ColumnWriterImpl<parquet::data_type::ByteArrayType>,
    values: impl Iterator<Item = Option<&'static str>>,
) {
    let values: Vec<Option<&str>> = values.collect();
    let levels: Vec<i16> = values.iter().map(|v| v.is_some() as i16).collect();
    let present: Vec<ByteArray> = values
        .iter()
        .flatten()
        .map(|v| ByteArray::from(*v))
        .collect();
    w.write_batch(&present, Some(&levels), None).unwrap();
}

fn gzip() -> Compression {
    Compression::GZIP(GzipLevel::default())
}

/// Runs `query` (checked at [`NOW`]) over `root`: the rows as CSV (LF line
/// ends) and what the scan read.
fn run(root: &Path, query: &str) -> Result<(String, ScanStats), LocalError> {
    let source = LocalSource::new(root);
    let table = source.table();
    let params = Params::default();
    let context = CheckContext {
        table: &table,
        now: flowq::time::parse_now(NOW).unwrap(),
        params: &params,
    };
    let parsed = flowq::lang::parse::parse(query).unwrap_or_else(|d| panic!("{query}: {d:?}"));
    let checked =
        flowq::lang::check::check(&parsed, &context).unwrap_or_else(|d| panic!("{query}: {d:?}"));
    let mut csv = Vec::new();
    let stats = {
        let mut sink = output::sink(Format::Csv, Box::new(&mut csv));
        local::run(&checked, &source, sink.as_mut(), None)?
    };
    Ok((String::from_utf8(csv).unwrap().replace("\r\n", "\n"), stats))
}

fn rows(root: &Path, query: &str) -> String {
    run(root, query)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .0
}

/// Three rows in the window, one of them with NULLs and a `-` action.
fn three_rows() -> Vec<Row> {
    vec![
        row("10.0.0.1", 22, 100, T, "REJECT"),
        row("10.0.0.2", 443, 250, T + 10, "ACCEPT"),
        Row {
            srcaddr: None,
            dstport: None,
            bytes: None,
            start: T + 20,
            end: T + 80,
            action: Some("-"),
        },
    ]
}

#[test]
fn every_codec_aws_and_common_writers_use_reads_the_same() {
    let expected = "action,flows,total_bytes\nACCEPT,1,250\nREJECT,1,100\n,1,\n";
    for (tag, compression) in [
        ("gzip", gzip()),
        ("snappy", Compression::SNAPPY),
        ("zstd", Compression::ZSTD(ZstdLevel::default())),
        ("none", Compression::UNCOMPRESSED),
    ] {
        let root = folder(&format!("codec-{tag}"));
        let path = root
            .join(DAY)
            .join(file_name("20261127T0205Z", "a", "log.parquet"));
        write_parquet(&path, &[&three_rows()], compression);
        let got = rows(
            &root,
            "last 2h | stats count() as flows, sum(bytes) as total_bytes by action | sort action",
        );
        assert_eq!(got, expected, "{tag}");
    }
}

#[test]
fn nulls_and_dashes_are_null_and_a_missing_column_is_null() {
    let root = folder("nulls");
    let path = root
        .join(DAY)
        .join(file_name("20261127T0205Z", "a", "log.parquet"));
    write_parquet(&path, &[&three_rows()], gzip());
    // dstport NULL in the third row: neither 22 nor "not 22".
    assert_eq!(rows(&root, "dport 22 last 2h | count"), "flows\n1\n");
    assert_eq!(rows(&root, "not dport 22 last 2h | count"), "flows\n1\n");
    // The `-` action is NULL, as in text files: neither accept nor not.
    assert_eq!(
        rows(&root, "not accept and not reject last 2h | count"),
        "flows\n0\n"
    );
    // The file has no vpc_id column (a v2 file): every value is NULL.
    assert_eq!(
        rows(&root, "last 2h | count by vpc-id"),
        "vpc_id,flows\n,3\n"
    );
    let (csv, stats) = run(&root, "vpc vpc-1 last 2h | count").unwrap();
    assert_eq!(csv, "flows\n0\n");
    // No row can match a test on an absent column: the row group is not read.
    assert_eq!((stats.row_groups_read, stats.row_groups_skipped), (0, 1));
}

#[test]
fn row_groups_outside_the_window_or_the_ports_are_skipped() {
    let root = folder("pruning");
    let path = root
        .join(DAY)
        .join(file_name("20261127T0245Z", "a", "log.parquet"));
    // Group 1 ends long before the window (last 30m = from 02:30), group 2
    // lies in it, group 3 is in it but only holds port 443.
    let early = [row("10.0.0.9", 22, 5, T - 7200, "ACCEPT")];
    let late = [
        row("10.0.0.1", 22, 100, T + 1900, "REJECT"),
        row("10.0.0.2", 443, 250, T + 2000, "ACCEPT"),
    ];
    let https = [row("10.0.0.3", 443, 7, T + 2100, "ACCEPT")];
    write_parquet(&path, &[&early, &late, &https], gzip());
    let (csv, stats) = run(&root, "last 30m | count").unwrap();
    assert_eq!(csv, "flows\n3\n");
    assert_eq!((stats.row_groups_read, stats.row_groups_skipped), (2, 1));
    assert_eq!(stats.records_read, 3);
    let (csv, stats) = run(&root, "dport 22 last 30m | count").unwrap();
    assert_eq!(csv, "flows\n1\n");
    assert_eq!((stats.row_groups_read, stats.row_groups_skipped), (1, 2));
    // An `or` keeps a group either side may match; `not` is not pruned on.
    let (_, stats) = run(&root, "(dport 22 or dport 443) all time | count").unwrap();
    assert_eq!(stats.row_groups_skipped, 0);
    let (csv, stats) = run(&root, "not dport 443 all time | count").unwrap();
    assert_eq!((csv.as_str(), stats.row_groups_skipped), ("flows\n2\n", 0));
}

#[test]
fn the_summary_says_how_many_row_groups_were_skipped() {
    let root = folder("summary");
    let path = root
        .join(DAY)
        .join(file_name("20261127T0245Z", "a", "log.parquet"));
    let early = [row("10.0.0.9", 22, 5, T - 7200, "ACCEPT")];
    let late = [row("10.0.0.1", 22, 100, T + 1900, "REJECT")];
    write_parquet(&path, &[&early, &late], gzip());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(["run", "--source"])
        .arg(&root)
        .args(["--now", NOW, "last 30m | count"])
        .env_remove("FLOWQ_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped 1 Parquet row group of 2 by their statistics"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_parquet_file_fails_with_its_name() {
    let root = folder("damaged");
    let good = root
        .join(DAY)
        .join(file_name("20261127T0205Z", "a", "log.parquet"));
    write_parquet(&good, &[&three_rows()], gzip());
    let bytes = fs::read(&good).unwrap();
    // Cut short: the footer is gone.
    let cut = root
        .join(DAY)
        .join(file_name("20261127T0210Z", "b", "log.parquet"));
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let error = run(&root, "last 2h | count").unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, LocalError::Parquet { .. }), "{message}");
    assert!(message.contains(&cut.display().to_string()), "{message}");
    assert!(
        message.contains("not a readable Parquet flow-log file"),
        "{message}"
    );
    // A text file named .log.parquet.
    fs::write(&cut, "version account-id\n2 123\n").unwrap();
    let message = run(&root, "last 2h | count").unwrap_err().to_string();
    assert!(message.contains(&cut.display().to_string()), "{message}");
    // Damaged pages (the footer intact): flip bytes in the middle.
    let mut flipped = bytes.clone();
    for b in &mut flipped[8..bytes.len() / 2] {
        *b ^= 0x5a;
    }
    fs::write(&cut, &flipped).unwrap();
    let message = run(&root, "last 2h | count").unwrap_err().to_string();
    assert!(message.contains(&cut.display().to_string()), "{message}");
}

#[test]
fn a_column_of_a_type_no_flow_log_uses_is_a_clear_error() {
    let root = folder("bad-type");
    let path = root
        .join(DAY)
        .join(file_name("20261127T0205Z", "a", "log.parquet"));
    let schema =
        parse_message_type("message m { optional double bytes; optional int64 start; }").unwrap();
    let file = fs::File::create(&path).unwrap();
    let writer = SerializedFileWriter::new(file, Arc::new(schema), Default::default()).unwrap();
    writer.close().unwrap();
    let message = run(&root, "all time | stats sum(bytes)")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(
            "column 'bytes' is stored as DOUBLE; flow logs store 'bytes' as INT32 or INT64"
        ),
        "{message}"
    );
}

#[test]
fn text_and_parquet_files_mix_in_one_tree() {
    let root = folder("mixed");
    let parquet = root
        .join(DAY)
        .join(file_name("20261127T0205Z", "a", "log.parquet"));
    write_parquet(&parquet, &[&three_rows()], gzip());
    let text = format!(
        "version srcaddr dstport bytes start end action\n2 10.0.0.1 22 1000 {T} {} REJECT\n",
        T + 60
    );
    let hourly = root.join(DAY).join("02");
    fs::create_dir_all(&hourly).unwrap();
    fs::write(hourly.join(file_name("20261127T0210Z", "b", "log")), text).unwrap();
    assert_eq!(
        rows(
            &root,
            "last 2h | stats count() as flows, sum(bytes) as total by srcaddr | sort srcaddr"
        ),
        "srcaddr,flows,total\n10.0.0.1,2,1100\n10.0.0.2,1,250\n,1,\n"
    );
    // Files are pruned by the name's time whatever their format.
    let (_, stats) = run(
        &root,
        "between 2026-11-27T00:00:00Z and 2026-11-27T00:10:00Z | count",
    )
    .unwrap();
    assert_eq!((stats.files_scanned, stats.files_skipped), (0, 2));
}
