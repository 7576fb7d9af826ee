//! The Athena runner against an in-process stand-in that speaks Athena's
//! wire protocol (HTTP/1.1, awsJson1_1, the operation in X-Amz-Target), for
//! what moto cannot produce: result pages, FAILED queries with an
//! AthenaError, throttling, a scan growing past --max-scan, Ctrl-C. Each
//! test has its own stub on its own port, so they run in parallel.
//!
//! The stub answers from a script (operation, how many times it was called
//! before -> reply) and records every request, so a test can check what
//! flowq sent as well as what it printed.

mod common;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowq::engine::athena::{self, Athena, AthenaTarget, NamedQuery, RunOptions};
use flowq::engine::output::Format;
use flowq::json::json_string;

// ------------------------------------------------------------------ stub

#[derive(Clone, Debug)]
struct Call {
    /// The operation, from `X-Amz-Target: AmazonAthena.<Operation>`.
    op: String,
    body: String,
}

struct Reply {
    status: u16,
    body: String,
}

fn ok(body: impl Into<String>) -> Reply {
    Reply {
        status: 200,
        body: body.into(),
    }
}

/// An error as awsJson1_1 carries it: the code in `__type`.
fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply {
        status,
        body: format!(
            r#"{{"__type":"{code}","message":{}}}"#,
            json_string(message)
        ),
    }
}

type Script = Box<dyn FnMut(&Call, usize) -> Reply + Send>;

