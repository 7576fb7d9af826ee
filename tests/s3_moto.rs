//! S3 sources against moto's S3 in server mode: `flowq sample` output
//! (text and Parquet, default and Hive, daily and hourly) uploaded with
//! PutObject, then the same queries run with `--source s3://...` and with
//! `--source <the folder>`: the rows must be the same, byte for byte.
//! tests/run starts moto and exports FLOWQ_MOTO_URL; under tests/run and
//! CI a missing moto fails these tests, a bare `cargo test` skips them.
//!
//! Each test uses buckets of its own, so they share moto without a lock.

mod common;
#[path = "common/s3.rs"]
mod s3_stand_in;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The sample's records start in [22:00, 01:00): the window of most
/// queries ends at midnight or in the last hour, so records delivered
/// into the next day's (and hour's) prefix must be found there.
const START: &str = "2026-11-26T22:00:00Z";
const END: &str = "2026-11-27T01:00:00Z";
const NOW: &str = "2026-11-27T01:00:00Z";

/// Queries of every shape: grouped, sorted records, records in path order
/// (the first N: the same objects in the same order), a timechart; two
/// of them end at midnight, so their last records lie in the next day.
const QUERIES: &[&str] = &[
    "last 2h | count by action, protocol",
    "reject between 2026-11-26T23:30:00Z and 2026-11-27T00:00:00Z | count by srcaddr, dstport | limit 40",
    "last 30m | fields start, srcaddr, dstaddr, dstport, action | sort start, srcaddr | limit 25",
    "between 2026-11-26T23:00:00Z and 2026-11-27T00:00:00Z | fields srcaddr, dstport, bytes | limit 30",
    "between 2026-11-26T22:00:00Z and 2026-11-27T01:00:00Z | timechart 30m count(), sum(bytes)",
];

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("flowq-s3-moto-{name}-{}", std::process::id()))
}

