//! Hostile and careless queries and parameters through the real binary
//! (issue 10). A query past the documented limits (docs/cli.md, "Limits")
//! gets a located error and exit 2, never an abort; a query within them
//! runs on every stage (check, print, SQL, the local engine) and through
//! `flowq check`. A set parameter means what the set written out means.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::flowq_in;

const NOW: &str = "2026-11-27T03:00:00Z";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh empty folder with no flowq.yaml above it.
fn empty_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowq-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `dport 0 or dport 1 or ...`: `terms` predicates in one flat `or`.
fn wide_or(terms: usize) -> String {
    (0..terms)
        .map(|i| format!("dport {}", i % 60_000))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn nested_parens(depth: usize) -> String {
    format!("{}dport 22{}", "(".repeat(depth), ")".repeat(depth))
}

fn compile(dir: &Path, query: &str) -> Output {
    flowq_in(dir, &["compile", "--now", NOW, "--query", query])
}

/// A refusal as the limits promise: exit 2, one located error, nothing on
/// stdout, and a message short enough to read (the source line is cut
/// around the caret, not printed whole).
fn assert_refused(o: &Output, location: &str, words: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(stdout(o), "");
    assert!(
        err.starts_with(&format!("query:{location}")) && err.contains(": error["),
        "{location}: {err}"
    );
    assert!(err.contains(words), "{words}: {err}");
    assert!(err.len() < 1_000, "{} bytes of message", err.len());
}

#[test]
fn eight_thousand_or_terms_are_over_the_size_limit() {
    let dir = empty_dir("wide");
    let query = format!("({}) last 1h", wide_or(8_000));
    assert!(query.len() > 110_000);
    let o = compile(&dir, &query);
    assert_refused(
        &o,
        "1:65537:",
        "the query is 110896 bytes; the limit is 65536",
    );
}

#[test]
fn a_wide_or_within_the_size_limit_runs_on_every_stage() {
    let dir = empty_dir("wide-ok");
    let query = format!("({}) last 1h", wide_or(4_500));
    assert!(query.len() < 65_536, "{}", query.len());
    let o = compile(&dir, &query);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"dstport\" = 4499"));
    let o = flowq_in(&dir, &["explain", "--now", NOW, "--query", &query]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The local engine evaluates the chain on every record.
    let logs = sample(&dir);
    let o = flowq_in(
        &dir,
        &[
            "run", "--now", NOW, "--source", &logs, "--format", "csv", &query,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn five_thousand_nested_parentheses_are_refused_before_parsing() {
    let dir = empty_dir("parens");
    let o = compile(&dir, &format!("{} last 1h", nested_parens(5_000)));
    assert_refused(&o, "1:257:", "nests deeper than 256 levels");
}

#[test]
fn ten_thousand_nots_are_refused() {
    let dir = empty_dir("nots");
    let o = compile(&dir, &format!("{}dport 22 last 1h", "not ".repeat(10_000)));
    assert_refused(&o, "1:1025:", "nests deeper than 256 levels");
    let o = compile(&dir, &format!("{}dport 22 last 1h", "!".repeat(10_000)));
    assert_refused(&o, "1:257:", "nests deeper than 256 levels");
}

#[test]
fn nested_sets_deeper_than_the_limit_are_refused() {
    let dir = empty_dir("braces");
    let query = format!("dport {}22{} last 1h", "{".repeat(5_000), "}".repeat(5_000));
    let o = compile(&dir, &query);
    assert_refused(&o, "1:263:", "nests deeper than 256 levels");
}

#[test]
fn nesting_at_the_limit_runs_on_every_stage() {
    let dir = empty_dir("deep-ok");
    // 128 parentheses and 128 `not`s: 256 levels, alternating so that
    // every level is a node of its own in the syntax tree and the IR.
    let query = format!("{}dport 22{} last 1h", "not (".repeat(128), ")".repeat(128));
    let o = compile(&dir, &query);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let deep_and_wide = format!(
        "{}dport 22 or dport 23 and not src 10.0.0.0/8{} last 1h",
        "(reject or ".repeat(250),
        ")".repeat(250)
    );
    let o = compile(&dir, &deep_and_wide);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let logs = sample(&dir);
    for q in [&query, &deep_and_wide] {
        let o = flowq_in(
            &dir,
            &["run", "--now", NOW, "--source", &logs, "--format", "csv", q],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = compile(&dir, &format!("not {query}"));
    assert_refused(&o, "1:", "nests deeper than 256 levels");
}

/// Ten minutes of synthetic logs before NOW, in `dir/logs`.
fn sample(dir: &Path) -> String {
    let logs = dir.join("logs");
    let o = flowq_in(
        dir,
        &[
            "sample",
            "--out",
            logs.to_str().unwrap(),
            "--start",
            "2026-11-27T02:20:00Z",
            "--end",
            "2026-11-27T02:30:00Z",
            "--flows-per-minute",
            "20",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    logs.display().to_string()
}

/// A catalog of one Athena source and the given saved searches.
fn catalog(name: &str, searches: &[(&str, &str)]) -> PathBuf {
    let dir = empty_dir(name);
    std::fs::write(
        dir.join("flowq.yaml"),
        "sources:\n  logs:\n    engine: athena\n    database: default\n    table: flows\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("searches")).unwrap();
    for (search, yaml) in searches {
        std::fs::write(dir.join("searches").join(format!("{search}.yaml")), yaml).unwrap();
    }
    dir
}

fn search_yaml(query: &str, params: &str) -> String {
    format!(
        "title: {}\ndescription: a test\nquery: '{query}'\n{params}tags: [test]\n",
        query.len()
    )
}

#[test]
fn check_reports_hostile_saved_searches_where_they_are() {
    let dir = catalog(
        "check-hostile",
        &[
            (
                "wide",
                &search_yaml(&format!("({}) last 1h", wide_or(8_000)), ""),
            ),
            (
                "parens",
                &search_yaml(&format!("{} last 1h", nested_parens(5_000)), ""),
            ),
            (
                "nots",
                &search_yaml(&format!("{}dport 22 last 1h", "not ".repeat(10_000)), ""),
            ),
            (
                "bangs",
                &search_yaml(&format!("{}dport 22 last 1h", "!".repeat(10_000)), ""),
            ),
        ],
    );
    let o = flowq_in(&dir, &["check"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    for expected in [
        "searches/bangs.yaml:3:265: error[E001]: the query nests deeper than 256 levels",
        "searches/nots.yaml:3:1033: error[E001]: the query nests deeper than 256 levels",
        "searches/parens.yaml:3:265: error[E001]: the query nests deeper than 256 levels",
        "searches/wide.yaml:3:65545: error[E001]: the query is 110896 bytes; the limit is 65536",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
    assert!(out.len() < 4_000, "{} bytes of report", out.len());
}

// ------------------------------------------------ sets in parameters (item 2)

#[test]
fn a_set_parameter_in_an_equality_compiles_like_the_literal_set() {
    let dir = empty_dir("set-eq");
    let literal = compile(&dir, "dstport = {22, 3389} last 1h");
    assert_eq!(literal.status.code(), Some(0), "{}", stderr(&literal));
    let o = flowq_in(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            "dstport = $p last 1h",
            "-p",
            "p={22,3389}",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&literal));
    assert!(stdout(&o).contains("\"dstport\" IN (22, 3389)"));
}

#[test]
fn a_set_parameter_in_an_order_comparison_gets_the_literal_sets_error() {
    let dir = empty_dir("set-gt");
    let o = flowq_in(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            "bytes > $p last 1h",
            "-p",
            "p={22,3389}",
        ],
    );
    assert_refused(&o, "1:9:", "'>' takes one value, not a set");
    let literal = compile(&dir, "bytes > {22, 3389} last 1h");
    assert_refused(&literal, "1:9:", "'>' takes one value, not a set");
}

#[test]
fn check_compiles_a_ports_parameter_in_a_comparison() {
    let dir = catalog(
        "check-ports",
        &[
            (
                "ports-eq",
                &search_yaml(
                    "dstport = $ports last 1h",
                    "params:\n  ports: { type: ports }\n",
                ),
            ),
            (
                "ports-gt",
                &search_yaml(
                    "dstport > $ports last 1h",
                    "params:\n  ports: { type: ports }\n",
                ),
            ),
        ],
    );
    let o = flowq_in(&dir, &["check"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("searches/ports-gt.yaml:3:19: error[E002]: '>' takes one value, not a set"),
        "{out}"
    );
    assert!(!out.contains("ports-eq.yaml"), "{out}");
}

// ------------------------------------------ `$` in parameter values (item 10)

/// A folder whose flowq.yaml has an Athena source in the v5 format, which
/// has a free-text field (`sublocation-id`).
fn v5_dir(name: &str) -> PathBuf {
    let dir = empty_dir(name);
    let config = format!(
        "sources:\n  logs:\n    engine: athena\n    database: default\n    table: flows\n    log_format: \"{}\"\n",
        common::V5_FORMAT
    );
    std::fs::write(dir.join("flowq.yaml"), config).unwrap();
    dir
}

#[test]
fn a_parameter_value_cannot_name_another_parameter() {
    let dir = v5_dir("dollar");
    for (query, param) in [
        ("dport $p last 1h", "p=$ssh"),
        ("sublocation-id = $s last 1h", "s=$other"),
        ("dport $p last 1h", "p={22, $ssh}"),
    ] {
        let o = flowq_in(&dir, &["compile", "--now", NOW, query, "-p", param]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{param}: {err}");
        assert!(
            err.contains("a parameter value cannot refer to another parameter"),
            "{param}: {err}"
        );
    }
    // Quoted, a `$` is text like any other.
    let o = flowq_in(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            "sublocation-id = $s last 1h",
            "-p",
            "s=\"$other\"",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("= '$other'"), "{}", stdout(&o));
}

#[test]
fn a_self_referencing_parameter_value_is_refused_at_once() {
    let dir = v5_dir("self-ref");
    let members = vec!["$s"; 3_000].join(",");
    let started = std::time::Instant::now();
    let o = flowq_in(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            "sublocation-id = $s last 1h",
            "-p",
            &format!("s={{{members}}}"),
        ],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a parameter value cannot refer to another parameter"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_default_cannot_name_another_parameter() {
    let dir = catalog(
        "check-dollar",
        &[(
            "dollar-default",
            &search_yaml(
                "dport $p last 1h",
                "params:\n  p: { type: port, default: $ssh }\n",
            ),
        )],
    );
    let o = flowq_in(&dir, &["check"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("searches/dollar-default.yaml:5:")
            && out.contains("a parameter value cannot refer to another parameter ('$ssh')"),
        "{out}"
    );
}

#[test]
fn a_set_parameter_copied_into_many_places_is_bounded() {
    let dir = empty_dir("param-copies");
    let members: Vec<String> = (0..1_000).map(|p| p.to_string()).collect();
    let query = format!("({}) last 1h", vec!["dport $p"; 120].join(" or "));
    let o = flowq_in(
        &dir,
        &[
            "compile",
            "--now",
            NOW,
            &query,
            "-p",
            &format!("p={{{}}}", members.join(",")),
        ],
    );
    // The 101st use passes 100,000 values: the error points at its `$p`.
    let column = 2 + 100 * "dport $p or ".len() + "dport ".len();
    assert_refused(
        &o,
        &format!("1:{column}:"),
        "parameters expand to more than 100000 values in this query",
    );
}
