//! `flowq run` against moto's Athena in server mode: the real binary, the
//! real SDK, the real wire protocol, no AWS account. tests/run starts moto
//! and exports its address as FLOWQ_MOTO_URL; under tests/run and CI a
//! missing moto fails these tests, a bare `cargo test` skips them saying so.
//!
//! All tests share the one moto, whose state (results queue, transitions,
//! executions) is global: each takes MOTO, then resets it.

mod common;

use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use flowq::engine::athena::{self, Athena, AthenaTarget};

static MOTO: Mutex<()> = Mutex::new(());

const NOW: &str = "2026-11-27T03:00:00Z";
const QUERY: &str = "src 10.0.0.0/8 and reject last 2h | count by srcaddr, dstport";
const WORKGROUP: &str = "flowq-tests";
const DATABASE: &str = "flowlogs";
const OUTPUT_LOCATION: &str = "s3://flowq-results/athena/";

/// moto, reset and locked for this test, or None (skip) outside tests/run.
struct Moto {
    url: String,
    _lock: MutexGuard<'static, ()>,
}

fn moto() -> Option<Moto> {
    let url = common::moto_url()?;
    let lock = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let moto = Moto { url, _lock: lock };
    moto.post("/moto-api/reset", "");
    Some(moto)
}

impl Moto {
    /// A POST to moto's own API; panics unless it answers 2xx.
    fn post(&self, path: &str, json: &str) {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect to moto");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        );
        use std::io::{Read, Write};
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split(' ').nth(1).unwrap_or_default();
        assert!(status.starts_with('2'), "moto {path}: {response}");
    }

    /// Athena's states move one step every `polls` GetQueryExecution calls:
    /// QUEUED, then RUNNING, then SUCCEEDED.
    fn advance_every(&self, polls: u32) {
        self.post(
            "/moto-api/state-manager/set-transition",
            &format!(
                r#"{{"model_name":"athena::execution","transition":{{"progression":"manual","times":{polls}}}}}"#
            ),
        );
    }

    /// The rows the next query returns, header first as Athena sends it.
    fn inject_results(&self) {
        self.post(
            "/moto-api/static/athena/query-results",
            r#"{"region":"us-east-1","results":[{
                "column_info":[{"Name":"srcaddr","Type":"varchar"},{"Name":"dstport","Type":"integer"},{"Name":"flows","Type":"bigint"}],
                "rows":[
                    {"Data":[{"VarCharValue":"srcaddr"},{"VarCharValue":"dstport"},{"VarCharValue":"flows"}]},
                    {"Data":[{"VarCharValue":"10.1.2.3"},{"VarCharValue":"22"},{"VarCharValue":"41"}]},
                    {"Data":[{"VarCharValue":"10.200.0.17"},{"VarCharValue":"3389"},{"VarCharValue":"7"}]},
                    {"Data":[{},{"VarCharValue":"0"},{"VarCharValue":"2"}]}
                ]}]}"#,
        );
    }

    fn client(&self, runtime: &tokio::runtime::Runtime) -> Athena {
        let target = AthenaTarget {
            region: Some("us-east-1".into()),
            ..AthenaTarget::default()
        };
        let loader = athena::connect::config_loader(&target)
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_athena::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ));
        runtime.block_on(Athena::connect_with(loader)).unwrap()
    }

    fn create_workgroup(&self) {
        let runtime = athena::runtime().unwrap();
        let athena = self.client(&runtime);
        runtime
            .block_on(athena.client().create_work_group().name(WORKGROUP).send())
            .unwrap();
    }

    /// Every query moto received in the workgroup, as Athena reports it.
    fn executions(&self) -> Vec<aws_sdk_athena::types::QueryExecution> {
        let runtime = athena::runtime().unwrap();
        let athena = self.client(&runtime);
        runtime.block_on(async {
            let list = athena
                .client()
                .list_query_executions()
                .work_group(WORKGROUP)
                .send()
                .await
                .unwrap();
            let mut executions = Vec::new();
            for id in list.query_execution_ids() {
                let got = athena
                    .client()
                    .get_query_execution()
                    .query_execution_id(id)
                    .send()
                    .await
                    .unwrap();
                executions.push(got.query_execution().unwrap().clone());
            }
            executions
        })
    }
}