/// A new empty folder.
fn temp(name: &str) -> PathBuf {
    let dir = temp_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `flowq sample` into a new folder, with `extra` flags.
fn sample(name: &str, extra: &[&str]) -> PathBuf {
    let dir = temp(name);
    let output = Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(["sample", "--out"])
        .arg(&dir)
        .args(["--start", START, "--end", END, "--flows-per-minute", "20"])
        .args(["--format-version", "5"])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    dir
}

/// `flowq run` against moto, with dummy credentials; `dir` is where it
/// runs (no flowq.yaml there unless the test wrote one).
fn flowq(moto: &str, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    common::aws_stand_in_env(&mut command, moto);
    command
        .current_dir(dir)
        .env_remove("FLOWQ_CONFIG")
        .args(["run", "--now", NOW, "--format", "csv"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The number before `what` in the summary ("12 LIST requests").
fn count_before(summary: &str, what: &str) -> u64 {
    let at = summary
        .find(what)
        .unwrap_or_else(|| panic!("no '{what}' in {summary}"));
    summary[..at]
        .trim_end()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no count before '{what}' in {summary}"))
}

/// Uploads a sample made with `flags` and checks every query reads the
/// same rows from the bucket as from the folder.
fn same_rows_from_s3_and_folder(moto: &str, bucket: &str, flags: &[&str]) {
    let folder = sample(bucket, flags);
    let keys = s3_stand_in::upload_folder(moto, bucket, "org/flows/", &folder);
    assert!(keys.len() > 30, "{flags:?}: {} objects", keys.len());
    let uri = format!("s3://{bucket}/org/flows/");
    for query in QUERIES {
        let local = flowq(
            moto,
            &folder,
            &["--source", folder.to_str().unwrap(), query],
        );
        assert!(
            local.status.success(),
            "{flags:?} {query}: {}",
            stderr(&local)
        );
        let remote = flowq(moto, &folder, &["--source", &uri, query]);
        assert!(
            remote.status.success(),
            "{flags:?} {query}: {}",
            stderr(&remote)
        );
        assert!(
            stdout(&local).lines().count() > 2,
            "{flags:?} {query}: too few rows to compare:\n{}",
            stdout(&local)
        );
        assert_eq!(
            stdout(&remote),
            stdout(&local),
            "{flags:?} {query}: S3 and the folder differ\n{}",
            stderr(&remote)
        );
        let summary = stderr(&remote);
        // The same objects read as files, unless the limit cut the scan
        // short (how many were started then depends on timing); fewer
        // skipped, since pruned prefixes are not even listed (the folder
        // walk counts the files of the folders it prunes).
        let skipped = |summary: &str| -> u64 {
            let after = &summary[summary.find("skipped ").expect("a skipped count") + 8..];
            after.split(' ').next().unwrap().parse().unwrap()
        };
        assert!(
            skipped(&summary) <= skipped(&stderr(&local)),
            "{flags:?} {query}: {summary}"
        );
        if !summary.contains("limit was reached") && !stderr(&local).contains("limit was reached") {
            let scanned = count_before(&summary, "objects (");
            let files = count_before(&stderr(&local), "files (");
            assert_eq!(scanned, files, "{flags:?} {query}: {summary}");
        }
        assert!(
            summary.contains("S3 Standard us-east-1 list prices"),
            "{summary}"
        );
        // A window of at most 3 hours lists a handful of prefixes: the
        // levels down to the region, two days, and their hours.
        let lists = count_before(&summary, "LIST request");
        assert!(lists <= 16, "{flags:?} {query}: {lists} LISTs: {summary}");
    }
}

#[test]
fn default_daily_text_reads_the_same_from_s3_as_from_a_folder() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    same_rows_from_s3_and_folder(&moto, "flowq-default-daily-text", &[]);
}

#[test]
fn default_hourly_parquet_reads_the_same_from_s3_as_from_a_folder() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let flags = ["--hourly", "--file-format", "parquet"];
    same_rows_from_s3_and_folder(&moto, "flowq-default-hourly-parquet", &flags);
}

#[test]
fn hive_daily_parquet_reads_the_same_from_s3_as_from_a_folder() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let flags = ["--layout", "hive", "--file-format", "parquet"];
    same_rows_from_s3_and_folder(&moto, "flowq-hive-daily-parquet", &flags);
}

#[test]
fn hive_hourly_text_reads_the_same_from_s3_as_from_a_folder() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let flags = ["--layout", "hive", "--hourly"];
    same_rows_from_s3_and_folder(&moto, "flowq-hive-hourly-text", &flags);
}

#[test]
fn default_hourly_text_and_hive_daily_text_read_the_same_too() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    same_rows_from_s3_and_folder(&moto, "flowq-default-hourly-text", &["--hourly"]);
    let flags = ["--layout", "hive"];
    same_rows_from_s3_and_folder(&moto, "flowq-hive-daily-text", &flags);
}

#[test]
fn default_daily_parquet_and_hive_hourly_parquet_read_the_same_too() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let flags = ["--file-format", "parquet"];
    same_rows_from_s3_and_folder(&moto, "flowq-default-daily-parquet", &flags);
    let flags = ["--layout", "hive", "--hourly", "--file-format", "parquet"];
    same_rows_from_s3_and_folder(&moto, "flowq-hive-hourly-parquet", &flags);
}

/// Only the days of the window are listed: a day far outside it, with
/// objects that would change the answer, is neither listed nor read; a
/// prefix that is not a level of the layout is named, not listed.
#[test]
fn only_the_prefixes_of_the_window_are_listed() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let bucket = "flowq-pruning";
    let folder = sample(bucket, &["--hourly"]);
    std::fs::create_dir_all(folder.join("exports")).unwrap();
    std::fs::write(folder.join("exports/notes.txt"), "not a flow log").unwrap();
    s3_stand_in::upload_folder(&moto, bucket, "", &folder);
    let october = Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(["sample", "--out"])
        .arg(temp("pruning-october"))
        .args([
            "--start",
            "2026-10-01T00:00:00Z",
            "--end",
            "2026-10-01T02:00:00Z",
        ])
        .args(["--hourly"])
        .output()
        .unwrap();
    assert!(october.status.success(), "{october:?}");
    s3_stand_in::upload_folder(&moto, bucket, "", &temp_path("pruning-october"));
    let query = "last 1h | count by action";
    let remote = flowq(
        &moto,
        &folder,
        &["--source", &format!("s3://{bucket}"), query],
    );
    let summary = stderr(&remote);
    assert!(remote.status.success(), "{summary}");
    // The bucket's root, AWSLogs/, the account, the service (the region
    // is known from there: its days are not discovered but listed), one
    // day, and the hours of the range (00, 01 and the lateness's 02).
    let lists = count_before(&summary, "LIST request");
    assert!((5..=10).contains(&lists), "{lists} LISTs: {summary}");
    let listed = count_before(&summary, "objects;");
    // Three hours of 5-minute files at most: nothing from October.
    assert!(listed <= 3 * 12 + 2, "{listed} objects listed: {summary}");
    assert!(
        summary.contains("did not list 1 prefix outside the flow-log layout (e.g. exports/)"),
        "{summary}"
    );
    let local = flowq(
        &moto,
        &folder,
        &["--source", folder.to_str().unwrap(), query],
    );
    assert_eq!(stdout(&remote), stdout(&local));
}

