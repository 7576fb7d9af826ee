//! Fuzzing the query pipeline from text (issue 10, "Fuzzing"): each case
//! is a query and `--param` values, run through every stage a query meets:
//! parse, check, the canonical print (parsed back, it must mean the same:
//! the same syntax tree and the same checked query), the SQL renderer, and
//! the local engine over a small fixed folder of flow logs.
//!
//! The property: nothing panics or aborts; every error points inside the
//! text and renders; every case finishes within CASE_BUDGET. Each case runs
//! on a thread with Rust's default 2 MiB stack, set explicitly so that
//! RUST_MIN_STACK cannot hide a recursion as deep as the input (a stack
//! overflow aborts this whole test binary, which fails it too).
//!
//! Generators: nesting around the limit, wide boolean chains, huge and
//! negative numbers, times at the edges of the range, every kind of
//! parameter value in every place a value stands, Unicode (invisible
//! characters included) and random text.
//!
//! Budget: `the_pipeline_survives_generated_queries` runs for
//! FLOWQ_FUZZ_SECONDS (default 60, as in CI; docs/language.md, "Fuzzing").
//! A failure prints the smallest failing case proptest found: add it to
//! tests/fuzz/queries/ (one `.flowq` file, `# param: name=value` lines
//! first), where `every_corpus_case_runs_clean` runs it on every test run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use flowq::engine::local::{self, LocalSource};
use flowq::engine::output::{Cell, ColumnInfo, RowSink};
use flowq::lang::ast::Qualifier;
use flowq::lang::check::{self, CheckContext};
use flowq::lang::diagnostic::{self, Diagnostic, SourceText};
use flowq::lang::ir::Params;
use flowq::lang::limits::MAX_QUERY_BYTES;
use flowq::lang::{parse, print};

const NOW: &str = "2026-11-27T03:00:00Z";
/// The most one case may take, text to local rows, on a loaded machine in
/// a debug build. A case takes milliseconds; a 64 KiB query well under a
/// second. Past this, the case is a failure (a time bomb, or a loop).
const CASE_BUDGET: Duration = Duration::from_secs(10);
const DEFAULT_SECONDS: u64 = 60;
/// Rust's default stack for spawned threads.
const STACK_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Debug)]
struct Case {
    query: String,
    params: Vec<(String, String)>,
}

// ------------------------------------------------------------ the property

/// One hour of synthetic v5 flow logs before NOW, written once.
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("fuzz-logs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let start = flowq::time::parse_now("2026-11-27T02:00:00Z")
            .unwrap()
            .unix();
        let options = flowq::sample::Options {
            flows_per_minute: 3,
            version: flowq::sample::FormatVersion::V5,
            threads: 1,
            seed: 10,
            ..flowq::sample::Options::new(&root, start, start + 3600)
        };
        flowq::sample::generate(&options).unwrap();
        root
    })
}

/// Counts rows, as the output formats would write them.
#[derive(Default)]
struct Rows(usize);