struct Stub {
    url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Stub {
    /// Serves `script(call, n)`, where `n` counts the earlier calls of the
    /// same operation.
    fn start(script: impl FnMut(&Call, usize) -> Reply + Send + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<Script>> = Arc::new(Mutex::new(Box::new(script)));
        let recorded = Arc::clone(&calls);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (calls, script) = (Arc::clone(&recorded), Arc::clone(&script));
                std::thread::spawn(move || serve(stream, &calls, &script));
            }
        });
        Stub { url, calls }
    }

    fn calls(&self, op: &str) -> Vec<Call> {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.iter().filter(|c| c.op == op).cloned().collect()
    }

    fn all_calls(&self) -> usize {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// One keep-alive connection: requests framed by Content-Length.
fn serve(stream: TcpStream, calls: &Mutex<Vec<Call>>, script: &Mutex<Script>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = common::read_stub_request(&mut reader) {
        let op = request.header("x-amz-target").unwrap_or("");
        let call = Call {
            op: op.trim_start_matches("AmazonAthena.").into(),
            body: String::from_utf8(request.body).unwrap(),
        };
        let earlier = {
            let mut calls = calls.lock().unwrap_or_else(|e| e.into_inner());
            let earlier = calls.iter().filter(|c| c.op == call.op).count();
            calls.push(call.clone());
            earlier
        };
        // The call is on record before its reply, which may take its time.
        let reply = script.lock().unwrap_or_else(|e| e.into_inner())(&call, earlier);
        let response = format!(
            "HTTP/1.1 {} Stub\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{}",
            reply.status,
            reply.body.len(),
            reply.body
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A string field of a request body, as the SDK writes it (compact JSON).
fn field(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("\"{name}\":\""))? + name.len() + 4;
    let end = start + body[start..].find('"')?;
    Some(body[start..end].to_string())
}

// ------------------------------------------------------------------ replies

const ID: &str = "q-1";

fn started() -> Reply {
    ok(format!(r#"{{"QueryExecutionId":"{ID}"}}"#))
}

/// A GetQueryExecution reply.
fn execution(state: &str, scanned: u64) -> Reply {
    execution_with(state, scanned, "", false)
}

fn execution_with(state: &str, scanned: u64, status_extra: &str, reused: bool) -> Reply {
    ok(format!(
        r#"{{"QueryExecution":{{"QueryExecutionId":"{ID}","Query":"SELECT 1","Status":{{"State":"{state}"{status_extra}}},"Statistics":{{"DataScannedInBytes":{scanned},"EngineExecutionTimeInMillis":2400,"ResultReuseInformation":{{"ReusedPreviousResult":{reused}}}}}}}}}"#
    ))
}

/// A GetQueryResults page; `None` values are NULLs (no VarCharValue).
fn page(columns: &[(&str, &str)], rows: &[Vec<Option<&str>>], next: Option<&str>) -> Reply {
    let columns: Vec<String> = columns
        .iter()
        .map(|(name, kind)| format!(r#"{{"Name":"{name}","Label":"{name}","Type":"{kind}"}}"#))
        .collect();
    let rows: Vec<String> = rows
        .iter()
        .map(|row| {
            let data: Vec<String> = row
                .iter()
                .map(|value| match value {
                    Some(v) => format!(r#"{{"VarCharValue":{}}}"#, json_string(v)),
                    None => "{}".into(),
                })
                .collect();
            format!(r#"{{"Data":[{}]}}"#, data.join(","))
        })
        .collect();
    let next = next.map_or(String::new(), |t| format!(r#","NextToken":"{t}""#));
    ok(format!(
        r#"{{"ResultSet":{{"ResultSetMetadata":{{"ColumnInfo":[{}]}},"Rows":[{}]}}{next}}}"#,
        columns.join(","),
        rows.join(",")
    ))
}

fn unexpected(call: &Call) -> Reply {
    error(
        400,
        "InvalidRequestException",
        &format!("stub: unexpected {}", call.op),
    )
}

// ------------------------------------------------------------------ flowq

const NOW: &str = "2026-11-27T03:00:00Z";
const QUERY: &str = "reject last 1h | count by srcaddr, dstport";

fn flowq(stub: &Stub, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    common::aws_stand_in_env(&mut command, &stub.url);
    let config = if args.contains(&"--catalog") {
        common::athena_config("stub-catalog", &["catalog: flowcat"])
    } else {
        common::athena_config("stub", &[])
    };
    let args: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--catalog" && *a != "flowcat")
        .collect();
    command
        .arg("--config")
        .arg(config)
        .args(["run", "--now", NOW])
        .args(args)
        .stdin(Stdio::null());
    command
}

fn run_flowq(stub: &Stub, args: &[&str]) -> (Output, String, String) {
    let output = flowq(stub, args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

fn spawn_flowq(stub: &Stub, args: &[&str]) -> std::process::Child {
    flowq(stub, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// flowq stopped query q-1, once.
fn assert_stopped_once(stub: &Stub) {
    let stops = stub.calls("StopQueryExecution");
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(
        field(&stops[0].body, "QueryExecutionId").as_deref(),
        Some(ID)
    );
}

/// The library on the stub: a client with static credentials and quick
/// retries.
fn connect(stub: &Stub) -> (tokio::runtime::Runtime, Athena) {
    use aws_sdk_athena::config::retry::RetryConfig;
    use aws_sdk_athena::config::Credentials;
    let runtime = athena::runtime().unwrap();
    let target = AthenaTarget {
        region: Some("us-east-1".into()),
        ..AthenaTarget::default()
    };
    let loader = athena::connect::config_loader(&target)
        .endpoint_url(&stub.url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5)));
    let client = runtime.block_on(Athena::connect_with(loader)).unwrap();
    (runtime, client)
}

fn quick() -> RunOptions {
    RunOptions {
        poll: athena::Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
        },
        has_partition_predicate: true,
        ..RunOptions::default()
    }
}

// ------------------------------------------------------------------ tests

const COLUMNS: &[(&str, &str)] = &[
    ("srcaddr", "varchar"),
    ("dstport", "integer"),
    ("flows", "bigint"),
    ("share", "double"),
];

/// Wider than a terminal, with a comma, quotes, a tab and non-ASCII.
fn wide() -> String {
    format!("{}, \"quoted\"\tand ünïcode", "x".repeat(100))
}

/// Three pages: the header and two rows; a NULL row and a wide value; the
/// last row. The query goes back from RUNNING to QUEUED on the way.
fn paging_stub() -> Stub {
    let states = ["QUEUED", "RUNNING", "QUEUED", "RUNNING", "SUCCEEDED"];
    Stub::start(move |call, n| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution(states[n.min(states.len() - 1)], 12_345_678),
        "GetQueryResults" => match field(&call.body, "NextToken").as_deref() {
            None => page(
                COLUMNS,
                &[
                    vec![
                        Some("srcaddr"),
                        Some("dstport"),
                        Some("flows"),
                        Some("share"),
                    ],
                    vec![Some("10.0.0.1"), Some("22"), Some("1500"), Some("0.25")],
                    vec![Some("10.0.0.2"), Some("3389"), Some("7"), Some("1.0")],
                ],
                Some("page-2"),
            ),
            Some("page-2") => page(
                COLUMNS,
                &[
                    vec![None, None, None, None],
                    vec![Some(&wide()), Some("443"), Some("-3"), Some("1e-7")],
                ],
                Some("page-3"),
            ),
            _ => page(
                COLUMNS,
                &[vec![
                    Some(""),
                    Some("0"),
                    Some("9223372036854775807"),
                    Some("NaN"),
                ]],
                None,
            ),
        },
        _ => unexpected(call),
    })
}

#[test]
fn rows_arrive_page_by_page_in_every_format() {
    let wide = wide();
    let padded_wide = wide.replace('\t', " ");
    let w = padded_wide.chars().count();
    let expected = [
        (
            Format::Table,
            // Names left-aligned over their columns; numbers right-aligned
            // beneath; the tab of the wide value made a space.
            [
                format!("{:w$}  dstport  {:19}  share", "srcaddr", "flows"),
                format!("{}  -------  {}  ---------", "-".repeat(w), "-".repeat(19)),
                format!("{:w$}  {:>7}  {:>19}  {:>9}", "10.0.0.1", 22, 1500, "0.25"),
                format!("{:w$}  {:>7}  {:>19}  {:>9}", "10.0.0.2", 3389, 7, "1.0"),
                format!("{:w$}  {:>7}  {:>19}  {:>9}", "NULL", "NULL", "NULL", "NULL"),
                format!("{padded_wide}  {:>7}  {:>19}  0.0000001", 443, -3),
                format!("{:w$}  {:>7}  {:>19}  {:>9}", "", 0, i64::MAX, "NaN"),
            ]
            .map(|line| line + "\n")
            .concat(),
        ),
        (
            Format::Csv,
            format!(
                "srcaddr,dstport,flows,share\r\n10.0.0.1,22,1500,0.25\r\n10.0.0.2,3389,7,1.0\r\n,,,\r\n\"{}\",443,-3,0.0000001\r\n,0,9223372036854775807,NaN\r\n",
                wide.replace('"', "\"\"")
            ),
        ),
        (
            Format::Json,
            format!(
                "[\n{{\"srcaddr\":\"10.0.0.1\",\"dstport\":22,\"flows\":1500,\"share\":0.25}},\n{{\"srcaddr\":\"10.0.0.2\",\"dstport\":3389,\"flows\":7,\"share\":1.0}},\n{{\"srcaddr\":null,\"dstport\":null,\"flows\":null,\"share\":null}},\n{{\"srcaddr\":{},\"dstport\":443,\"flows\":-3,\"share\":0.0000001}},\n{{\"srcaddr\":\"\",\"dstport\":0,\"flows\":9223372036854775807,\"share\":null}}\n]\n",
                json_string(&wide)
            ),
        ),
        (
            Format::Jsonl,
            format!(
                "{{\"srcaddr\":\"10.0.0.1\",\"dstport\":22,\"flows\":1500,\"share\":0.25}}\n{{\"srcaddr\":\"10.0.0.2\",\"dstport\":3389,\"flows\":7,\"share\":1.0}}\n{{\"srcaddr\":null,\"dstport\":null,\"flows\":null,\"share\":null}}\n{{\"srcaddr\":{},\"dstport\":443,\"flows\":-3,\"share\":0.0000001}}\n{{\"srcaddr\":\"\",\"dstport\":0,\"flows\":9223372036854775807,\"share\":null}}\n",
                json_string(&wide)
            ),
        ),
    ];
    for (format, want) in expected {
        let stub = paging_stub();
        let (runtime, client) = connect(&stub);
        let mut buffer = Vec::new();
        let summary = {
            let mut sink = flowq::engine::output::sink(format, Box::new(&mut buffer));
            runtime
                .block_on(athena::run(
                    &client,
                    &AthenaTarget::default(),
                    "SELECT 1",
                    &quick(),
                    sink.as_mut(),
                    &flowq::engine::Progress::default(),
                ))
                .unwrap()
        };
        assert_eq!(String::from_utf8(buffer).unwrap(), want, "{format:?}");
        assert_eq!(summary.rows, 5);
        assert_eq!(summary.state, "SUCCEEDED");
        assert_eq!(summary.data_scanned_bytes, 12_345_678);
        // QUEUED after RUNNING did not end the wait.
        assert_eq!(stub.calls("GetQueryExecution").len(), 5);
        let pages = stub.calls("GetQueryResults");
        let tokens: Vec<Option<String>> =
            pages.iter().map(|c| field(&c.body, "NextToken")).collect();
        assert_eq!(tokens, [None, Some("page-2".into()), Some("page-3".into())]);
        assert!(pages
            .iter()
            .all(|c| c.body.contains(r#""MaxResults":1000"#)));
    }
}

#[test]
fn the_output_file_is_written_only_when_the_query_succeeds() {
    let dir = std::env::temp_dir().join(format!("flowq-athena-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rows.csv");
    std::fs::write(&file, "earlier rows\n").unwrap();
    let path = file.to_str().unwrap();

    let failing = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution_with(
            "FAILED",
            0,
            r#","StateChangeReason":"TABLE_NOT_FOUND""#,
            false,
        ),
        _ => unexpected(call),
    });
    let (output, _, _) = run_flowq(&failing, &["--format", "csv", "--output", path, QUERY]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "earlier rows\n");

    let paging = paging_stub();
    let (output, stdout, stderr) =
        run_flowq(&paging, &["--format", "csv", "--output", path, QUERY]);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, "");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("srcaddr,dstport,flows,share\r\n10.0.0.1,22,1500,0.25\r\n"));
    assert_eq!(written.lines().count(), 6, "{written}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn off_a_terminal_stderr_carries_only_the_summary() {
    let stub = paging_stub();
    let (output, _, stderr) = run_flowq(&stub, &["--format", "jsonl", QUERY]);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr,
        "flowq: athena query q-1 SUCCEEDED: 5 rows, 12.35 MB scanned (est. $0.000065 at $5/TB, 10 MB minimum), engine time 2.4s\n"
    );
}

#[test]
fn a_failed_query_reports_its_reason_and_athena_error() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution_with(
            "FAILED",
            2048,
            r#","StateChangeReason":"COLUMN_NOT_FOUND: line 3:8: Column 'flow_direction' cannot be resolved","AthenaError":{"ErrorCategory":2,"ErrorType":1006,"Retryable":false,"ErrorMessage":"Column 'flow_direction' cannot be resolved"}"#,
            false,
        ),
        _ => unexpected(call),
    });
    let (output, stdout, stderr) = run_flowq(&stub, &[QUERY]);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "flowq: athena query q-1 FAILED: 0 rows, 2.05 KB scanned, engine time 2.4s\n\
         flowq: error: the query failed: COLUMN_NOT_FOUND: line 3:8: Column 'flow_direction' cannot be resolved\n  \
         = athena error: category 2 (user), type 1006: Column 'flow_direction' cannot be resolved\n"
    );
    assert!(stub.calls("StopQueryExecution").is_empty());
    assert!(stub.calls("GetQueryResults").is_empty());
}

#[test]
fn a_query_cancelled_by_the_workgroup_limit_exits_1_with_the_reason() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution_with(
            "CANCELLED",
            10_000_000_000,
            r#","StateChangeReason":"Query cancelled: the bytes scanned limit was exceeded""#,
            false,
        ),
        _ => unexpected(call),
    });
    let (output, _, stderr) = run_flowq(&stub, &[QUERY]);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("CANCELLED: 0 rows, 10.00 GB scanned (est. $0.05 at $5/TB"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("the query cancelled: Query cancelled: the bytes scanned limit was exceeded"),
        "{stderr}"
    );
}

#[test]
fn throttled_and_transient_calls_are_retried_with_the_same_request_token() {
    let stub = Stub::start(|call, n| match (call.op.as_str(), n) {
        ("StartQueryExecution", 0) => error(400, "ThrottlingException", "Rate exceeded"),
        ("StartQueryExecution", _) => started(),
        ("GetQueryExecution", 0) => error(500, "InternalServerException", "try again"),
        ("GetQueryExecution", _) => execution("SUCCEEDED", 0),
        ("GetQueryResults", _) => page(COLUMNS, &[], None),
        _ => unexpected(call),
    });
    let (output, _, stderr) = run_flowq(&stub, &[QUERY]);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.ends_with("; the SDK retried 2 calls: StartQueryExecution after ThrottlingException, GetQueryExecution after InternalServerException\n"),
        "{stderr}"
    );
    let starts = stub.calls("StartQueryExecution");
    assert_eq!(starts.len(), 2);
    let tokens: Vec<String> = starts
        .iter()
        .map(|c| field(&c.body, "ClientRequestToken").unwrap())
        .collect();
    assert!(tokens[0].len() >= 32, "{}", tokens[0]);
    assert_eq!(
        tokens[0], tokens[1],
        "a retried start must not start a second query"
    );
}

/// A run whose polls are denied once the query has started, and whose
/// StopQueryExecution gets `stop`: exit 1 and stderr.
fn denied_while_running(stop: fn() -> Reply) -> (Stub, String) {
    let stub = Stub::start(move |call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => error(400, "AccessDeniedException", "not authorized"),
        "StopQueryExecution" => stop(),
        _ => unexpected(call),
    });
    let (output, _, stderr) = run_flowq(&stub, &[QUERY]);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    (stub, stderr)
}

#[test]
fn an_error_while_the_query_runs_stops_it() {
    let (stub, stderr) = denied_while_running(|| ok("{}"));
    assert!(
        stderr.starts_with("flowq: error[E006]: Athena GetQueryExecution failed: AccessDeniedException: not authorized\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("; stopped query q-1 (StopQueryExecution)"),
        "{stderr}"
    );
    assert_stopped_once(&stub);
}

#[test]
fn a_failed_stop_says_the_query_may_still_be_running() {
    let (_, stderr) =
        denied_while_running(|| error(400, "AccessDeniedException", "no stopping either"));
    assert!(
        stderr.contains("warning: query q-1 may still be running and billing: Athena StopQueryExecution failed: AccessDeniedException: no stopping either"),
        "{stderr}"
    );
    assert!(
        stderr.contains("aws athena stop-query-execution --query-execution-id q-1"),
        "{stderr}"
    );
}

#[test]
fn max_scan_stops_a_query_whose_scan_passes_the_limit() {
    let stub = Stub::start(|call, n| match call.op.as_str() {
        "StartQueryExecution" => started(),
        // Growing by 40 MB a poll; the fifth poll follows the stop.
        "GetQueryExecution" if n < 4 => execution("RUNNING", 40_000_000 * n as u64),
        "GetQueryExecution" => execution("CANCELLED", 120_000_000),
        "StopQueryExecution" => ok("{}"),
        _ => unexpected(call),
    });
    let (output, stdout, stderr) = run_flowq(&stub, &["--max-scan", "100M", QUERY]);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with(
            "flowq: error[E006]: the query scanned 120.00 MB, past --max-scan 100.00 MB; stopped query q-1 (StopQueryExecution)\n"
        ),
        "{stderr}"
    );
    // The final state is read after the stop, for the bill.
    assert!(
        stderr.contains("q-1 CANCELLED: 0 rows, 120.00 MB scanned (est. $0.0006"),
        "{stderr}"
    );
    assert_stopped_once(&stub);
    assert_eq!(stub.calls("GetQueryExecution").len(), 5);
    assert!(stub.calls("GetQueryResults").is_empty());
}

#[test]
fn max_scan_refuses_a_query_that_reads_every_partition() {
    let stub = Stub::start(unexpected_any);
    let (output, _, stderr) = run_flowq(
        &stub,
        &[
            "--max-scan",
            "1G",
            "--allow-full-scan",
            "reject until 2026-11-27",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no partition predicate"), "{stderr}");
    assert_eq!(stub.all_calls(), 0, "nothing may be sent");
}

fn unexpected_any(call: &Call, _: usize) -> Reply {
    unexpected(call)
}

#[test]
fn reuse_and_catalog_reach_start_query_execution() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution_with("SUCCEEDED", 0, "", true),
        "GetQueryResults" => page(COLUMNS, &[], None),
        _ => unexpected(call),
    });
    let (output, _, stderr) = run_flowq(
        &stub,
        &[
            "--reuse",
            "2h",
            "--catalog",
            "flowcat",
            "--quiet",
            "--timings",
            QUERY,
        ],
    );
    assert!(output.status.success(), "{stderr}");
    // Athena's time is its own: --timings says so rather than print zeros.
    assert!(
        stderr.ends_with("flowq: timings: only the local engine times its phases; the summary above has the whole run's time\n"),
        "{stderr}"
    );
    let start = &stub.calls("StartQueryExecution")[0].body;
    assert!(
        start.contains(
            r#""ResultReuseConfiguration":{"ResultReuseByAgeConfiguration":{"Enabled":true,"MaxAgeInMinutes":120}}"#
        ),
        "{start}"
    );
    assert_eq!(field(start, "Catalog").as_deref(), Some("flowcat"));
    assert_eq!(field(start, "WorkGroup").as_deref(), Some("primary"));
    assert!(
        !start.contains("ResultConfiguration\":{\"OutputLocation"),
        "{start}"
    );
    assert!(
        stderr.contains("0 B scanned (est. $0 at $5/TB, 10 MB minimum), engine time 2.4s, reused a previous result"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_running_query_and_exits_130() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution("RUNNING", 5_000_000),
        "StopQueryExecution" => ok("{}"),
        _ => unexpected(call),
    });
    let child = spawn_flowq(&stub, &[QUERY]);
    wait_for_call(&stub, "GetQueryExecution");
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.starts_with("flowq: interrupted; stopped query q-1 (StopQueryExecution)\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("q-1 RUNNING: 0 rows, 5.00 MB scanned"),
        "{stderr}"
    );
    assert_stopped_once(&stub);
}

#[cfg(unix)]
fn interrupt(child: &std::process::Child) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

#[cfg(unix)]
fn wait_for_call(stub: &Stub, op: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while stub.calls(op).is_empty() {
        assert!(Instant::now() < deadline, "flowq never called {op}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_gives_up_on_a_slow_stop_and_says_so() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => started(),
        "GetQueryExecution" => execution("RUNNING", 0),
        "StopQueryExecution" => {
            std::thread::sleep(Duration::from_secs(20));
            ok("{}")
        }
        _ => unexpected(call),
    });
    let child = spawn_flowq(&stub, &[QUERY]);
    wait_for_call(&stub, "GetQueryExecution");
    interrupt(&child);
    wait_for_call(&stub, "StopQueryExecution");
    let asked = Instant::now();
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "the second Ctrl-C waited for the stop"
    );
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("warning: query q-1 may still be running and billing: Athena StopQueryExecution failed: interrupted again before Athena answered"),
        "{stderr}"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let stub = paging_stub();
    let mut child = spawn_flowq(&stub, &["--format", "csv", QUERY]);
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("flowq: athena query q-1 SUCCEEDED: "),
        "{stderr}"
    );
}