/// A flowq.yaml source whose path is an S3 URI, with its own
/// concurrency; and the flag that overrides it.
#[test]
fn a_configured_s3_source_reads_with_its_concurrency() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let bucket = "flowq-configured";
    let folder = sample(bucket, &[]);
    s3_stand_in::upload_folder(&moto, bucket, "logs/", &folder);
    let dir = temp("configured-config");
    std::fs::write(
        dir.join("flowq.yaml"),
        format!("sources:\n  flows:\n    engine: local\n    path: s3://{bucket}/logs/\n    s3_concurrency: 2\n    lateness: 30m\n"),
    )
    .unwrap();
    let query = QUERIES[0];
    let local = flowq(&moto, &dir, &["--source", folder.to_str().unwrap(), query]);
    let configured = flowq(&moto, &dir, &[query]);
    assert!(configured.status.success(), "{}", stderr(&configured));
    let one_at_a_time = flowq(&moto, &dir, &["--s3-concurrency", "1", query]);
    assert!(one_at_a_time.status.success(), "{}", stderr(&one_at_a_time));
    assert_eq!(stdout(&configured), stdout(&one_at_a_time));
    // The folder's default lateness is longer: the same rows, as the
    // window's records are all within 30 minutes of it.
    assert_eq!(stdout(&configured), stdout(&local));
    std::fs::write(
        dir.join("flowq.yaml"),
        format!("sources:\n  flows:\n    engine: local\n    path: s3://{bucket}/logs/\n    s3_concurrency: 0\n"),
    )
    .unwrap();
    let refused = flowq(&moto, &dir, &[query]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("s3_concurrency: 0 is out of range: give 1 to 256"),
        "{}",
        stderr(&refused)
    );
}

/// `--max-scan` refuses before any GET when the listed objects pass it.
#[test]
fn max_scan_refuses_before_reading() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let bucket = "flowq-max-scan";
    let folder = sample(bucket, &[]);
    s3_stand_in::upload_folder(&moto, bucket, "", &folder);
    let output = flowq(
        &moto,
        &folder,
        &[
            "--source",
            &format!("s3://{bucket}/"),
            "--max-scan",
            "1K",
            QUERIES[0],
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let past = format!(
        "past --max-scan {}; nothing was read",
        flowq::units::format_bytes(1000)
    );
    assert!(stderr(&output).contains(&past), "{}", stderr(&output));
}

/// A bucket that is not there fails the query with the S3 error, exit 1.
#[test]
fn a_missing_bucket_fails_with_s3s_word() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let dir = temp("missing");
    let output = flowq(
        &moto,
        &dir,
        &["--source", "s3://flowq-no-such-bucket/", QUERIES[0]],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot list s3://flowq-no-such-bucket/: ListObjectsV2 failed after the SDK's retries: NoSuchBucket"),
        "{}",
        stderr(&output)
    );
}

/// The sizes of the sample's files, by the day folder they are in.
fn bytes_and_count(folder: &Path, within: &str) -> (u64, u64) {
    let files: Vec<PathBuf> = common::files_below(folder)
        .into_iter()
        .filter(|f| f.to_str().unwrap().contains(within))
        .collect();
    let bytes = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    (bytes, files.len() as u64)
}