impl RowSink for Rows {
    fn begin(&mut self, _: &[ColumnInfo]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, row: &[Cell]) -> std::io::Result<()> {
        self.0 += usize::from(!row.is_empty());
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How far a case got: a generator that only makes parse errors tests
/// little, so the fuzz test checks that every outcome occurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reached {
    ParseError,
    CheckError,
    Rows,
}

/// Every stage on one case; Err says which promise broke.
fn pipeline(case: &Case) -> Result<Reached, String> {
    let mut params = Params::default();
    for (name, value) in &case.params {
        // A refused value is the CLI's usage error; the query then finds
        // the parameter without a value, which must be an error too.
        let _ = params.insert(name, value);
    }
    let source = LocalSource {
        threads: Some(1),
        ..LocalSource::new(folder())
    };
    let table = source.table();
    let ctx = CheckContext {
        table: &table,
        now: flowq::time::parse_now(NOW).unwrap(),
        params: &params,
    };
    let text = &case.query;
    let query = match parse::parse(text) {
        Ok(query) => query,
        Err(d) => return located(&[d], text).map(|()| Reached::ParseError),
    };
    let checked = match check::check(&query, &ctx) {
        Ok(checked) => checked,
        Err(errors) => return located(&errors, text).map(|()| Reached::CheckError),
    };
    let canonical = print::canonical(&query);
    match parse::parse(&canonical) {
        Ok(again) if again != query => {
            return Err(format!(
                "the canonical form {canonical:?} parses to another tree"
            ))
        }
        Ok(again) => match check::check(&again, &ctx) {
            Ok(rechecked) if rechecked == checked => {}
            other => {
                return Err(format!(
                    "the canonical form {canonical:?} checks differently: {other:?}"
                ))
            }
        },
        // Spelled out (`a b` is `a and b`), the canonical form may pass
        // the size limit the query was within.
        Err(_) if canonical.len() > MAX_QUERY_BYTES => {}
        Err(d) => {
            return Err(format!(
                "the canonical form {canonical:?} does not parse: {d:?}"
            ))
        }
    }
    // SQL past Athena's limit is an answer (an error), not a failure.
    let _ = flowq::sql::render::render(&checked, &table);
    local::run(&checked, &source, &mut Rows::default(), None)
        .map_err(|e| format!("the local engine failed: {e}"))?;
    Ok(Reached::Rows)
}

/// Errors must exist, point inside the text, and render.
fn located(errors: &[Diagnostic], text: &str) -> Result<(), String> {
    if errors.is_empty() {
        return Err("refused with no error".into());
    }
    for e in errors {
        let span = e.span;
        let inside = span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end);
        if !inside || e.message.is_empty() {
            return Err(format!("an error outside the text or empty: {e:?}"));
        }
    }
    let rendered = diagnostic::render_all(errors, "query", &SourceText::new(text));
    // A source line is cut to 100 characters around the caret.
    let longest = rendered
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    if longest > 1_000 && errors.iter().all(|e| e.message.len() < 500) {
        return Err(format!("a rendered line of {longest} characters"));
    }
    Ok(())
}

/// Runs a case on a 2 MiB-stack thread within CASE_BUDGET.
fn run_guarded(case: &Case) -> Result<Reached, String> {
    let owned = case.clone();
    guarded(move || pipeline(&owned), CASE_BUDGET)
}

/// Runs `work` on a thread of its own with a 2 MiB stack: a panic or a
/// run past `budget` is an Err that says so.
fn guarded<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
    budget: Duration,
) -> Result<T, String> {
    let (done, result) = mpsc::channel();
    let started = Instant::now();
    let worker = std::thread::Builder::new()
        .name("fuzz-case".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let _ = done.send(work());
        })
        .expect("spawn a case thread");
    match result.recv_timeout(budget) {
        Ok(outcome) => {
            let _ = worker.join();
            let reached = outcome?;
            let took = started.elapsed();
            if took > budget {
                return Err(format!("took {took:?}"));
            }
            Ok(reached)
        }
        // The thread is left running: the test fails and its process ends.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("took more than {budget:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let panic = worker.join().err();
            let message = panic
                .as_ref()
                .and_then(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                })
                .unwrap_or_default();
            Err(format!("panicked: {message}"))
        }
    }
}

// ------------------------------------------------------------ generators

/// Values of every kind, the hostile ones included.
const WORDS: &[&str] = &[
    // addresses
    "10.0.0.1",
    "10.0.0.0/8",
    "10.0.0.1/8",
    "0.0.0.0/0",
    "2001:db8::/32",
    "::/0",
    "::ffff:10.0.0.1",
    "::ffff:0:0/96",
    "::fffe:0:0/95",
    "300.1.1.1",
    "10.0.0.0/33",
    // ports, protocols, flags
    "22",
    "ssh",
    "1024-65535",
    "65536",
    "10-5",
    "0",
    "tcp",
    "icmpv6",
    "256",
    "syn",
    "synack",
    // numbers: huge, negative, decimal
    "-5",
    "-0",
    "1.5G",
    "10M",
    "2.01K",
    "1.07G",
    "99999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "9007199254740993K",
    "0.99999999999999999K",
    "1e9",
    "18446744073709551616T",
    // durations
    "1h",
    "0s",
    "1h30m",
    "99999999999d",
    "9223372036854775807s",
    "106751991167301d",
    "1w1d1h1m1s",
    // times at the edges of the range
    "1970-01-01",
    "1969-12-31",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59Z",
    "9999-12-30T22:00:00Z",
    "2026-11-27T02:30:00Z",
    "2026-11-27T02:30:00+14:00",
    "2026-02-30",
    "2262-04-12",
    "-1",
    "1795748400",
    "-9223372036854775808",
    // closed sets and identifiers
    "accept",
    "nodata",
    "ipv6",
    "efa",
    "ingress",
    "eni-0abc",
    "vpc-1",
    "us-east-1",
    "use1-az1",
    "S3",
    "123456789012",
    "i-0123abcd",
    "subnet-0def",
];