#[test]
fn an_api_error_at_start_exits_1_and_names_the_call() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "StartQueryExecution" => error(
            400,
            "InvalidRequestException",
            "WorkGroup nope is not found",
        ),
        _ => unexpected(call),
    });
    let (output, _, stderr) = run_flowq(&stub, &["--workgroup", "nope", QUERY]);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "flowq: error[E006]: Athena StartQueryExecution failed: InvalidRequestException: WorkGroup nope is not found\n"
    );
}

// ------------------------------------------------------------------ publish

fn named(name: &str, sql: &str) -> NamedQuery {
    NamedQuery {
        name: name.into(),
        description: Some(format!("{name}, from flowq")),
        sql: sql.into(),
    }
}

#[test]
fn publish_creates_what_is_missing_and_skips_what_is_there() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "ListNamedQueries" => match field(&call.body, "NextToken") {
            None => ok(r#"{"NamedQueryIds":["n-1","n-2"],"NextToken":"more"}"#),
            Some(_) => ok(r#"{"NamedQueryIds":["n-3"]}"#),
        },
        "BatchGetNamedQuery" => ok(r#"{"NamedQueries":[
                {"Name":"rejected-ssh","Database":"flowlogs","QueryString":"SELECT 22","NamedQueryId":"n-1"},
                {"Name":"top-talkers","Database":"flowlogs","QueryString":"SELECT old","NamedQueryId":"n-2"},
                {"Name":"someone-elses","Database":"other","QueryString":"SELECT 0","NamedQueryId":"n-3"}
            ],"UnprocessedNamedQueryIds":[]}"#),
        "CreateNamedQuery" => ok(r#"{"NamedQueryId":"n-new"}"#),
        _ => unexpected(call),
    });
    let (runtime, client) = connect(&stub);
    let report = runtime
        .block_on(athena::publish(
            &client,
            "flowq",
            "flowlogs",
            &[
                named("rejected-ssh", "SELECT 22"),
                named("top-talkers", "SELECT new"),
                named("port-scans", "SELECT 'scan'"),
            ],
        ))
        .unwrap();
    assert_eq!(report.created, ["port-scans"]);
    let skipped: Vec<(&str, bool)> = report
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.differs))
        .collect();
    assert_eq!(skipped, [("rejected-ssh", false), ("top-talkers", true)]);
    assert!(report.failed.is_empty());

    let lists = stub.calls("ListNamedQueries");
    assert_eq!(lists.len(), 2);
    assert!(lists
        .iter()
        .all(|c| field(&c.body, "WorkGroup").as_deref() == Some("flowq")));
    let batch = &stub.calls("BatchGetNamedQuery")[0].body;
    assert!(batch.contains(r#"["n-1","n-2","n-3"]"#), "{batch}");
    let creates = stub.calls("CreateNamedQuery");
    assert_eq!(creates.len(), 1);
    let create = &creates[0].body;
    assert_eq!(field(create, "Name").as_deref(), Some("port-scans"));
    assert_eq!(field(create, "Database").as_deref(), Some("flowlogs"));
    assert_eq!(field(create, "WorkGroup").as_deref(), Some("flowq"));
    assert_eq!(
        field(create, "Description").as_deref(),
        Some("port-scans, from flowq")
    );
    assert!(
        create.contains(r#""QueryString":"SELECT 'scan'""#),
        "{create}"
    );
}

#[test]
fn publish_creates_nothing_when_a_named_query_cannot_be_read() {
    let stub = Stub::start(|call, _| match call.op.as_str() {
        "ListNamedQueries" => ok(r#"{"NamedQueryIds":["n-1"]}"#),
        "BatchGetNamedQuery" => ok(
            r#"{"NamedQueries":[],"UnprocessedNamedQueryIds":[{"NamedQueryId":"n-1","ErrorCode":"INTERNAL_FAILURE","ErrorMessage":"try later"}]}"#,
        ),
        _ => unexpected(call),
    });
    let (runtime, client) = connect(&stub);
    let error = runtime
        .block_on(athena::publish(
            &client,
            "flowq",
            "flowlogs",
            &[named("port-scans", "SELECT 1")],
        ))
        .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert!(
        error.to_string().contains(
            "could not read named query n-1: INTERNAL_FAILURE: try later; nothing was created"
        ),
        "{error}"
    );
    assert!(stub.calls("CreateNamedQuery").is_empty());
}

#[test]
fn a_failed_create_is_reported_and_the_rest_still_published() {
    let stub = Stub::start(|call, n| match (call.op.as_str(), n) {
        ("ListNamedQueries", _) => ok(r#"{"NamedQueryIds":[]}"#),
        ("CreateNamedQuery", 0) => error(400, "InvalidRequestException", "bad SQL"),
        ("CreateNamedQuery", _) => ok(r#"{"NamedQueryId":"n-2"}"#),
        _ => unexpected(call),
    });
    let (runtime, client) = connect(&stub);
    let report = runtime
        .block_on(athena::publish(
            &client,
            "flowq",
            "flowlogs",
            &[named("first", "SELECT 1"), named("second", "SELECT 2")],
        ))
        .unwrap();
    assert_eq!(report.created, ["second"]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, "first");
    assert_eq!(
        report.failed[0].1.to_string(),
        "Athena CreateNamedQuery failed: InvalidRequestException: bad SQL"
    );
}
