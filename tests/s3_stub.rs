//! S3 sources against an in-process stand-in that speaks enough of S3's
//! REST protocol (path-style ListObjectsV2 and GetObject) for what moto
//! cannot produce: a throttled GET, an object that is gone between the
//! listing and the GET, a GET that hangs until Ctrl-C. Each test has its
//! own stub on its own port.

mod common;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BUCKET: &str = "flows";
const NOW: &str = "2026-11-27T01:00:00Z";
const QUERY: &str = "last 2h | count by action, dstport | limit 20";

/// What a GET of an object answers instead of its bytes, by the number of
/// earlier GETs of the same key; None serves the object.
type GetScript = Box<dyn Fn(&str, usize) -> Option<Reply> + Send + Sync>;

struct Reply {
    status: u16,
    body: Vec<u8>,
    /// Seconds to wait before answering.
    delay: u64,
}

fn s3_error(status: u16, code: &str) -> Reply {
    Reply {
        status,
        body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>stub: {code}</Message><RequestId>stub</RequestId></Error>").into_bytes(),
        delay: 0,
    }
}

struct Stub {
    url: String,
    /// Every request: method and path with its query.
    requests: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    /// Serves the objects of `files` (key -> bytes) in bucket [`BUCKET`].
    fn start(files: BTreeMap<String, Vec<u8>>, get: GetScript) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new((files, get, Arc::clone(&requests)));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared.0, &shared.1, &shared.2));
            }
        });
        Stub { url, requests }
    }

    /// ListObjectsV2 requests, every page counted.
    fn lists(&self) -> usize {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests
            .iter()
            .filter(|r| r.contains("list-type=2"))
            .count()
    }

    fn gets_of(&self, key: &str) -> usize {
        let wanted = format!("GET /{BUCKET}/{key}");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests
            .iter()
            .filter(|r| r.split('?').next() == Some(&wanted))
            .count()
    }
}

/// One keep-alive connection of GET requests.
fn serve(
    stream: TcpStream,
    files: &BTreeMap<String, Vec<u8>>,
    get: &GetScript,
    requests: &Mutex<Vec<String>>,
) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = common::read_stub_request(&mut reader) {
        let target = request.line.split(' ').nth(1).unwrap_or("/").to_string();
        let earlier = {
            let mut requests = requests.lock().unwrap_or_else(|e| e.into_inner());
            let request = format!("GET {target}");
            let path = request.split('?').next().unwrap().to_string();
            let earlier = requests
                .iter()
                .filter(|r| r.split('?').next() == Some(&path))
                .count();
            requests.push(request);
            earlier
        };
        let reply = answer(&target, files, get, earlier);
        std::thread::sleep(Duration::from_secs(reply.delay));
        let head = format!(
            "HTTP/1.1 {} Stub\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n",
            reply.status,
            reply.body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&reply.body).is_err() {
            return;
        }
    }
}

fn answer(
    target: &str,
    files: &BTreeMap<String, Vec<u8>>,
    get: &GetScript,
    earlier: usize,
) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = decode(path);
    let Some(rest) = path.strip_prefix(&format!("/{BUCKET}")) else {
        return s3_error(404, "NoSuchBucket");
    };
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    if rest.is_empty() || rest == "/" {
        return list(files, &params);
    }
    let key = &rest[1..];
    if let Some(reply) = get(key, earlier) {
        return reply;
    }
    match files.get(key) {
        Some(bytes) => Reply {
            status: 200,
            body: bytes.clone(),
            delay: 0,
        },
        None => s3_error(404, "NoSuchKey"),
    }
}

/// Keys and common prefixes per ListObjectsV2 page: small, so that every
/// listing of a day takes several pages and continuation tokens.
const PAGE: usize = 5;

/// ListObjectsV2 with a prefix and a delimiter, [`PAGE`] entries a page;
/// the continuation token is the index of the page's first entry.
fn list(files: &BTreeMap<String, Vec<u8>>, params: &BTreeMap<String, String>) -> Reply {
    assert_eq!(
        params.get("list-type").map(String::as_str),
        Some("2"),
        "{params:?}"
    );
    let prefix = params.get("prefix").cloned().unwrap_or_default();
    let delimiter = params.get("delimiter").cloned().unwrap_or_default();
    // (key or prefix, Some(size) for an object), in key order.
    let mut entries: Vec<(String, Option<usize>)> = Vec::new();
    for (key, bytes) in files.range(prefix.clone()..) {
        let Some(rest) = key.strip_prefix(&prefix) else {
            break;
        };
        match rest.find(&delimiter).filter(|_| !delimiter.is_empty()) {
            Some(at) => {
                let common = format!("{prefix}{}", &rest[..at + 1]);
                if entries.last().map(|e| &e.0) != Some(&common) {
                    entries.push((common, None));
                }
            }
            None => entries.push((key.clone(), Some(bytes.len()))),
        }
    }
    let start: usize = params
        .get("continuation-token")
        .map_or(0, |t| t.parse().unwrap());
    let end = (start + PAGE).min(entries.len());
    let mut body = String::new();
    for (name, size) in &entries[start..end] {
        body += &match size {
            Some(size) => format!(
                "<Contents><Key>{name}</Key><LastModified>2026-11-27T01:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
            ),
            None => format!("<CommonPrefixes><Prefix>{name}</Prefix></CommonPrefixes>"),
        };
    }
    let more = match end < entries.len() {
        true => format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{end}</NextContinuationToken>"
        ),
        false => "<IsTruncated>false</IsTruncated>".to_string(),
    };
    Reply {
        status: 200,
        body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{BUCKET}</Name><Prefix>{prefix}</Prefix><Delimiter>{delimiter}</Delimiter><MaxKeys>{PAGE}</MaxKeys><KeyCount>{}</KeyCount>{more}{body}</ListBucketResult>", end - start).into_bytes(),
        delay: 0,
    }
}