const UNICODE: &[&str] = &[
    "\u{200b}", "\u{a0}", "\u{feff}", "\u{0}", "\u{7f}", "é", "日本", "\u{202e}", "🦀", "\u{2028}",
];

fn word() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => prop::sample::select(UNICODE).prop_map(str::to_string),
        1 => "[!-~]{1,8}",
        1 => "\\PC{1,4}",
    ]
    .boxed()
}

fn value() -> BoxedStrategy<String> {
    let scalar = prop_oneof![
        6 => word(),
        1 => word().prop_map(|w| format!("\"{}\"", w.replace('"', "\\\""))),
        1 => word().prop_map(|w| format!("'{}'", w.replace('\'', "\\'"))),
        2 => prop::sample::select(&["$p", "$q", "$ports", "$n", "$missing"][..]).prop_map(str::to_string),
    ]
    .boxed();
    prop_oneof![
        6 => scalar.clone(),
        2 => prop::collection::vec(scalar, 1..5).prop_map(|m| format!("{{{}}}", m.join(", "))),
        1 => Just("{}".to_string()),
        1 => (1..6usize).prop_map(|n| format!("{}22{}", "{".repeat(n), "}".repeat(n))),
    ]
    .boxed()
}

const FIELDS: &[&str] = &[
    "bytes",
    "packets",
    "start",
    "end",
    "duration",
    "dstport",
    "srcport",
    "srcaddr",
    "tcp-flags",
    "tcp_flags",
    "protocol",
    "action",
    "log-status",
    "sublocation-id",
    "traffic-path",
    "version",
    "dport",
    "src",
    "host",
    "nosuchfield",
];
const OPS: &[&str] = &["=", "==", "!=", "<", "<=", ">", ">="];

fn predicate() -> BoxedStrategy<String> {
    let qualifiers: Vec<&str> = Qualifier::ALL.iter().map(|q| q.keyword()).collect();
    prop_oneof![
        4 => (prop::sample::select(qualifiers), value()).prop_map(|(q, v)| format!("{q} {v}")),
        3 => (prop::sample::select(FIELDS), prop::sample::select(OPS), value())
            .prop_map(|(f, op, v)| format!("{f} {op} {v}")),
        1 => prop::sample::select(&["accept", "reject", "ACCEPT"][..]).prop_map(str::to_string),
        1 => value(),
    ]
    .boxed()
}

/// Predicates that check, so that many cases reach the SQL and the local
/// engine; each with values of its type.
const GOOD: &[(&str, &[&str])] = &[
    (
        "src",
        &[
            "10.0.0.0/8",
            "10.0.1.5",
            "2001:db8::/32",
            "::/0",
            "{10.0.0.0/8, ::/64}",
        ],
    ),
    ("dst", &["172.16.0.0/12", "0.0.0.0/0", "::fffe:0:0/95"]),
    ("host", &["10.0.0.0/8", "{192.0.2.1, 2001:db8::1}"]),
    ("pkt-src", &["10.0.0.0/8"]),
    ("dport", &["22", "ssh", "1024-65535", "{22, 3389, https}"]),
    ("port", &["53", "{80, 443}"]),
    ("sport", &["0-1023"]),
    ("proto", &["tcp", "udp", "{icmp, 58}"]),
    ("action", &["accept", "reject"]),
    ("status", &["ok", "nodata"]),
    ("flags", &["syn", "{fin, rst}", "synack"]),
    ("type", &["ipv4", "ipv6"]),
    ("direction", &["ingress", "egress"]),
    ("path", &["1", "{2, 8}"]),
    ("bytes >", &["10M", "0", "1.5K", "9223372036854775807"]),
    ("packets <=", &["10", "1K"]),
    ("duration >=", &["5m", "0", "90"]),
    ("start <", &["2026-11-27T02:30:00Z", "1795746600"]),
    ("end >=", &["2026-11-27"]),
    ("dstport =", &["{22, 443}", "ssh"]),
    ("protocol !=", &["{1, 58}", "6"]),
    ("tcp-flags =", &["2", "synack"]),
    ("srcaddr !=", &["10.0.0.0/8"]),
    ("sublocation-id =", &["'x'' OR 1=1'", "\"\u{200b}\""]),
];

