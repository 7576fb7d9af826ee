//! Test cases as query files: `# key: value` comment lines at the top set
//! up the table, the clock and the parameters; the whole file is the query
//! (the language ignores `#` comments).
//!
//! Keys: `now` (RFC 3339, default 2026-11-27T03:00:00Z), `scheme` (default
//! date), `format` (`v2`, `v5` or a `${...}` string; default v5, so every
//! predicate has its field), `lateness`, `account-column`, `region-column`,
//! `param` (`name=value`, repeatable), `list` (`name=entry entry ...`,
//! a named list for `@name`, repeatable) and `lookup` (`name=header;row;row`,
//! the lines of a lookup table's CSV separated by `;`, repeatable).

#![allow(dead_code)]

use flowq::lang::ir::Params;
use flowq::schema::LogFormat;
use flowq::table::{Partitioning, Scheme, Table};

pub const DEFAULT_NOW: &str = "2026-11-27T03:00:00Z";

/// The full v5 custom format: every field of versions 2 to 5.
pub const V5_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}";

pub const V3_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr}";

pub struct Case {
    pub text: String,
    pub table: Table,
    pub now: flowq::time::Time,
    pub params: Params,
}

impl Case {
    pub fn read(text: &str) -> Case {
        let mut table = Table {
            format: LogFormat::parse(V5_FORMAT).unwrap(),
            ..Table::default()
        };
        let mut now = DEFAULT_NOW.to_string();
        let mut params = Params::default();
        let mut lists = flowq::lang::ir::Lists::default();
        let mut lookups = flowq::lang::ir::Lookups::default();
        for line in text.lines() {
            let Some(directive) = line.strip_prefix("# ") else {
                break;
            };
            let Some((key, value)) = directive.split_once(": ") else {
                break;
            };
            match key {
                "now" => now = value.to_string(),
                "scheme" => {
                    let scheme = Scheme::from_name(value).expect("known scheme");
                    let old = std::mem::replace(&mut table.partitioning, Partitioning::new(scheme));
                    table.partitioning.account_column = old.account_column;
                    table.partitioning.region_column = old.region_column;
                }
                "format" => {
                    table.format = match value {
                        "v2" => LogFormat::default_v2(),
                        "v3" => LogFormat::parse(V3_FORMAT).unwrap(),
                        "v5" => LogFormat::parse(V5_FORMAT).unwrap(),
                        other => LogFormat::parse(other).unwrap(),
                    }
                }
                "lateness" => table.lateness = flowq::units::parse_duration(value, true).unwrap(),
                "account-column" => table.partitioning.account_column = Some(value.into()),
                "region-column" => table.partitioning.region_column = Some(value.into()),
                "list" => {
                    // `name=entry entry ...`, read as lists/<name>.txt is.
                    let (name, entries) = value.split_once('=').expect("list name=entries");
                    let text = entries.split_whitespace().collect::<Vec<_>>().join("\n");
                    let (list, problems) = flowq::catalog::lists::parse_txt(&text);
                    assert!(problems.iter().all(|d| !d.is_error()), "{problems:?}");
                    lists.insert(name, list.expect("a list"));
                }
                "lookup" => {
                    // `name=header;row;...`, read as lookups/<name>.csv is.
                    let (name, lines) = value.split_once('=').expect("lookup name=lines");
                    let (table, problems) =
                        flowq::catalog::lookups::parse_csv(&lines.replace(';', "\n"));
                    assert!(problems.iter().all(|d| !d.is_error()), "{problems:?}");
                    lookups.insert(name, table.expect("a lookup table"));
                }
                "param" => {
                    let (name, v) = value.split_once('=').expect("param name=value");
                    params.insert(name, v).expect("a valid param value");
                }
                _ => break,
            }
        }
        params.set_lists(lists);
        params.set_lookups(lookups);
        table.validate().expect("test table is valid");
        Case {
            text: text.to_string(),
            table,
            now: flowq::time::parse_now(&now).unwrap(),
            params,
        }
    }

    pub fn context(&self) -> flowq::lang::check::CheckContext<'_> {
        flowq::lang::check::CheckContext {
            table: &self.table,
            now: self.now,
            params: &self.params,
        }
    }
}

