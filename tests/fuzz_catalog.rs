//! Fuzzing `flowq check` (issue 10): random configs and saved searches —
//! random structure, deep nesting, huge and negative numbers, byte-order
//! marks, odd line breaks, wrong types, every source key with values in and
//! out of range — and the corpus of found cases under tests/fuzz/catalogs/.
//! The properties: no panic, every finding located inside its file, and a
//! bounded time per case.
//!
//! Each property runs FLOWQ_FUZZ_CASES cases (default 512, seconds in CI);
//! `FLOWQ_FUZZ_CASES=20000 cargo test --test fuzz_catalog` runs longer
//! (docs/catalog.md). A failing case is saved by proptest in
//! tests/fuzz_catalog.proptest-regressions and replayed first from then on;
//! copy the interesting ones into tests/fuzz/catalogs/ as files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flowq::catalog::config::Config;
use flowq::catalog::validate;
use flowq::lang::diagnostic::Located;
use proptest::prelude::*;

/// Longer than any case should take, even unoptimised on a busy machine.
const MAX_CASE_TIME: Duration = Duration::from_secs(5);

fn cases() -> u32 {
    std::env::var("FLOWQ_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512)
}

fn now() -> flowq::time::Time {
    flowq::time::parse_now("2026-11-27T03:00:00Z").unwrap()
}

/// A fresh catalog folder for one case.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-catalog")
        .join(format!("{name}-{:?}", std::thread::current().id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("searches")).unwrap();
    dir
}

/// `flowq check` on a folder (its flowq.yaml and searches/), as the
/// command does it: the findings, and how long it took.
fn check(dir: &Path) -> (Vec<Located>, Duration) {
    let started = Instant::now();
    let findings = match Config::load(&dir.join("flowq.yaml")) {
        Ok(config) => validate::check_catalog(&config, &[], now()).findings,
        Err(findings) => findings,
    };
    (findings, started.elapsed())
}

/// Every finding names a file of the case (or its searches folder), and a
/// line and column inside that file's text.
fn assert_located(dir: &Path, findings: &[Located]) -> Result<(), TestCaseError> {
    for f in findings {
        let origin = Path::new(&f.origin);
        prop_assert!(
            origin.starts_with(dir),
            "{} is not in the case's folder",
            f.origin
        );
        prop_assert!(!f.message.is_empty());
        prop_assert!(f.line >= 1 && f.column >= 1, "{f:?}");
        if origin.is_file() {
            let bytes = std::fs::read(origin).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let lines = yaml_lines(text);
            prop_assert!(
                f.line <= lines.len(),
                "line {} of {}: {f:?}",
                f.line,
                lines.len()
            );
            if !f.source_line.is_empty() {
                let width = lines[f.line - 1].chars().count();
                prop_assert!(
                    f.column <= width + 1,
                    "column {} of {width}: {f:?}",
                    f.column
                );
            }
        }
    }
    Ok(())
}

/// Lines as YAML breaks them: at `\r\n`, `\n`, `\r`, NEL, LS and PS.
fn yaml_lines(text: &str) -> Vec<String> {
    let text = text
        .replace("\r\n", "\n")
        .replace(['\r', '\u{85}', '\u{2028}', '\u{2029}'], "\n");
    text.split('\n').map(String::from).collect()
}

fn run_case(name: &str, config: &str, searches: &[String]) -> Result<(), TestCaseError> {
    let dir = folder(name);
    std::fs::write(dir.join("flowq.yaml"), config).unwrap();
    for (i, search) in searches.iter().enumerate() {
        std::fs::write(dir.join(format!("searches/s{i}.yaml")), search).unwrap();
    }
    let (findings, took) = check(&dir);
    prop_assert!(took < MAX_CASE_TIME, "took {took:?}");
    assert_located(&dir, &findings)
}

// ------------------------------------------------------------------ values

fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(values).prop_map(str::to_string)
}