fn good_predicate() -> BoxedStrategy<String> {
    prop::sample::select(GOOD)
        .prop_flat_map(|(q, values)| {
            prop::sample::select(values).prop_map(move |v| format!("{q} {v}"))
        })
        .boxed()
}

fn good_filter() -> BoxedStrategy<String> {
    prop_oneof![3 => good_predicate(), 1 => Just("accept".to_string())]
        .prop_recursive(5, 32, 5, |inner| {
            prop_oneof![
                (
                    prop::collection::vec(inner.clone(), 2..5),
                    prop::sample::select(JOINERS)
                )
                    .prop_map(|(parts, op)| format!("({})", parts.join(op))),
                inner.clone().prop_map(|f| format!("not {f}")),
                inner.prop_map(|f| format!("!({f})")),
            ]
        })
        .boxed()
}

const GOOD_WINDOWS: &[&str] = &[
    "last 1h",
    "last 30m",
    "since 2026-11-27T02:00:00Z",
    "since 2026-11-27T02:10:00Z until 2026-11-27T02:40:00Z",
    "between 2026-11-27T01:00:00Z and 2026-11-27T02:20:00Z",
    "on 2026-11-27",
    "all time",
];

const GOOD_STAGES: &[&str] = &[
    "",
    "| count by dport",
    "| top 3 srcaddr, dstaddr by packets",
    "| stats count(), sum(bytes) as b, avg(duration), min(start), count_distinct(dstaddr) by action, proto | sort b desc | limit 5",
    "| fields srcaddr, dstport, duration | sort duration desc | limit 10",
    "| count",
];

/// A query that compiles, mostly: typed predicates nested and chained,
/// a window that covers the sample, and stages.
fn good_query() -> BoxedStrategy<String> {
    let body = prop_oneof![
        6 => good_filter(),
        1 => (0..300usize, good_predicate()).prop_map(|(n, p)| format!("{}{p}{}", "not (".repeat(n / 2), ")".repeat(n / 2))),
        1 => (1..3_000usize, prop::collection::vec(good_predicate(), 1..4), prop::sample::select(JOINERS))
            .prop_map(|(n, terms, op)| {
                let chain: Vec<&str> = terms.iter().map(String::as_str).cycle().take(n).collect();
                format!("({})", chain.join(op))
            }),
    ];
    (
        body,
        prop::sample::select(GOOD_WINDOWS),
        prop::sample::select(GOOD_STAGES),
    )
        .prop_map(|(filter, window, stages)| format!("{filter} {window} {stages}"))
        .boxed()
}

const JOINERS: &[&str] = &[" and ", " or ", " && ", " || ", " ", " AND ", " Or "];

/// Small filters of every shape, nested a few levels.
fn filter() -> BoxedStrategy<String> {
    predicate()
        .prop_recursive(6, 48, 6, |inner| {
            prop_oneof![
                (
                    prop::collection::vec(inner.clone(), 2..6),
                    prop::sample::select(JOINERS)
                )
                    .prop_map(|(parts, op)| parts.join(op)),
                inner.clone().prop_map(|f| format!("not {f}")),
                inner.clone().prop_map(|f| format!("!{f}")),
                inner.prop_map(|f| format!("({f})")),
            ]
        })
        .boxed()
}

/// Nesting from none to past the limit (256), in every spelling.
fn deep() -> BoxedStrategy<String> {
    (0..400usize, 0..6usize, predicate())
        .prop_map(|(n, kind, p)| match kind {
            0 => format!("{}{p}{}", "(".repeat(n), ")".repeat(n)),
            1 => format!("{}{p}", "not ".repeat(n)),
            2 => format!("{}{p}", "!".repeat(n)),
            3 => format!("{}{p}{}", "not (".repeat(n / 2), ")".repeat(n / 2)),
            4 => format!("{}{p}{}", "(reject or ".repeat(n), ")".repeat(n)),
            _ => format!("dport {}22{}", "{".repeat(n), "}".repeat(n)),
        })
        .boxed()
}

/// Chains from two terms to well past the size limit (64 KiB).
fn wide() -> BoxedStrategy<String> {
    (
        1..7_000usize,
        prop::collection::vec(predicate(), 1..4),
        prop::sample::select(JOINERS),
        any::<bool>(),
    )
        .prop_map(|(n, terms, op, parens)| {
            let chain: Vec<&str> = terms.iter().map(String::as_str).cycle().take(n).collect();
            let chain = chain.join(op);
            if parens {
                format!("({chain})")
            } else {
                chain
            }
        })
        .boxed()
}

