//! Limits on `flowq run` that must never be silent: a `--max-scan` the
//! local engine would otherwise ignore, and a result cut at the source's
//! default limit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const NOW: &str = "2026-11-27T01:00:00Z";

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn flowq(args: &[&str]) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(args)
        .output()
        .unwrap();
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// One hour of sample logs, 50 flows a minute: about 3,000 records in 14
/// files of about 77 KB in all, written once for the whole file.
fn logs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("flowq-run-limits-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = flowq(&[
            "sample",
            "--out",
            dir.to_str().unwrap(),
            "--start",
            "2026-11-27T00:00:00Z",
            "--end",
            NOW,
            "--flows-per-minute",
            "50",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        dir
    })
}

fn run(query: &str, more: &[&str]) -> Outcome {
    let mut args = vec![
        "run",
        "--source",
        logs().to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "csv",
        query,
    ];
    args.extend_from_slice(more);
    flowq(&args)
}

#[test]
fn max_scan_is_enforced_on_a_local_source() {
    let out = run("last 2h | count", &["--max-scan", "10K"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "", "no rows past the limit");
    assert!(
        out.stderr
            .contains("past --max-scan 10.00 KB; nothing was read"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("= help: narrow the window"),
        "{}",
        out.stderr
    );
    // Under the limit the query runs.
    let out = run("last 2h | count", &["--max-scan", "10M"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("flows\r\n"), "{}", out.stdout);
}

#[test]
fn max_scan_counts_only_the_files_left_after_pruning() {
    // The window holds no file at all: nothing to read, nothing over.
    let out = run(
        "between 2026-11-20 and 2026-11-21 | count",
        &["--max-scan", "1K"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "flows\r\n0\r\n");
}

const NOTICE: &str = "flowq: showing the first 1000 rows (the source's default_limit)";

#[test]
fn a_result_cut_at_the_default_limit_says_so() {
    let out = run("last 2h", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().count(),
        1 + 1000,
        "a header and 1000 rows"
    );
    assert!(out.stderr.contains(NOTICE), "{}", out.stderr);
    assert!(out.stderr.contains("add '| limit N'"), "{}", out.stderr);
}

#[test]
fn a_limit_the_user_chose_is_not_flagged() {
    for (query, more) in [
        ("last 2h | limit 1000", &[][..]),
        ("last 2h", &["--limit", "1000"][..]),
    ] {
        let out = run(query, more);
        assert_eq!(out.code, 0, "{query}: {}", out.stderr);
        assert!(!out.stderr.contains(NOTICE), "{query}: {}", out.stderr);
    }
    // Fewer rows than the default limit: nothing was cut.
    let out = run("last 2h | count by action", &[]);
    assert!(!out.stderr.contains(NOTICE), "{}", out.stderr);
}
