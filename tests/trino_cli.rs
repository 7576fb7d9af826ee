//! `flowq run` and `flowq ddl --engine trino` on an `engine: trino`
//! source, against the real Trino that tests/run starts: the DDL the CLI
//! prints creates the table, and `flowq run` on it gives the rows the
//! local engine gives over the same folder.

mod common;

use common::{flowq_in as flowq, trino_client, trino_server as trino, TrinoServer as Trino};

use std::path::PathBuf;
use std::process::Output;

const NOW: &str = "2026-11-01T02:40:00Z";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A folder with sample data, a flowq.yaml whose `trino` source points at
/// the test server and whose `local` source reads the same files; the
/// table is created from `flowq ddl --engine trino`.
struct Project {
    dir: PathBuf,
    trino: Trino,
    schema: String,
}

impl Project {
    fn new(trino: Trino, name: &str) -> Project {
        let unique = format!("{name}_{}", std::process::id());
        let dir = trino.files.join(&unique);
        let _ = std::fs::remove_dir_all(&dir);
        let options = flowq::sample::Options {
            flows_per_minute: 5,
            seed: 3,
            threads: 1,
            accounts: vec![ACCOUNT.into()],
            regions: vec![REGION.into()],
            ..flowq::sample::Options::new(
                dir.join("data"),
                flowq::time::parse_now("2026-10-31T23:00:00Z")
                    .unwrap()
                    .unix(),
                flowq::time::parse_now("2026-11-01T02:00:00Z")
                    .unwrap()
                    .unix(),
            )
        };
        flowq::sample::generate(&options).unwrap();
        let schema = format!("flowq_{unique}");
        let config = format!(
            "default_source: trino\n\
             sources:\n\
             \x20 trino:\n\
             \x20   engine: trino\n\
             \x20   server: {url}\n\
             \x20   schema: {schema}\n\
             \x20   table: flows\n\
             \x20   user: flowq-cli-test\n\
             \x20   location: local:///{unique}/data/AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/\n\
             \x20   partitioning: {{ scheme: day }}\n\
             \x20   projection: {{ enabled: true, start: 2026/10/01 }}\n\
             \x20 local:\n\
             \x20   engine: local\n\
             \x20   path: data\n",
            url = trino.url
        );
        std::fs::write(dir.join("flowq.yaml"), config).unwrap();
        let project = Project { dir, trino, schema };
        project.sql(&format!("CREATE SCHEMA hive.{}", project.schema));
        project
    }

    fn sql(&self, sql: &str) {
        trino_client(&self.trino, "default")
            .query(sql)
            .unwrap_or_else(|e| panic!("Trino refused\n{sql}\n{e}"));
    }

