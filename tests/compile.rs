//! Snapshot tests of the compiler over the query corpus: one snapshot per
//! file under tests/queries (explain output: canonical query, window,
//! partitions and SQL; in tests/snapshots/compile/) and per file under
//! tests/errors (the rendered diagnostics; in tests/snapshots/errors/).
//! Each snapshot's header holds the query file's text.

mod common;

use common::Case;
use flowq::lang::diagnostic::{self, SourceText};

#[test]
fn every_query_compiles_to_reviewed_sql() {
    common::snapshots_in("compile").bind(|| {
        insta::glob!("queries/*.flowq", |path| {
            let case = Case::read(&std::fs::read_to_string(path).unwrap());
            let compiled =
                flowq::sql::compile(&case.text, &case.context()).unwrap_or_else(|errors| {
                    panic!(
                        "{} does not compile:\n{}",
                        path.display(),
                        diagnostic::render_all(&errors, "query", &SourceText::new(&case.text))
                    )
                });
            let explained = flowq::sql::explain::explain(&compiled, &case.table);
            insta::with_settings!({ description => case.text.clone(), omit_expression => true }, {
                insta::assert_snapshot!(explained);
            });
        })
    });
}

#[test]
fn every_bad_query_gets_a_located_error() {
    common::snapshots_in("errors").bind(|| {
        insta::glob!("errors/*.flowq", |path| {
            let case = Case::read(&std::fs::read_to_string(path).unwrap());
            let errors = match flowq::sql::compile(&case.text, &case.context()) {
                Ok(compiled) => panic!("{} compiled:\n{}", path.display(), compiled.sql),
                Err(errors) => errors,
            };
            assert!(errors.iter().any(|e| e.is_error()));
            let rendered = diagnostic::render_all(&errors, "query", &SourceText::new(&case.text));
            insta::with_settings!({ description => case.text.clone(), omit_expression => true }, {
                insta::assert_snapshot!(rendered);
            });
        })
    });
}

#[test]
fn the_same_query_gives_byte_identical_sql() {
    let case = Case::read("src 10.0.0.0/8 and dport {22, 3389} | top 5 srcaddr\n");
    let first = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    let second = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    assert_eq!(first, second);
}

#[test]
fn an_injected_parameter_stays_inside_its_literal() {
    // A string-typed place: the value is a literal, quotes doubled.
    let mut case = Case::read("vpc-id = $v last 1h\n");
    case.params.insert("v", "vpc-1' OR '1'='1").unwrap();
    let errors = flowq::sql::compile(&case.text, &case.context()).unwrap_err();
    assert!(
        errors[0].message.contains("is not a valid vpc-id"),
        "{errors:?}"
    );
    let mut case = Case::read("sublocation-id = $v last 1h\n");
    case.params.insert("v", "x' OR '1'='1").unwrap();
    let sql = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    assert!(
        sql.contains("NULLIF(\"sublocation_id\", '-') = 'x'' OR ''1''=''1'"),
        "{sql}"
    );
}

#[test]
fn every_corpus_query_round_trips_through_its_canonical_form() {
    insta::glob!("queries/*.flowq", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let parsed = flowq::lang::parse::parse(&text).unwrap();
        let canonical = flowq::lang::print::canonical(&parsed);
        assert_eq!(
            flowq::lang::parse::parse(&canonical).unwrap(),
            parsed,
            "{canonical}"
        );
    });
}

#[test]
fn sql_past_athenas_limit_is_refused_not_sent() {
    let addresses: Vec<String> = (0..20_000)
        .map(|i| format!("10.{}.{}.1", i / 256, i % 256))
        .collect();
    let mut case = Case::read("src $many last 1h\n");
    case.params
        .insert("many", &format!("{{{}}}", addresses.join(", ")))
        .unwrap();
    let errors = flowq::sql::compile(&case.text, &case.context()).unwrap_err();
    assert!(
        errors[0].message.contains("over Athena's limit of 262144"),
        "{}",
        errors[0].message
    );
}