const DURATIONS: &[&str] = &[
    "30m",
    "0s",
    "-1m",
    "99999999999d",
    "1.5h",
    "7d",
    "8d",
    "366d",
    "367d",
    "1m",
    "59s",
    "''",
    "~",
    "[1h]",
    "{a: 1}",
    "1e400",
    "0x10",
    "1h30m",
    "9223372036854775807s",
];
const SIZES: &[&str] = &[
    "10M",
    "0",
    "1M",
    "-5",
    "9223372036854775807",
    "9223372036854775808",
    "1.5",
    "1.01KiB",
    "99999999999999999999999T",
    "10G",
    "[1]",
    "0.99999999999999999K",
    "9007199254740993K",
];
const LIMITS: &[&str] = &[
    "0",
    "1",
    "1000000",
    "1000001",
    "99999999999",
    "-1",
    "1.5",
    "18446744073709551616",
    "abc",
    "[1]",
    "1e3",
    "0x10",
    "~",
];
const TEXTS: &[&str] = &[
    "x",
    "''",
    "'quoted'",
    "\"dq\"",
    "ünïcödé",
    "[a, b]",
    "{a: b}",
    "~",
    "null",
    "'a''b'",
    "\"\\u0000\"",
    "\"\\t\"",
    "7",
    "true",
    "&a x",
    "*a",
    "!!binary aGk=",
    "|\n      block",
];
const PARTITIONINGS: &[&str] = &[
    "{scheme: date}",
    "{scheme: hive-hourly, columns: [y, m, d, h]}",
    "{scheme: bogus}",
    "{scheme: day, columns: []}",
    "[]",
    "{scheme: date, region: r, account: a}",
    "{scheme: none}",
    "{scheme: date-hour, columns: [[d], h]}",
];
const PROJECTIONS: &[&str] = &[
    "{enabled: true, start: 2024/01/01}",
    "{enabled: true, start: 9999/99/99}",
    "{enabled: yes}",
    "{enabled: true, start: 2099-12-31, accounts: ['1'], regions: []}",
    "{enabled: true, start: 20240101}",
    "[true]",
    "{enabled: true, start: 2026/02/30}",
    "{enabled: true, start: 1969/12/31}",
];
const LOG_FORMATS: &[&str] = &[
    "\"${version} ${account-id} ${srcaddr} ${dstaddr} ${start} ${end}\"",
    "\"${bogus}\"",
    "\"\"",
    "x",
    "\"${version}${version}\"",
];
const ENGINES: &[&str] = &["athena", "local", "trino", "bogus", "[athena]", "~"];

/// One `key: value` line of a source, for every key flowq knows and one
/// it does not.
fn source_line() -> impl Strategy<Value = String> {
    let keyed = |key: &'static str, values: &'static [&'static str]| {
        one_of(values).prop_map(move |v| format!("{key}: {v}"))
    };
    prop_oneof![
        keyed("region", TEXTS),
        keyed("workgroup", TEXTS),
        keyed("database", TEXTS),
        keyed("catalog", TEXTS),
        keyed("table", TEXTS),
        keyed("output_location", TEXTS),
        keyed("location", TEXTS),
        keyed("max_scan", SIZES),
        keyed("server", TEXTS),
        keyed("schema", TEXTS),
        keyed("user", TEXTS),
        keyed("path", TEXTS),
        keyed("log_format", LOG_FORMATS),
        keyed("file_format", &["text", "parquet", "csv", "[text]"]),
        keyed("partitioning", PARTITIONINGS),
        keyed("projection", PROJECTIONS),
        keyed("lateness", DURATIONS),
        keyed("default_window", DURATIONS),
        keyed("default_limit", LIMITS),
        keyed("databse", TEXTS),
    ]
}

/// Nesting of every kind, up to well past the limit.
fn deep_value() -> impl Strategy<Value = String> {
    (0usize..200, 0usize..4).prop_map(|(depth, kind)| match kind {
        0 => "[".repeat(depth),
        1 => format!("{}x{}", "[".repeat(depth), "]".repeat(depth)),
        2 => "{a: ".repeat(depth),
        _ => format!("\n{}x", "- ".repeat(depth)),
    })
}

/// A byte-order mark, or not; and the line break to use.
fn framing() -> impl Strategy<Value = (&'static str, &'static str)> {
    (
        proptest::sample::select(&["", "\u{feff}"][..]),
        proptest::sample::select(&["\n", "\r\n"][..]),
    )
}

fn config() -> impl Strategy<Value = String> {
    (
        framing(),
        proptest::option::of(one_of(&[
            "prod",
            "nope",
            "[x]",
            "{a: b}",
            "99999999999999999999",
        ])),
        one_of(ENGINES),
        proptest::collection::vec(source_line(), 0..6),
        proptest::option::of(deep_value()),
    )
        .prop_map(|((bom, nl), default_source, engine, lines, deep)| {
            let mut text = String::from(bom);
            if let Some(name) = default_source {
                text.push_str(&format!("default_source: {name}{nl}"));
            }
            text.push_str(&format!(
                "catalog: searches{nl}sources:{nl}  prod:{nl}    engine: {engine}{nl}"
            ));
            for line in lines {
                text.push_str(&format!("    {}{nl}", line.replace('\n', nl)));
            }
            if let Some(deep) = deep {
                text.push_str(&format!("    extra: {}{nl}", deep.replace('\n', nl)));
            }
            text
        })
}