    fn run(&self, args: &[&str]) -> Output {
        flowq(&self.dir, args)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let client = trino_client(&self.trino, &self.schema);
        let _ = client.query("DROP TABLE IF EXISTS flows");
        let _ = client.query(&format!("DROP SCHEMA IF EXISTS hive.{}", self.schema));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn flowq_run_on_a_trino_source_matches_the_local_engine() {
    let Some(trino) = trino() else { return };
    let project = Project::new(trino, "cli_run");
    let ddl = project.run(&["ddl", "--engine", "trino"]);
    assert!(ddl.status.success(), "{}", text(&ddl.stderr));
    let ddl = text(&ddl.stdout);
    assert!(ddl.contains("partition_projection_enabled = true"), "{ddl}");
    assert!(ddl.ends_with(";\n"), "{ddl}");
    // The statement without the `;` that ends it for a SQL shell.
    project.sql(ddl.trim_end().trim_end_matches(';'));

    let queries = [
        "reject since 2026-10-31T23:30:00Z until 2026-11-01T00:30:00Z | count by dstport",
        "last 2h | top 5 srcaddr",
        "dport 443 on 2026-11-01 | stats sum(bytes) as b, count() as n by action | sort b desc",
        "since 2026-10-31T23:58:00Z until 2026-11-01T00:02:00Z | fields srcaddr, dstaddr, start | sort start, srcaddr | limit 20",
    ];
    for query in queries {
        let args = |source: &'static str| {
            vec![
                "run", "--source", source, "--now", NOW, "--format", "csv", query,
            ]
        };
        let on_trino = project.run(&args("trino"));
        let on_files = project.run(&args("local"));
        assert!(
            on_trino.status.success(),
            "{query}: {}",
            text(&on_trino.stderr)
        );
        assert!(
            on_files.status.success(),
            "{query}: {}",
            text(&on_files.stderr)
        );
        let rows = text(&on_trino.stdout);
        assert_eq!(rows, text(&on_files.stdout), "{query}");
        assert!(
            rows.lines().count() > 2,
            "{query}: too few rows to compare:\n{rows}"
        );
        let summary = text(&on_trino.stderr);
        assert!(
            summary.contains("; Trino read ") && summary.contains(" rows processed) in "),
            "{query}: {summary}"
        );
    }
}

#[test]
fn trino_errors_exit_1_with_trinos_message() {
    let Some(trino) = trino() else { return };
    // No table was created: Trino answers TABLE_NOT_FOUND (or
    // SCHEMA_NOT_FOUND).
    let project = Project::new(trino, "cli_errors");
    let out = project.run(&["run", "--now", NOW, "reject last 1h"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let message = text(&out.stderr);
    assert!(
        message.contains("TABLE_NOT_FOUND") && message.contains("flows"),
        "{message}"
    );
    // A server that is not there.
    let config = std::fs::read_to_string(project.dir.join("flowq.yaml")).unwrap();
    std::fs::write(
        project.dir.join("flowq.yaml"),
        config.replace(&project.trino.url, "http://127.0.0.1:9"),
    )
    .unwrap();
    let out = project.run(&["run", "--now", NOW, "reject last 1h"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot reach Trino at http://127.0.0.1:9"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn missing_location_and_scan_limits_are_refused_before_connecting() {
    let dir = std::env::temp_dir().join(format!("flowq-trino-ddl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("flowq.yaml"),
        "sources:\n  t:\n    engine: trino\n    server: http://127.0.0.1:9\n    partitioning: { scheme: day }\n",
    )
    .unwrap();
    let out = flowq(&dir, &["ddl", "--engine", "trino"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has no 'location'"),
        "{}",
        text(&out.stderr)
    );
    // A scan limit flowq cannot enforce on Trino is refused, not ignored
    // (before connecting: nothing listens on port 9).
    let out = flowq(&dir, &["run", "--max-scan", "1G", "--now", NOW, "last 1h"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot stop at a scan limit"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stand-in coordinator that keeps a query queued forever and records
/// the requests it gets, so that Ctrl-C can be sent mid-query.
#[cfg(unix)]
fn stalling_coordinator() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let next = format!("{url}/v1/statement/queued/q1/1");
    let (seen, requests) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let method = request_line.split(' ').next().unwrap_or("").to_string();
            let _ = seen.send(method.clone());
            let reply = if method == "DELETE" {
                "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_string()
            } else {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let json =
                    format!(r#"{{"id":"q1","nextUri":"{next}","stats":{{"state":"QUEUED"}}}}"#);
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                    json.len()
                )
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, requests)
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_trino_query_and_exits_130() {
    let dir = std::env::temp_dir().join(format!("flowq-trino-ctrl-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, requests) = stalling_coordinator();
    std::fs::write(
        dir.join("flowq.yaml"),
        format!("sources:\n  t:\n    engine: trino\n    server: {url}\n    partitioning: {{ scheme: day }}\n"),
    )
    .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(["run", "--now", NOW, "reject last 1h"])
        .current_dir(&dir)
        .env_remove("FLOWQ_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let wait = std::time::Duration::from_secs(30);
    assert_eq!(requests.recv_timeout(wait).unwrap(), "POST");
    assert_eq!(requests.recv_timeout(wait).unwrap(), "GET");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut cancelled = false;
    while let Ok(method) = requests.recv_timeout(wait) {
        if method == "DELETE" {
            cancelled = true;
            break;
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(cancelled, "no DELETE reached the coordinator");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("q1 was cancelled"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