#[test]
fn sql_past_athenas_limit_names_the_list_and_its_size() {
    let entries: Vec<String> = (0..20_000)
        .map(|i| format!("10.{}.{}.0/28", i / 256, i % 256))
        .collect();
    let mut case = Case::read("src @feed last 1h\n");
    let (feed, _) = flowq::catalog::lists::parse_txt(&entries.join("\n"));
    let mut lists = flowq::lang::ir::Lists::default();
    lists.insert("feed", feed.unwrap());
    case.params.set_lists(lists);
    let errors = flowq::sql::compile(&case.text, &case.context()).unwrap_err();
    let message = &errors[0].message;
    assert!(
        message.contains("over Athena's limit of 262144"),
        "{message}"
    );
    assert!(message.contains("'@feed' (20000 entries)"), "{message}");
    // The SQL's size is said too: 20,000 contains() tests are far above it.
    let bytes: usize = message
        .split_whitespace()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {message}"));
    assert!(bytes > 20_000 * 40, "{message}");
}

#[test]
fn sql_past_athenas_limit_names_the_lookup_table_and_its_bytes() {
    let mut text = String::from("interface_id,name,instance_id\n");
    for i in 0..6_000 {
        text.push_str(&format!("eni-{i:017x},host-{i},i-{i:017x}\n"));
    }
    let (table, problems) = flowq::catalog::lookups::parse_csv(&text);
    assert!(problems.is_empty());
    let mut lookups = flowq::lang::ir::Lookups::default();
    lookups.insert("enis", table.unwrap());
    let mut case = Case::read("last 1h | top 10 interface-id | lookup enis on interface-id\n");
    case.params.set_lookups(lookups.clone());
    let errors = flowq::sql::compile(&case.text, &case.context()).unwrap_err();
    let message = &errors[0].message;
    assert!(
        message.contains("over Athena's limit of 262144"),
        "{message}"
    );
    // Each row is about 60 bytes of VALUES: the table took most of it.
    let said: usize = message
        .split("'enis' (6000 rows, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no table size in {message}"));
    assert!((6_000 * 55..6_000 * 70).contains(&said), "{message}");
    assert!(message.contains("run it on a local source"), "{message}");
    // A thousand rows fit, every one of them in the SQL.
    let lines: Vec<&str> = text.lines().take(1_001).collect();
    let (small, _) = flowq::catalog::lookups::parse_csv(&lines.join("\n"));
    lookups.insert("enis", small.unwrap());
    case.params.set_lookups(lookups);
    let sql = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    assert!(
        sql.contains("('eni-000000000000003e7', 'host-999', 'i-000000000000003e7')"),
        "{sql}"
    );
    assert!(sql.len() <= 262_144);
}

// ------------------------------------------------- times at the range's edges

/// 9999-12-31T00:00:00Z in Unix seconds: 9999-12-31T23:59:59Z is the
/// well-known 253402300799, and the day starts 86399 s before it.
const LAST_DAY: i64 = 253_402_300_799 - 86_399;

fn compile_at(now: &str, query: &str) -> Result<flowq::sql::Compiled, String> {
    let case = Case::read(&format!("# now: {now}\n{query}\n"));
    flowq::sql::compile(&case.text, &case.context())
        .map_err(|errors| diagnostic::render_all(&errors, "query", &SourceText::new(&case.text)))
}