fn window() -> BoxedStrategy<String> {
    prop_oneof![
        3 => value().prop_map(|v| format!("last {v}")),
        1 => value().prop_map(|v| format!("since {v}")),
        1 => value().prop_map(|v| format!("until {v}")),
        1 => (value(), value()).prop_map(|(a, b)| format!("since {a} until {b}")),
        1 => (value(), value()).prop_map(|(a, b)| format!("between {a} and {b}")),
        1 => value().prop_map(|v| format!("on {v}")),
        1 => Just("all time".to_string()),
        1 => Just(String::new()),
    ]
    .boxed()
}

const STAGES: &[&str] = &[
    "| stats count() by dport",
    "| stats sum(bytes) as b, count(*)",
    "| stats avg(bytes), min(start), max(end), count_distinct(srcaddr) by src, action",
    "| stats count(bytes) by duration",
    "| sort bytes desc",
    "| sort \"x\"",
    "| limit $n",
    "| limit 99999999999",
    "| limit 3",
    "| top $n srcaddr",
    "| top 5 srcaddr, dstaddr by flows",
    "| fields srcaddr, dstport, duration",
    "| count by action",
    "| count",
    "| count()",
    "| stats",
    "| fields",
    "| nosuchstage x",
    "|",
];

fn stages() -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(STAGES), 0..3)
        .prop_map(|s| s.join(" "))
        .boxed()
}

/// Parameter values of every type a saved search declares, and hostile
/// ones.
const PARAM_VALUES: &[&str] = &[
    "10.0.0.1",
    "192.0.2.0/24",
    "{192.0.2.0/24, 2001:db8::/32}",
    "443",
    "{22, 3389}",
    "10",
    "1M",
    "1h",
    "example",
    "example-id",
    "2026-11-26",
    "2026-11-27T02:00:00Z",
    "{2026-11-26, 2026-11-27}",
    "$other",
    "{$p, 22}",
    "{{1}}",
    "\"quoted $p\"",
    "a b c",
    "\u{200b}",
    "-5",
    "99999999999d",
    "9999-12-31",
];

fn params() -> BoxedStrategy<Vec<(String, String)>> {
    let names = prop::sample::select(&["p", "q", "ports", "n"][..]);
    let value = prop_oneof![
        8 => prop::sample::select(PARAM_VALUES).prop_map(str::to_string),
        1 => (1..3_000usize).prop_map(|n| format!("{{{}}}", (0..n).map(|i| (i % 65_536).to_string()).collect::<Vec<_>>().join(","))),
        1 => "\\PC{0,8}",
    ];
    prop::collection::vec((names.prop_map(str::to_string), value), 0..4).boxed()
}