fn flowq<S: AsRef<std::ffi::OsStr>>(endpoint: &str, args: &[S]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    common::aws_stand_in_env(&mut command, endpoint);
    command.args(args).output().unwrap()
}

/// The moto tests' source: its workgroup, database and output location.
fn config() -> String {
    let path = common::athena_config(
        "moto",
        &[
            &format!("workgroup: {WORKGROUP}"),
            &format!("database: {DATABASE}"),
            &format!("output_location: {OUTPUT_LOCATION}"),
        ],
    );
    path.display().to_string()
}

fn run_args(format: &str) -> Vec<String> {
    [
        "--config",
        &config(),
        "run",
        "--now",
        NOW,
        "--format",
        format,
        "--query",
        QUERY,
    ]
    .map(String::from)
    .to_vec()
}

fn compiled_sql(endpoint: &str) -> String {
    let output = flowq(
        endpoint,
        &[
            "--config",
            &config(),
            "compile",
            "--now",
            NOW,
            "--query",
            QUERY,
        ],
    );
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn run_prints_the_injected_rows_in_every_format_and_sends_the_compiled_sql() {
    let expected = [
        (
            "table",
            "srcaddr      dstport  flows\n-----------  -------  -----\n10.1.2.3          22     41\n10.200.0.17     3389      7\nNULL               0      2\n",
        ),
        (
            "csv",
            "srcaddr,dstport,flows\r\n10.1.2.3,22,41\r\n10.200.0.17,3389,7\r\n,0,2\r\n",
        ),
        (
            "json",
            "[\n{\"srcaddr\":\"10.1.2.3\",\"dstport\":22,\"flows\":41},\n{\"srcaddr\":\"10.200.0.17\",\"dstport\":3389,\"flows\":7},\n{\"srcaddr\":null,\"dstport\":0,\"flows\":2}\n]\n",
        ),
        (
            "jsonl",
            "{\"srcaddr\":\"10.1.2.3\",\"dstport\":22,\"flows\":41}\n{\"srcaddr\":\"10.200.0.17\",\"dstport\":3389,\"flows\":7}\n{\"srcaddr\":null,\"dstport\":0,\"flows\":2}\n",
        ),
    ];
    for (format, want) in expected {
        let Some(moto) = moto() else { return };
        moto.create_workgroup();
        moto.advance_every(2);
        moto.inject_results();
        let output = flowq(&moto.url, &run_args(format));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{format}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), want, "{format}");
        assert!(
            stderr.contains(" SUCCEEDED: 3 rows, 0 B scanned"),
            "{stderr}"
        );

        let executions = moto.executions();
        assert_eq!(executions.len(), 1, "one query per run");
        let execution = &executions[0];
        assert_eq!(execution.query(), Some(compiled_sql(&moto.url).as_str()));
        assert_eq!(execution.work_group(), Some(WORKGROUP));
        let context = execution.query_execution_context().unwrap();
        assert_eq!(context.database(), Some(DATABASE));
        // moto appends "<id>.csv" to the location, as Athena does.
        let location = execution
            .result_configuration()
            .and_then(|r| r.output_location())
            .unwrap();
        assert!(location.starts_with(OUTPUT_LOCATION), "{location}");
        let state = execution.status().and_then(|s| s.state()).unwrap();
        assert_eq!(state.as_str(), "SUCCEEDED");
    }
}