/// `explain --cost` and `run --dry-run` on an Athena source whose table
/// location is known: the window's partitions listed, their objects and
/// bytes, Athena's estimate, and the location without partition
/// predicates; `--max-scan` refuses the query before starting it.
#[test]
fn the_cost_preview_lists_the_partitions_of_the_window() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let bucket = "flowq-preview";
    let folder = sample(bucket, &[]);
    s3_stand_in::upload_folder(&moto, bucket, "", &folder);
    let october = temp("preview-october");
    let made = Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(["sample", "--out"])
        .arg(&october)
        .args([
            "--start",
            "2026-10-01T00:00:00Z",
            "--end",
            "2026-10-01T06:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    s3_stand_in::upload_folder(&moto, bucket, "", &october);
    let dir = temp("preview-config");
    std::fs::write(
        dir.join("flowq.yaml"),
        format!("sources:\n  athena:\n    engine: athena\n    location: s3://{bucket}/AWSLogs/123456789012/vpcflowlogs/us-east-1/\n"),
    )
    .unwrap();
    // `last 2h` at 01:00 selects the days 2026-11-26 and 2026-11-27:
    // every object of the November sample, none of October's.
    let (november_bytes, november_objects) = bytes_and_count(&folder, "/2026/11/");
    let (october_bytes, october_objects) = bytes_and_count(&october, "/2026/10/");
    let explain = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
        common::aws_stand_in_env(&mut command, &moto);
        command
            .current_dir(&dir)
            .env_remove("FLOWQ_CONFIG")
            .args(args)
            .output()
            .unwrap()
    };
    let output = explain(&[
        "explain",
        "--cost",
        "--now",
        NOW,
        "last 2h | count by srcaddr",
    ]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.contains(&format!(
            "--   the window's partitions: 2 prefixes, {november_objects} flow-log objects, {}\n",
            flowq::units::format_bytes(november_bytes)
        )),
        "{text}"
    );
    assert!(
        text.contains("--   Athena estimate: $0.00005 at $5/TB"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "--   without partition predicates: {} flow-log objects, {}",
            november_objects + october_objects,
            flowq::units::format_bytes(november_bytes + october_bytes)
        )),
        "{text}"
    );
    let dry = explain(&[
        "run",
        "--dry-run",
        "--now",
        NOW,
        "last 2h | count by srcaddr",
    ]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("-- dry run: nothing was sent to Athena"),
        "{}",
        stdout(&dry)
    );
    assert!(stdout(&dry).ends_with(&text), "{}", stdout(&dry));
    let refused = explain(&[
        "run",
        "--now",
        NOW,
        "--max-scan",
        "1K",
        "last 2h | count by srcaddr",
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!(
            "the window's partitions hold {} in {november_objects} objects (listed under s3://{bucket}/AWSLogs/123456789012/vpcflowlogs/us-east-1/), past --max-scan {}; the query was not started",
            flowq::units::format_bytes(november_bytes),
            flowq::units::format_bytes(1000)
        )),
        "{}",
        stderr(&refused)
    );
}

/// `run --dry-run` on an S3 source: the GETs and bytes it would read.
#[test]
fn a_dry_run_on_an_s3_source_says_what_it_would_get() {
    let Some(moto) = common::moto_url() else {
        return;
    };
    let bucket = "flowq-dry-run";
    let folder = sample(bucket, &["--hourly"]);
    s3_stand_in::upload_folder(&moto, bucket, "", &folder);
    let uri = format!("s3://{bucket}/");
    let output = flowq(
        &moto,
        &folder,
        &["--dry-run", "--source", &uri, "last 30m | count by action"],
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.contains("-- dry run: the local engine would read s3://flowq-dry-run/"),
        "{text}"
    );
    let real = flowq(
        &moto,
        &folder,
        &["--source", &uri, "last 30m | count by action"],
    );
    let scanned = count_before(&stderr(&real), "objects (");
    assert!(
        text.contains(&format!("the local engine would GET {scanned} of their")),
        "{text}\n{}",
        stderr(&real)
    );
}