fn query() -> BoxedStrategy<String> {
    let body = prop_oneof![6 => filter(), 2 => deep(), 1 => wide(), 1 => Just(String::new())];
    (body, window(), stages(), any::<bool>())
        .prop_map(|(filter, window, stages, window_first)| {
            let (a, b) = if window_first {
                (window, filter)
            } else {
                (filter, window)
            };
            [a, b, stages]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .boxed()
}

/// Random text, and generated queries with random characters spliced in.
fn noise() -> BoxedStrategy<String> {
    prop_oneof![
        "\\PC{0,64}",
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        (
            query(),
            prop::collection::vec(
                (any::<prop::sample::Index>(), prop::sample::select(UNICODE)),
                1..4
            )
        )
            .prop_map(|(mut q, inserts)| {
                for (at, text) in inserts {
                    let mut i = at.index(q.len() + 1);
                    while !q.is_char_boundary(i) {
                        i -= 1;
                    }
                    q.insert_str(i, text);
                }
                q
            }),
    ]
    .boxed()
}

fn case() -> BoxedStrategy<Case> {
    let text = prop_oneof![4 => good_query(), 4 => query(), 1 => noise()];
    (text, params())
        .prop_map(|(query, params)| Case { query, params })
        .boxed()
}

// ------------------------------------------------------------ the tests

fn fuzz_seconds() -> u64 {
    std::env::var("FLOWQ_FUZZ_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("FLOWQ_FUZZ_SECONDS is a number of seconds")
        })
        .unwrap_or(DEFAULT_SECONDS)
}

#[test]
fn the_pipeline_survives_generated_queries() {
    let seconds = fuzz_seconds();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cases = AtomicUsize::new(0);
    let reached: [AtomicUsize; 3] = Default::default();
    let strategy = case();
    loop {
        // Batches, so the time budget is kept; each batch draws a fresh
        // random seed, and a failure is shrunk to a small case.
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |case| {
            cases.fetch_add(1, Ordering::Relaxed);
            let outcome = run_guarded(&case).map_err(TestCaseError::fail)?;
            reached[outcome as usize].fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        if let Err(failure) = result {
            panic!(
                "{failure}\nadd the minimal case to tests/fuzz/queries/ (docs/language.md, \"Fuzzing\")"
            );
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    let reached: Vec<usize> = reached.iter().map(|r| r.load(Ordering::Relaxed)).collect();
    eprintln!(
        "fuzz: {} cases in {seconds} s (FLOWQ_FUZZ_SECONDS): {} parse errors, {} check errors, {} ran",
        cases.load(Ordering::Relaxed),
        reached[0],
        reached[1],
        reached[2]
    );
    // Proptest shrinks failures, not coverage: say when the generators
    // stop reaching a stage (a whole batch runs even at 0 s).
    assert!(
        reached.iter().all(|&n| n > 0),
        "a stage no case reached: {reached:?}"
    );
}

/// Every place a value stands, with every kind of parameter value: each
/// pair runs on every test run, not only when the generator draws it.
#[test]
fn every_parameter_value_in_every_place() {
    const PLACES: &[&str] = &[
        "src $p last 1h",
        "host {10.0.0.1, $p} last 1h",
        "dport $p last 1h",
        "port {22, $p} last 1h",
        "proto $p last 1h",
        "flags $p last 1h",
        "vpc $p last 1h",
        "bytes > $p last 1h",
        "dstport = $p last 1h",
        "dstport != $p last 1h",
        "start < $p last 1h",
        "duration >= $p last 1h",
        "srcaddr = $p last 1h",
        "sublocation-id = $p last 1h",
        "last $p",
        "since $p",
        "until $p",
        "between $p and 2026-11-27T03:00:00Z",
        "on $p",
        "last 1h | limit $p",
        "last 1h | top $p srcaddr",
    ];
    let mut failures = Vec::new();
    for place in PLACES {
        for value in PARAM_VALUES {
            let case = Case {
                query: place.to_string(),
                params: vec![("p".into(), value.to_string())],
            };
            if let Err(e) = run_guarded(&case) {
                failures.push(format!("{case:?}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Reads a corpus file: `# param: name=value` lines, then the query (the
/// whole file: the language ignores `#` comments).
fn corpus_case(text: &str) -> Case {
    let params = text
        .lines()
        .map_while(|l| l.strip_prefix("# param: "))
        .map(|p| {
            let (name, value) = p.split_once('=').expect("# param: name=value");
            (name.to_string(), value.to_string())
        })
        .collect();
    Case {
        query: text.to_string(),
        params,
    }
}

/// The cases fuzzing found (and the shapes of issue 10), on every run.
#[test]
fn every_corpus_case_runs_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/queries");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "flowq"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{} corpus files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let case = corpus_case(&std::fs::read_to_string(file).unwrap());
        if let Err(e) = run_guarded(&case) {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The harness can fail: a case that panics, one that overruns its time,
/// and an error outside the text are each reported, not passed.
#[test]
fn the_property_catches_what_it_promises_to() {
    let panicked = guarded(|| -> Result<(), String> { panic!("boom") }, CASE_BUDGET).unwrap_err();
    assert_eq!(panicked, "panicked: boom");
    let slow = guarded(
        || {
            std::thread::sleep(Duration::from_millis(500));
            Ok(())
        },
        Duration::from_millis(50),
    );
    assert_eq!(slow.unwrap_err(), "took more than 50ms");
    assert!(guarded(|| Err::<(), _>("broken".into()), CASE_BUDGET).is_err());
    assert!(guarded(|| Ok(()), CASE_BUDGET).is_ok());
    assert!(located(&[], "x").is_err());
    let outside = Diagnostic::error(flowq::lang::ast::Span::new(2, 9), "bad");
    assert!(located(&[outside], "abc").is_err());
    let inside = Diagnostic::error(flowq::lang::ast::Span::new(1, 3), "bad");
    assert!(located(&[inside], "abc").is_ok());
    let split = Diagnostic::error(flowq::lang::ast::Span::new(1, 2), "bad");
    assert!(located(&[split], "é").is_err());
}