/// Snapshot settings for one corpus: its snapshots live in
/// tests/snapshots/<folder>/ and are named `<test>@<input file>.snap`,
/// without the test file's name (the folder already says which suite).
/// Use as `snapshots_in("compile").bind(|| insta::glob!(...))`.
pub fn snapshots_in(folder: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(format!("snapshots/{folder}"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// True under tests/run and CI, where a missing outside tool (Python
/// checkers, servers) must fail a test instead of skipping it.
pub fn strict() -> bool {
    std::env::var_os("FLOWQ_STRICT").is_some() || std::env::var_os("CI").is_some()
}

/// Points a `flowq` child process at a stand-in Athena endpoint with dummy
/// credentials, and away from anything of the developer's: profiles,
/// config files, instance metadata, a real endpoint.
pub fn aws_stand_in_env(command: &mut std::process::Command, endpoint: &str) {
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_ATHENA",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_EC2",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        command.env_remove(name);
    }
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/flowq-test-aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/flowq-test-aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// moto's address (FLOWQ_MOTO_URL, set by tests/run), or None (and why)
/// when there is none; under tests/run and CI a missing moto fails.
pub fn moto_url() -> Option<String> {
    match std::env::var("FLOWQ_MOTO_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !strict(),
                "FLOWQ_MOTO_URL is not set: tests/run starts moto_server and sets it"
            );
            eprintln!("skipped: no moto (FLOWQ_MOTO_URL unset; tests/run starts one)");
            None
        }
    }
}

/// A flowq.yaml with one Athena source named `athena` (the AWS docs'
/// table: v2 format, `date` partitions), in a folder of its own; `extra`
/// adds source keys (`workgroup: w`, ...). Returns the file's path.
pub fn athena_config(name: &str, extra: &[&str]) -> std::path::PathBuf {
    // A folder per call: tests run in parallel threads, and one rewriting a
    // file another is reading would hand it an empty config.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("flowq-athena-{name}-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = String::from("sources:\n  athena:\n    engine: athena\n");
    for line in extra {
        text.push_str(&format!("    {line}\n"));
    }
    let path = dir.join("flowq.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The Trino server tests/run starts (tests/trino/server.sh): its URL and
/// the folder its `hive` catalog sees as `local:///`.
pub struct TrinoServer {
    pub url: String,
    pub files: std::path::PathBuf,
}

/// The Trino server from FLOWQ_TRINO_URL and FLOWQ_TRINO_FILES, or None
/// (and why) when there is none; under tests/run a missing server fails.
pub fn trino_server() -> Option<TrinoServer> {
    match (
        std::env::var("FLOWQ_TRINO_URL"),
        std::env::var("FLOWQ_TRINO_FILES"),
    ) {
        (Ok(url), Ok(files)) => Some(TrinoServer {
            url,
            files: files.into(),
        }),
        _ => {
            assert!(
                !strict(),
                "FLOWQ_TRINO_URL and FLOWQ_TRINO_FILES are not set: tests/run starts Trino with tests/trino/server.sh"
            );
            eprintln!("skipped: no Trino (FLOWQ_TRINO_URL unset); run tests/trino/server.sh start and export what `tests/trino/server.sh env` prints");
            None
        }
    }
}

/// A client of the test server in `schema` of the `hive` catalog. Athena
/// reads a projected partition without a folder as empty (reference
/// §3.6); Trino fails it unless told otherwise, hence the session property.
pub fn trino_client(server: &TrinoServer, schema: &str) -> flowq::engine::trino::Client {
    flowq::engine::trino::Client::new(flowq::engine::trino::Config {
        server: server.url.clone(),
        user: "flowq-test".into(),
        catalog: Some("hive".into()),
        schema: Some(schema.into()),
        session: vec![("hive.ignore_absent_partitions".into(), "true".into())],
    })
}

/// Every file below `folder`, in path order.
pub fn files_below(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs the `flowq` binary in `dir`, away from any FLOWQ_CONFIG.
pub fn flowq_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(args)
        .current_dir(dir)
        .env_remove("FLOWQ_CONFIG")
        .output()
        .expect("run flowq")
}

/// One HTTP/1.1 request read off a keep-alive connection by a test's
/// stand-in server (tests/*_stub.rs): the request line, the headers, and
/// the body, framed by Content-Length.
pub struct StubRequest {
    pub line: String,
    /// Names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl StubRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The next request of the connection; None when the client closed it.
pub fn read_stub_request(reader: &mut impl std::io::BufRead) -> Option<StubRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("a Content-Length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(StubRequest {
        line,
        headers,
        body,
    })
}