#[test]
fn the_year_9999_is_a_time_not_a_wrapped_number() {
    let sql = compile_at(common::DEFAULT_NOW, "start < 9999-12-31 last 1h")
        .unwrap()
        .sql;
    assert!(sql.contains(&format!("\"start\" < {LAST_DAY}")), "{sql}");

    let until = compile_at(common::DEFAULT_NOW, "until 9999-12-31").unwrap();
    assert!(
        until.sql.contains(&format!("\"start\" < {LAST_DAY}")),
        "{}",
        until.sql
    );
    assert!(
        until.sql.contains("\"date\" <= DATE '9999-12-31'"),
        "{}",
        until.sql
    );

    for query in [
        "since 2026-11-26T00:00:00Z until 9999-12-31T00:00:00Z",
        "between 2026-01-01 and 9999-12-31",
    ] {
        let compiled = compile_at(common::DEFAULT_NOW, query).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            compiled
                .checked
                .window
                .end
                .map(|t| t.to_string())
                .as_deref(),
            Some("9999-12-31T00:00:00Z"),
            "{query}"
        );
    }
    // The last second flowq handles, written with an offset.
    let compiled = compile_at("9999-12-31T23:59:59Z", "since 9999-12-31T23:59:58+00:00").unwrap();
    assert_eq!(
        compiled.checked.window.start.unwrap().to_string(),
        "9999-12-31T23:59:58Z"
    );
}

#[test]
fn times_outside_1970_to_9999_are_located_errors() {
    let cases = [
        // (now, query, the error's column, what it says)
        (
            common::DEFAULT_NOW,
            "last 99999999999d",
            6,
            "before 1970-01-01T00:00:00Z",
        ),
        (
            common::DEFAULT_NOW,
            "since 1969-12-31T23:59:59Z",
            7,
            "before 1970-01-01T00:00:00Z",
        ),
        (
            common::DEFAULT_NOW,
            "start > 9999-12-31T23:00:00-01:00 last 1h",
            9,
            "after 9999-12-31T23:59:59Z",
        ),
        (
            "9999-12-31T23:59:59Z",
            "on 9999-12-31",
            4,
            "after 9999-12-31T23:59:59Z",
        ),
    ];
    for (now, query, column, says) in cases {
        let rendered = match compile_at(now, query) {
            Ok(compiled) => panic!("{query} compiled:\n{}", compiled.sql),
            Err(rendered) => rendered,
        };
        assert!(
            rendered.contains(&format!("query:2:{column}: error[E002]: "))
                && rendered.contains(says),
            "{query}:\n{rendered}"
        );
    }
    // No window near the epoch: the default one would start before 1970.
    let rendered = compile_at("1970-01-01T00:10:00Z", "dport 22").unwrap_err();
    assert!(
        rendered.contains("the default window (last 1h) would start before 1970-01-01T00:00:00Z"),
        "{rendered}"
    );
}

/// Issue 10, item 14: explain's work does not grow with the window.
#[test]
fn explain_summarises_a_long_window_in_bounded_time() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let case =
            Case::read("# scheme: hive-hourly\n# now: 9999-12-30T00:00:00Z\nsince 1970-01-02\n");
        let compiled = flowq::sql::compile(&case.text, &case.context()).unwrap();
        let explained = flowq::sql::explain::explain(&compiled, &case.table);
        let huge = compile_at(common::DEFAULT_NOW, "last 99999999999d");
        let _ = done.send((explained, huge.is_err()));
    });
    let (explained, huge_refused) = finished
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("explain took over 20 s");
    assert!(huge_refused);
    // Partitions of [1970-01-01T23:55:00Z, 9999-12-30T00:30:00Z]: the hours
    // from 1970-01-01T23:00 (82800 s) to 9999-12-30T00:00
    // (253402128000 s): (253402128000 - 82800) / 3600 + 1.
    let expected = "\
touches:    70389458 partitions
  year=1970/month=01/day=01/hour=23/
  year=1970/month=01/day=02/hour=00/
  year=1970/month=01/day=02/hour=01/
  ... 70389452 more partitions ...
  year=9999/month=12/day=29/hour=22/
  year=9999/month=12/day=29/hour=23/
  year=9999/month=12/day=30/hour=00/
sql:
";
    assert!(explained.contains(expected), "{explained}");
}
