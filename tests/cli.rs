//! The command line as users run it: the real binary, its stdout, stderr
//! and exit codes (docs/cli.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOW: &str = "2026-11-27T03:00:00Z";

fn flowq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(args)
        .current_dir(dir)
        .env_remove("FLOWQ_CONFIG")
        .output()
        .expect("run flowq")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh empty folder with no flowq.yaml above it.
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowq-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn compile_without_a_config_uses_the_aws_docs_table() {
    let dir = empty_dir("builtin");
    let o = flowq(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            "src 10.0.0.0/8 and dport 22 action REJECT last 2h",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sql = stdout(&o);
    for expected in [
        "contains('10.0.0.0/8', TRY_CAST(\"srcaddr\" AS IPADDRESS))",
        "\"dstport\" = 22",
        "NULLIF(\"action\", '-') = 'REJECT'",
        "\"end\" >= 1795741200",
        "\"start\" < 1795748400",
        "\"date\" = DATE '2026-11-27'",
        "FROM \"default\".\"vpc_flow_logs\"",
    ] {
        assert!(sql.contains(expected), "missing {expected} in\n{sql}");
    }
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_bad_query_exits_2_with_a_located_message() {
    let o = flowq(
        &repo(),
        &[
            "compile",
            "--now",
            NOW,
            "--query",
            "src 10.0.0.0/33 and dport 22",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).starts_with("query:1:5: error[E002]: invalid prefix length '/33'"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("  |     ^^^^^^^^^^^\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_query_without_window_says_which_window_it_got() {
    let o = flowq(&repo(), &["compile", "--now", NOW, "dport 22"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stderr(&o),
        "flowq: no window given: using the source's default, last 1h\n"
    );
}

#[test]
fn a_full_scan_needs_to_be_asked_for() {
    let o = flowq(&repo(), &["compile", "--now", NOW, "dport 22 all time"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--allow-full-scan"), "{}", stderr(&o));
    let o = flowq(
        &repo(),
        &[
            "compile",
            "--now",
            NOW,
            "--allow-full-scan",
            "dport 22 all time",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("\"start\" <"));
}

#[test]
fn explain_shows_window_partitions_and_sql() {
    let o = flowq(
        &repo(),
        &[
            "explain",
            "--now",
            "2026-11-27T00:10:00Z",
            "--scheme",
            "date-hour",
            "reject last 1h",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("window:     [2026-11-26T23:10:00Z, 2026-11-27T00:10:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("touches:    2 partitions\n  2026/11/26/23/\n  2026/11/27/00/\n"),
        "{text}"
    );
    assert!(text.contains("sql:\nSELECT"), "{text}");
}

#[test]
fn saved_searches_compile_by_name_from_any_folder_below_the_config() {
    let o = flowq(
        &repo().join("tests/queries"),
        &["compile", "--now", NOW, "port-scans", "-p", "top=5"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("count(DISTINCT \"dstport\") AS \"ports\""));
    assert!(stdout(&o).ends_with("LIMIT 5\n"), "{}", stdout(&o));
    let o = flowq(&repo(), &["show", "port-scans", "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("# canonical query\nreject last $window | stats"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn unknown_names_get_suggestions() {
    let o = flowq(&repo(), &["show", "port-scan"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no saved search named 'port-scan'")
            && stderr(&o).contains("did you mean 'port-scans'?"),
        "{}",
        stderr(&o)
    );
    let o = flowq(&repo(), &["compile", "--source", "prdo", "reject last 1h"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown source 'prdo'; did you mean 'prod'?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_exits_by_what_it_found() {
    assert_eq!(flowq(&repo(), &["check"]).status.code(), Some(0));
    let broken = repo().join("tests/catalogs/query-parse-error");
    let o = flowq(&broken, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("searches/rejected-ssh.yaml:3:12: error[E001]:"),
        "{}",
        stdout(&o)
    );
    let warnings_only = repo().join("tests/catalogs/param-unused");
    assert_eq!(flowq(&warnings_only, &["check"]).status.code(), Some(0));
    assert_eq!(
        flowq(&warnings_only, &["check", "--strict"]).status.code(),
        Some(1)
    );
    assert_eq!(
        flowq(&repo(), &["check", "--format", "yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn list_filters_by_tag_and_namespace() {
    let o = flowq(&repo(), &["list", "--tag", "attack"]);
    assert_eq!(o.status.code(), Some(0));
    let names: Vec<String> = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(names, ["port-scans", "rejected-ssh-rdp-from-outside"]);
}

#[test]
fn ddl_prints_the_table_for_the_default_source() {
    let o = flowq(&repo(), &["ddl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS `default`.`vpc_flow_logs` (")
    );
    assert!(stdout(&o).contains("\"storage.location.template\"=\"s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/${day}\""));
    let o = flowq(&repo(), &["ddl", "--source", "local"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn init_writes_a_catalog_that_checks_clean_once() {
    let dir = empty_dir("init");
    let o = flowq(&dir, &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join("flowq.yaml").is_file() && dir.join("searches/port-scans.yaml").is_file());
    let o = flowq(&dir, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("checked 4 searches: 0 errors, 0 warnings"),
        "{}",
        stdout(&o)
    );
    assert_eq!(flowq(&dir, &["init"]).status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(flowq(&repo(), &["compile"]).status.code(), Some(2));
    assert_eq!(flowq(&repo(), &["frobnicate"]).status.code(), Some(2));
    let o = flowq(&repo(), &["compile", "-p", "novalue", "reject last 1h"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("needs the form NAME=VALUE"),
        "{}",
        stderr(&o)
    );
    // Mistakes in the arguments come out in flowq's one error shape.
    let o = flowq(&repo(), &["run", "--format", "xml", "reject last 1h"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("flowq: error[E004]: invalid value 'xml' for '--format <FORMAT>'"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("  = help: "), "{}", stderr(&o));
}

#[test]
fn demo_writes_a_sample_once_and_runs_the_shipped_searches_on_it() {
    let dir = empty_dir("demo");
    let o = flowq(
        &dir,
        &["demo", "--dir", dir.to_str().unwrap(), "--now", NOW],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for section in [
        "== Port scans (port-scans)",
        "== Top conversations (top-conversations)",
        "== Skipped records per interface (skipdata-counts)",
    ] {
        assert!(text.contains(section), "missing {section} in\n{text}");
    }
    assert!(text.contains("srcaddr    dstaddr    bytes\n"), "{text}");
    // Searches such as `top 50` are cut to eight rows: the header says so.
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("; the first 8 rows of each"),
        "{text}"
    );
    assert!(
        stderr(&o).contains("with `flowq sample` into"),
        "{}",
        stderr(&o)
    );
    // Pinned "now": the sample ends at 03:00 of the 27th, so its files
    // lie in the folders of the 26th and the 27th.
    assert!(dir
        .join("flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/26")
        .is_dir());
    let again = flowq(
        &dir,
        &["demo", "--dir", dir.to_str().unwrap(), "--now", NOW],
    );
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stderr(&again).contains("reusing the sample"),
        "{}",
        stderr(&again)
    );
    assert_eq!(stdout(&again).replace(" (reused)", ""), text);
}

#[test]
fn a_timechart_piped_prints_csv_unless_told_and_refuses_limit() {
    let dir = empty_dir("timechart");
    let o = flowq(
        &dir,
        &[
            "sample",
            "--out",
            "logs",
            "--start",
            "2026-11-27T01:00:00Z",
            "--end",
            NOW,
            "--flows-per-minute",
            "5",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let query = "last 3h | timechart 1h count() by action";
    let csv = flowq(
        &dir,
        &[
            "run", "--source", "logs", "--now", NOW, "--format", "csv", query,
        ],
    );
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    let text = stdout(&csv);
    let lines: Vec<&str> = text.lines().collect();
    // 00:00 to 03:00: the first hour has no records and is still there.
    assert_eq!(lines[0], "bucket,action,count");
    assert_eq!(lines[1], "1795737600,ACCEPT,0");
    assert_eq!(lines[2], "1795737600,REJECT,0");
    // NODATA records have no action: their series is NULL, sorted last.
    assert_eq!(lines[3], "1795737600,,0");
    assert_eq!(lines.len(), 1 + 3 * 3, "{text}");
    assert!(lines[4..].iter().all(|l| !l.ends_with(",0")), "{text}");
    // Piped without --format: CSV, the same rows as --format csv.
    let piped = flowq(&dir, &["run", "--source", "logs", "--now", NOW, query]);
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert_eq!(stdout(&piped), text);
    // --output without --format: CSV too.
    let file = dir.join("chart.csv");
    let saved = flowq(
        &dir,
        &[
            "run",
            "--source",
            "logs",
            "--now",
            NOW,
            "--output",
            file.to_str().unwrap(),
            query,
        ],
    );
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // An explicit --format table piped prints the table, not a chart.
    let table = flowq(
        &dir,
        &[
            "run", "--source", "logs", "--now", NOW, "--format", "table", query,
        ],
    );
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    assert!(
        stdout(&table).starts_with("bucket      action  count\n"),
        "{}",
        stdout(&table)
    );
    // Any other query piped without --format is still a table.
    let rows = flowq(
        &dir,
        &[
            "run",
            "--source",
            "logs",
            "--now",
            NOW,
            "last 3h | stats count() by action",
        ],
    );
    assert_eq!(rows.status.code(), Some(0), "{}", stderr(&rows));
    assert!(
        stdout(&rows).starts_with("action  count\n"),
        "{}",
        stdout(&rows)
    );
    let limited = flowq(
        &dir,
        &[
            "run", "--source", "logs", "--now", NOW, "--limit", "2", query,
        ],
    );
    assert_eq!(limited.status.code(), Some(2));
    assert!(
        stderr(&limited).contains("--limit does not apply to a timechart"),
        "{}",
        stderr(&limited)
    );
}

// ------------------------------------------------------------------ lookups

/// A sample of one account over 20 minutes, with its interfaces written
/// as lookups/enis.csv beside it (`flowq sample --enis-csv`).
fn sample_with_interfaces(name: &str) -> PathBuf {
    let dir = empty_dir(name);
    let o = flowq(
        &dir,
        &[
            "sample",
            "--out",
            "logs",
            "--start",
            "2026-11-27T02:00:00Z",
            "--end",
            "2026-11-27T02:20:00Z",
            "--flows-per-minute",
            "30",
            "--enis-csv",
            "lookups/enis.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("wrote 9 network interfaces to lookups/enis.csv"),
        "{}",
        stderr(&o)
    );
    dir
}

#[test]
fn lookup_puts_the_sample_interfaces_names_on_top_rows() {
    let dir = sample_with_interfaces("lookup-run");
    let o = flowq(
        &dir,
        &[
            "run",
            "--source",
            "logs",
            "--now",
            NOW,
            "--format",
            "csv",
            "last 2h | top 3 interface-id by flows | lookup enis on interface-id",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = stdout(&o).replace("\r\n", "\n");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("interface_id,flows,enis.instance_id,enis.name,enis.description,enis.interface_type,enis.requester_id,enis.requester_managed,enis.subnet_id,enis.vpc_id,enis.availability_zone,enis.private_ips")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{csv}");
    // Every interface of the sample is in the table: each row has its
    // subnet, and its name unless it is the NAT gateway's.
    for row in &rows {
        let fields: Vec<&str> = row.split(',').collect();
        assert!(fields[0].starts_with("eni-"), "{row}");
        assert!(fields[8].starts_with("subnet-"), "{row}");
        assert!(!fields[3].is_empty() || fields[5] == "nat_gateway", "{row}");
    }
}

#[test]
fn sample_leaves_a_lookup_file_it_did_not_write() {
    let dir = empty_dir("lookup-not-ours");
    std::fs::create_dir_all(dir.join("lookups")).unwrap();
    let mine = "interface_id,name\neni-1,mine\n";
    std::fs::write(dir.join("lookups/enis.csv"), mine).unwrap();
    let o = flowq(
        &dir,
        &[
            "sample",
            "--out",
            "logs",
            "--start",
            "2026-11-27T02:00:00Z",
            "--end",
            "2026-11-27T02:05:00Z",
            "--enis-csv",
            "lookups/enis.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("flowq did not write it"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("lookups/enis.csv")).unwrap(),
        mine
    );
    // Refused before the sample was written.
    assert!(!dir.join("logs").exists());
}

#[test]
fn a_broken_lookup_table_stops_a_query_that_looks_up() {
    let dir = sample_with_interfaces("lookup-broken");
    std::fs::write(
        dir.join("lookups/hosts.csv"),
        "address,label\n10.0.0.1,a\n10.0.0.1,b\n",
    )
    .unwrap();
    let query = "last 2h | top 3 interface-id | lookup enis on interface-id";
    let o = flowq(&dir, &["run", "--source", "logs", "--now", NOW, query]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("hosts.csv:3:1"), "{err}");
    assert!(err.contains("the key '10.0.0.1' is given twice"), "{err}");
    assert!(err.contains("line 2 has it already"), "{err}");
    // A query with no lookup runs.
    let o = flowq(
        &dir,
        &["run", "--source", "logs", "--now", NOW, "last 2h | count"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_unknown_lookup_table_suggests_the_known_one() {
    let dir = sample_with_interfaces("lookup-unknown");
    let o = flowq(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            "last 1h | top 3 interface-id | lookup eni on interface-id",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("unknown lookup table 'eni'"), "{err}");
    assert!(err.contains("did you mean 'enis'?"), "{err}");
    assert!(err.contains("query:1:"), "{err}");
}