#[test]
fn the_athena_specific_endpoint_variable_wins_over_the_general_one() {
    let Some(moto) = moto() else { return };
    moto.create_workgroup();
    moto.inject_results();
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    // Nothing listens on port 9: only AWS_ENDPOINT_URL_ATHENA can work.
    common::aws_stand_in_env(&mut command, "http://127.0.0.1:9");
    let output = command
        .env("AWS_ENDPOINT_URL_ATHENA", &moto.url)
        .args(run_args("csv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("srcaddr,dstport,flows\r\n"));
    assert_eq!(moto.executions().len(), 1);
}

#[test]
fn dry_run_prints_the_sql_and_window_and_sends_nothing() {
    let Some(moto) = moto() else { return };
    moto.create_workgroup();
    let mut args = run_args("table");
    args.insert(3, "--dry-run".to_string());
    let output = flowq(&moto.url, &args);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let header = "-- dry run: nothing was sent to Athena\n\
        -- window: [2026-11-27T01:00:00Z, 2026-11-27T03:00:00Z)\n\
        -- workgroup: flowq-tests, database: flowlogs, catalog: AwsDataCatalog, results: s3://flowq-results/athena/\n\
        -- region: from the environment, profile: from the environment\n";
    assert_eq!(stdout, format!("{header}{}", compiled_sql(&moto.url)));
    assert!(
        moto.executions().is_empty(),
        "a dry run must not start a query"
    );
}

#[test]
fn a_missing_workgroup_is_an_api_error_with_exit_1() {
    let Some(moto) = moto() else { return };
    let output = flowq(&moto.url, &run_args("table"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "flowq: error[E006]: Athena StartQueryExecution failed: InvalidRequestException: WorkGroup does not exist\n"
    );
}

#[test]
fn publish_creates_each_search_once_and_leaves_out_required_parameters() {
    let Some(moto) = moto() else { return };
    moto.create_workgroup();
    let config = common::athena_config(
        "publish",
        &[
            &format!("workgroup: {WORKGROUP}"),
            &format!("database: {DATABASE}"),
        ],
    );
    let searches = config.parent().unwrap().join("searches");
    std::fs::create_dir_all(&searches).unwrap();
    std::fs::write(
        searches.join("rejected.yaml"),
        "title: Rejected\ndescription: Rejected flows.\nquery: reject last $window\nparams:\n  window: { type: duration, default: 2h }\ntags: [security]\n",
    )
    .unwrap();
    std::fs::write(
        searches.join("from-address.yaml"),
        "title: From an address\ndescription: Flows from one address.\nquery: src $ip last 1h\nparams:\n  ip: { type: ip }\ntags: [investigation]\n",
    )
    .unwrap();
    let publish = || {
        flowq(
            &moto.url,
            &["--config", config.to_str().unwrap(), "publish"],
        )
    };
    let first = publish();
    let report = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        report,
        "left out from-address: parameter 'ip' has no default\ncreated rejected\n"
    );
    // What moto stored is what flowq compile prints for the search (moto
    // has no BatchGetNamedQuery, so a second publish is the stub's to test).
    let runtime = athena::runtime().unwrap();
    let client = moto.client(&runtime);
    let stored = runtime.block_on(async {
        let list = client
            .client()
            .list_named_queries()
            .work_group(WORKGROUP)
            .send()
            .await
            .unwrap();
        let id = list
            .named_query_ids()
            .first()
            .expect("one named query")
            .clone();
        client
            .client()
            .get_named_query()
            .named_query_id(id)
            .send()
            .await
            .unwrap()
    });
    let stored = stored.named_query().unwrap();
    assert_eq!(stored.name(), "rejected");
    assert_eq!(stored.database(), DATABASE);
    assert_eq!(stored.description(), Some("Rejected: Rejected flows."));
    let compiled = flowq(
        &moto.url,
        &["--config", config.to_str().unwrap(), "compile", "rejected"],
    );
    let compiled = String::from_utf8(compiled.stdout).unwrap();
    // "now" moves between the two commands: compare all but the window.
    let without_times = |sql: &str| {
        sql.lines()
            .filter(|l| {
                !l.contains("\"end\" >=") && !l.contains("\"start\" <") && !l.contains("\"date\"")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_times(stored.query_string()),
        without_times(&compiled)
    );
}