/// Percent-decoding of a URL's path or query part.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

// ------------------------------------------------------------------ flowq

/// A two-hour sample, its files by key (their path below the folder).
fn sample(name: &str) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let dir = std::env::temp_dir().join(format!("flowq-s3-stub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::new(env!("CARGO_BIN_EXE_flowq"))
        .args(["sample", "--out"])
        .arg(&dir)
        .args([
            "--start",
            "2026-11-26T23:00:00Z",
            "--end",
            "2026-11-27T01:00:00Z",
        ])
        .args(["--flows-per-minute", "10"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let files = common::files_below(&dir)
        .into_iter()
        .map(|file| {
            let key = file
                .strip_prefix(&dir)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            (key, std::fs::read(&file).unwrap())
        })
        .collect();
    (dir, files)
}

fn flowq(endpoint: &str, source: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    common::aws_stand_in_env(&mut command, endpoint);
    command
        .current_dir(std::env::temp_dir())
        .env_remove("FLOWQ_CONFIG")
        // Quick retries: the SDK's backoff is what is under test, not its length.
        .env("AWS_MAX_ATTEMPTS", "3")
        .args([
            "run", "--now", NOW, "--format", "csv", "--source", source, QUERY,
        ])
        .stdin(Stdio::null());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first object the query reads.
fn first_key(files: &BTreeMap<String, Vec<u8>>) -> String {
    files
        .keys()
        .find(|k| k.contains("/2026/11/27/00") || k.contains("20261127T00"))
        .unwrap()
        .clone()
}

fn local_answer(dir: &Path) -> Output {
    let output = flowq("http://127.0.0.1:9", dir.to_str().unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    output
}

#[test]
fn a_throttled_get_is_retried_and_the_answer_is_whole() {
    let (dir, files) = sample("throttled");
    let throttled = first_key(&files);
    let key = throttled.clone();
    let stub = Stub::start(
        files,
        Box::new(move |k, earlier| (k == key && earlier == 0).then(|| s3_error(503, "SlowDown"))),
    );
    let output = flowq(&stub.url, &format!("s3://{BUCKET}/"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stub.gets_of(&throttled),
        2,
        "the throttled GET is sent again"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("; the SDK retried 1 request: GetObject after SlowDown"),
        "{stderr}"
    );
    // The listings took several pages of the stub's five entries each,
    // and the summary counts every page as a LIST request.
    let stderr = text(&output.stderr);
    let lists = stub.lists();
    assert!(lists > 8, "{lists} LISTs: {stderr}");
    assert!(
        stderr.contains(&format!("; {lists} LIST requests and ")),
        "{stderr}"
    );
    let local = local_answer(&dir);
    assert!(text(&local.stdout).lines().count() > 2);
    assert_eq!(text(&output.stdout), text(&local.stdout));
}

#[test]
fn an_object_gone_between_list_and_get_fails_the_query_naming_it() {
    let (_dir, files) = sample("gone");
    let gone = first_key(&files);
    let key = gone.clone();
    let stub = Stub::start(
        files,
        Box::new(move |k, _| (k == key).then(|| s3_error(404, "NoSuchKey"))),
    );
    let output = flowq(&stub.url, &format!("s3://{BUCKET}/"))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "no partial answer: {}",
        text(&output.stdout)
    );
    assert!(
        stderr.contains(&format!(
            "s3://{BUCKET}/{gone}: the object was listed but is gone (NoSuchKey)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("the query stopped rather than answer without this object"),
        "{stderr}"
    );
}

#[test]
fn a_get_that_keeps_failing_fails_the_query_after_the_retries() {
    let (_dir, files) = sample("failing");
    let failing = first_key(&files);
    let key = failing.clone();
    let stub = Stub::start(
        files,
        Box::new(move |k, _| (k == key).then(|| s3_error(500, "InternalError"))),
    );
    let output = flowq(&stub.url, &format!("s3://{BUCKET}/"))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    assert_eq!(stub.gets_of(&failing), 3, "AWS_MAX_ATTEMPTS=3: {stderr}");
    assert!(
        stderr.contains(&format!(
            "s3://{BUCKET}/{failing}: GetObject failed after the SDK's retries: InternalError"
        )),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_the_gets_stops_promptly_and_exits_130() {
    let (_dir, files) = sample("interrupted");
    let slow = first_key(&files);
    let key = slow.clone();
    let stub = Stub::start(
        files,
        Box::new(move |k, _| {
            (k == key).then(|| Reply {
                delay: 60,
                ..s3_error(500, "InternalError")
            })
        }),
    );
    let child = flowq(&stub.url, &format!("s3://{BUCKET}/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while stub.gets_of(&slow) == 0 {
        assert!(Instant::now() < deadline, "flowq never sent the GET");
        std::thread::sleep(Duration::from_millis(20));
    }
    let interrupted = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(
        interrupted.elapsed() < Duration::from_secs(5),
        "{:?}",
        interrupted.elapsed()
    );
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}