/// Queries that use parameters where any declared type is either taken or
/// refused with a message. (A set-typed parameter in a comparison is issue
/// 10 item 2, fixed and fuzzed with the language; the types of `$n` below
/// leave sets out until then.)
const QUERIES: &[&str] = &[
    "dport 22 last 1h",
    "src $a and dport $a last $w",
    "bytes > $n last 1h",
    "dport $a last 1h",
    "garbage (((",
    "last 99999999999d",
    "until 9999-12-31",
    "on 9999-12-31",
    "start < 9999-12-31 last 1h",
    "bytes > 1.01KiB last 1h",
    "bytes > 9007199254740993K last 1h",
    "''",
    "all time",
    "dport 22 | stats count() by srcaddr | limit 5",
    "src {10.0.0.1, ::1} last $w",
    "duration > $n last 1h",
    "since $w",
    "dport $undeclared last 1h",
];
const ANY_TYPES: &[&str] = &[
    "ip",
    "cidr",
    "addresses",
    "port",
    "ports",
    "int",
    "size",
    "duration",
    "string",
    "id",
    "bogus",
    "[ip]",
];
const SCALAR_TYPES: &[&str] = &["ip", "port", "int", "size", "duration", "string", "id"];
const DEFAULTS: &[&str] = &[
    "10.0.0.1",
    "22",
    "{22, 3389}",
    "[22, 3389]",
    "24h",
    "1.5h",
    "99999999999999999999",
    "-1",
    "1.01KiB",
    "''",
    "[[1]]",
    "{a: b}",
    "~",
    "ünï",
    "[]",
    "1e400",
    "true",
];

fn param(name: &'static str, types: &'static [&'static str]) -> impl Strategy<Value = String> {
    (one_of(types), proptest::option::of(one_of(DEFAULTS))).prop_map(move |(ty, default)| {
        match default {
            Some(d) => format!("  {name}: {{type: {ty}, default: {d}}}"),
            None => format!("  {name}: {{type: {ty}}}"),
        }
    })
}

fn search() -> impl Strategy<Value = String> {
    (
        framing(),
        one_of(TEXTS),
        one_of(TEXTS),
        one_of(QUERIES),
        (
            proptest::option::of(param("a", ANY_TYPES)),
            proptest::option::of(param("n", SCALAR_TYPES)),
            proptest::option::of(param("w", ANY_TYPES)),
        ),
        one_of(&["[a]", "[]", "[[x]]", "x", "[a, 1, true]", "[attack.t1046]"]),
        proptest::option::of(deep_value()),
        any::<bool>(),
    )
        .prop_map(|((bom, nl), title, description, query, params, tags, deep, unknown)| {
            let mut text = format!(
                "{bom}title: {title}{nl}description: {description}{nl}query: '{}'{nl}tags: {tags}{nl}",
                query.replace('\'', "''")
            );
            let params: Vec<String> = [params.0, params.1, params.2].into_iter().flatten().collect();
            if !params.is_empty() {
                text.push_str(&format!("params:{nl}{}{nl}", params.join(nl)));
            }
            if let Some(deep) = deep {
                text.push_str(&format!("owner: {}{nl}", deep.replace('\n', nl)));
            }
            if unknown {
                text.push_str(&format!("titel: x{nl}"));
            }
            text
        })
}

/// YAML-like soup, for a whole file.
fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(
            &[
                "- ",
                "? ",
                "a",
                "b: ",
                "'x'",
                "'",
                "\"",
                "[",
                "]",
                "{",
                "}",
                ", ",
                ": ",
                " #c",
                " ",
                "|",
                ">",
                "&a ",
                "*a",
                "---",
                "\n",
                "\n  ",
                "\n    ",
                "\r",
                "\u{85}",
                "\u{feff}",
                "title: ",
                "query: ",
                "sources:",
                "\n  prod:\n    engine: ",
                "99999999999999999999",
                "\t",
                "\u{0}",
                "é",
            ][..],
        ),
        0..80,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_configs_are_checked_without_panics(config in config(), search in search()) {
        run_case("config", &config, &[search])?;
    }

    #[test]
    fn random_searches_are_checked_without_panics(searches in proptest::collection::vec(search(), 1..4)) {
        let config = "sources:\n  prod:\n    engine: athena\n";
        run_case("searches", config, &searches)?;
    }

    #[test]
    fn yaml_soup_is_checked_without_panics(config in soup(), search in soup()) {
        run_case("soup", &config, &[search])?;
    }
}

/// The committed corpus: cases found by fuzzing or by the issue, kept as
/// files. Each is checked like a fuzz case, and its report is a reviewed
/// snapshot.
#[test]
fn the_fuzz_corpus_is_checked_with_located_findings() {
    insta::glob!("fuzz/catalogs/*/flowq.yaml", |path| {
        let dir = path.parent().unwrap();
        let (findings, took) = check(dir);
        assert!(took < MAX_CASE_TIME, "{}: took {took:?}", dir.display());
        if let Err(e) = assert_located(dir, &findings) {
            panic!("{}: {e}", dir.display());
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let report: String = findings
            .iter()
            .map(|f| {
                let origin = Path::new(&f.origin);
                let shown = origin.strip_prefix(root).unwrap_or(origin);
                format!(
                    "{}:{}:{}: {}\n",
                    shown.display(),
                    f.line,
                    f.column,
                    f.message
                )
            })
            .collect();
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(report);
        });
    });
}
