//! A client for Trino's HTTP client protocol: what flowq needs to run one
//! statement and stream its rows into a [`RowSink`].
//!
//! The protocol (<https://trino.io/docs/current/develop/client-protocol.html>):
//! POST the SQL to `/v1/statement`, then GET each `nextUri` until a
//! response has none. Responses carry `columns` (once known), `data` (rows
//! as JSON arrays), `stats`, and on failure `error`. A DELETE on `nextUri`
//! cancels the query. 502, 503 and 504 mean "try again": the client waits
//! and retries the same request.
//!
//! Cancelling matters: a query left running keeps reading (and, on a
//! metered deployment, billing). So the client cancels the query whenever
//! it stops early: when asked to through [`Client::cancel_handle`], and
//! when the sink fails (a closed pipe, a full disk).

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::engine::output::{Cell, ColumnInfo, RowSink, Rows};

/// Where and as whom statements run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The coordinator's base URL, `http://127.0.0.1:8080` or `https://...`.
    pub server: String,
    /// `X-Trino-User`.
    pub user: String,
    pub catalog: Option<String>,
    pub schema: Option<String>,
    /// Session properties, `("hive.ignore_absent_partitions", "true")`.
    pub session: Vec<(String, String)>,
}

/// Retry policy for 502/503/504: the first wait, doubled each time up to
/// the cap, and the total time after which the client gives up.
const RETRY_FIRST_WAIT: Duration = Duration::from_millis(100);
const RETRY_MAX_WAIT: Duration = Duration::from_secs(2);
const RETRY_GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// Trino holds a `nextUri` request for about a second when it has nothing
/// new, so a request taking minutes means the server is stuck.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    config: Config,
    agent: ureq::Agent,
    cancel: Arc<AtomicBool>,
}

/// Trino's own statistics of a finished query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryStats {
    pub query_id: String,
    /// `FINISHED` for a query that ran to the end.
    pub state: String,
    pub processed_rows: u64,
    pub processed_bytes: u64,
    /// Bytes read from storage: what pruning saves, what Athena bills.
    pub physical_input_bytes: u64,
    pub elapsed_time_millis: u64,
    /// Rows handed to the sink.
    pub rows: u64,
    /// `CREATE TABLE`, `INSERT`, ... for statements that are not queries.
    pub update_type: Option<String>,
}

/// A query Trino failed, as its `error` object says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub query_id: String,
    pub message: String,
    /// `SYNTAX_ERROR`, `TABLE_NOT_FOUND`, `HIVE_FILE_NOT_FOUND`, ...
    pub error_name: String,
    /// `USER_ERROR`, `INTERNAL_ERROR`, `INSUFFICIENT_RESOURCES`, `EXTERNAL`.
    pub error_type: String,
    pub error_code: i64,
    /// Line and column in the SQL, 1-based, when the error has a place.
    pub location: Option<(u64, u64)>,
}

#[derive(Debug)]
pub enum Error {
    /// The server could not be reached, or the connection broke.
    Transport { url: String, message: String },
    /// An HTTP status the protocol does not use, with the body's start.
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// A response that is not the protocol's JSON.
    Protocol { url: String, message: String },
    /// Trino ran the statement and failed it.
    Query(Box<QueryError>),
    /// Cancelled through the cancel handle; the server was told.
    Cancelled { query_id: String },
    /// The sink failed; the query was cancelled.
    Output(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport { url, message } => {
                write!(f, "cannot reach Trino at {url}: {message}")
            }
            Error::Status { url, status, body } => {
                write!(f, "Trino answered HTTP {status} for {url}")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            Error::Protocol { url, message } => {
                write!(f, "unexpected answer from Trino at {url}: {message}")
            }
            Error::Query(e) => e.fmt(f),
            Error::Cancelled { query_id } => write!(f, "query {query_id} was cancelled"),
            Error::Output(e) => write!(
                f,
                "writing the results failed ({e}); the query was cancelled"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Trino failed query {} with {} ({})",
            self.query_id, self.error_name, self.error_type
        )?;
        if let Some((line, column)) = self.location {
            write!(f, " at line {line}, column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl Client {
    pub fn new(config: Config) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Statuses are the protocol's business: 503 means retry.
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("flowq/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            config,
            agent,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Setting the flag cancels the running statement at its next page
    /// (a Ctrl-C handler sets it). The client clears it when a statement
    /// starts.
    pub fn cancel_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }

    /// Runs one statement, streaming its rows into the sink: `begin` once
    /// the columns are known, `row` per row, `finish` at the end. A
    /// statement without result columns (DDL) does not touch the sink.
    pub fn execute(&self, sql: &str, sink: &mut dyn RowSink) -> Result<QueryStats, Error> {
        self.cancel.store(false, Ordering::SeqCst);
        let url = format!("{}/v1/statement", self.config.server.trim_end_matches('/'));
        let mut page = self.send(Request::Post { url: &url, sql })?;
        let mut columns: Option<Vec<Column>> = None;
        let mut stats = QueryStats::default();
        loop {
            stats.query_id = text(&page, "id").unwrap_or_default();
            if let Some(error) = page.get("error") {
                return Err(Error::Query(Box::new(query_error(&stats.query_id, error))));
            }
            if columns.is_none() {
                columns = parse_columns(&page, &url)?;
                if let Some(columns) = &columns {
                    let info: Vec<ColumnInfo> = columns.iter().map(|c| c.info.clone()).collect();
                    self.or_cancel(&page, sink.begin(&info))?;
                }
            }
            if let Some(rows) = page.get("data").and_then(Value::as_array) {
                let columns = columns.as_deref().ok_or_else(|| Error::Protocol {
                    url: url.clone(),
                    message: "rows came before their columns".into(),
                })?;
                for row in rows {
                    let cells = cells(row, columns, &url)?;
                    self.or_cancel(&page, sink.row(&cells))?;
                    stats.rows += 1;
                }
            }
            read_stats(&page, &mut stats);
            let Some(next) = text(&page, "nextUri") else {
                break;
            };
            if self.cancel.load(Ordering::SeqCst) {
                self.cancel_at(&next);
                return Err(Error::Cancelled {
                    query_id: stats.query_id,
                });
            }
            page = self.send(Request::Get { url: &next })?;
        }
        if columns.is_some() {
            sink.finish().map_err(Error::Output)?;
        }
        Ok(stats)
    }

    /// Runs a statement and keeps every row: for DDL, tests and small
    /// results.
    pub fn query(&self, sql: &str) -> Result<(Rows, QueryStats), Error> {
        let mut rows = Rows::default();
        let stats = self.execute(sql, &mut rows)?;
        Ok((rows, stats))
    }

    /// Passes a sink's result through, cancelling the query if it failed.
    fn or_cancel(&self, page: &Value, result: io::Result<()>) -> Result<(), Error> {
        result.map_err(|e| {
            if let Some(next) = text(page, "nextUri") {
                self.cancel_at(&next);
            }
            Error::Output(e)
        })
    }

    /// Best effort: the query is being abandoned either way, and the
    /// error that made us abandon it is the one worth reporting.
    fn cancel_at(&self, next_uri: &str) {
        let _ = self.agent.delete(next_uri).call();
    }

    fn send(&self, request: Request) -> Result<Value, Error> {
        let url = request.url().to_string();
        let mut wait = RETRY_FIRST_WAIT;
        let started = std::time::Instant::now();
        loop {
            let result = match request {
                Request::Post { url, sql } => self.with_headers(self.agent.post(url)).send(sql),
                Request::Get { url } => self.agent.get(url).call(),
            };
            let mut response = result.map_err(|e| Error::Transport {
                url: url.clone(),
                message: e.to_string(),
            })?;
            let status = response.status().as_u16();
            if matches!(status, 502..=504) && started.elapsed() < RETRY_GIVE_UP_AFTER {
                std::thread::sleep(wait);
                wait = (wait * 2).min(RETRY_MAX_WAIT);
                continue;
            }
            let reader = response.body_mut().as_reader();
            if status != 200 {
                return Err(Error::Status {
                    url,
                    status,
                    body: body_start(reader),
                });
            }
            return serde_json::from_reader(reader).map_err(|e| Error::Protocol {
                url,
                message: e.to_string(),
            });
        }
    }

    fn with_headers<B>(&self, mut request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let config = &self.config;
        request = request
            .header("X-Trino-User", &config.user)
            .header("X-Trino-Source", "flowq");
        if let Some(catalog) = &config.catalog {
            request = request.header("X-Trino-Catalog", catalog);
        }
        if let Some(schema) = &config.schema {
            request = request.header("X-Trino-Schema", schema);
        }
        for (name, value) in &config.session {
            request = request.header("X-Trino-Session", format!("{name}={}", url_encode(value)));
        }
        request
    }
}

#[derive(Clone, Copy)]
enum Request<'a> {
    Post { url: &'a str, sql: &'a str },
    Get { url: &'a str },
}

impl Request<'_> {
    fn url(&self) -> &str {
        match self {
            Request::Post { url, .. } | Request::Get { url } => url,
        }
    }
}

/// The first kilobyte of an error response, for the message.
fn body_start(reader: impl io::Read) -> String {
    let mut buffer = Vec::new();
    let _ = reader.take(1024).read_to_end(&mut buffer);
    String::from_utf8_lossy(&buffer).trim().to_string()
}

/// Session values are URL-encoded in `X-Trino-Session`.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn read_stats(page: &Value, stats: &mut QueryStats) {
    if let Some(s) = page.get("stats") {
        stats.state = text(s, "state").unwrap_or_default();
        stats.processed_rows = number(s, "processedRows");
        stats.processed_bytes = number(s, "processedBytes");
        stats.physical_input_bytes = number(s, "physicalInputBytes");
        stats.elapsed_time_millis = number(s, "elapsedTimeMillis");
    }
    if let Some(update) = text(page, "updateType") {
        stats.update_type = Some(update);
    }
}

fn query_error(query_id: &str, error: &Value) -> QueryError {
    let location = error.get("errorLocation").and_then(|l| {
        Some((
            l.get("lineNumber")?.as_u64()?,
            l.get("columnNumber")?.as_u64()?,
        ))
    });
    QueryError {
        query_id: query_id.to_string(),
        message: text(error, "message").unwrap_or_else(|| "(no message)".into()),
        error_name: text(error, "errorName").unwrap_or_default(),
        error_type: text(error, "errorType").unwrap_or_default(),
        error_code: error.get("errorCode").and_then(Value::as_i64).unwrap_or(0),
        location,
    }
}

/// A result column and how its JSON values become cells.
#[derive(Clone, Debug)]
struct Column {
    info: ColumnInfo,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Float,
    /// Decimals come as strings; kept exact, but aligned as numbers.
    Decimal,
    /// Everything else: strings, booleans, dates, IP addresses, and
    /// structured values as their JSON text.
    Text,
}

impl Kind {
    /// From a type name such as `bigint`, `varchar(25)`, `decimal(10,2)`.
    fn of(type_name: &str) -> Kind {
        let base = type_name.split('(').next().unwrap_or("").trim();
        match base {
            "tinyint" | "smallint" | "integer" | "bigint" => Kind::Integer,
            "real" | "double" => Kind::Float,
            "decimal" => Kind::Decimal,
            _ => Kind::Text,
        }
    }
}

fn parse_columns(page: &Value, url: &str) -> Result<Option<Vec<Column>>, Error> {
    let Some(columns) = page.get("columns").and_then(Value::as_array) else {
        return Ok(None);
    };
    columns
        .iter()
        .map(|c| {
            let name = text(c, "name");
            let type_name = text(c, "type");
            match (name, type_name) {
                (Some(name), Some(type_name)) => {
                    let kind = Kind::of(&type_name);
                    Ok(Column {
                        info: ColumnInfo {
                            name,
                            numeric: kind != Kind::Text,
                        },
                        kind,
                    })
                }
                _ => Err(Error::Protocol {
                    url: url.to_string(),
                    message: format!("a column without a name or type: {c}"),
                }),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn cells(row: &Value, columns: &[Column], url: &str) -> Result<Vec<Cell>, Error> {
    let values = row
        .as_array()
        .filter(|values| values.len() == columns.len())
        .ok_or_else(|| Error::Protocol {
            url: url.to_string(),
            message: format!(
                "a row that does not fit the {} columns: {row}",
                columns.len()
            ),
        })?;
    Ok(values
        .iter()
        .zip(columns)
        .map(|(v, c)| cell(v, c.kind))
        .collect())
}

fn cell(value: &Value, kind: Kind) -> Cell {
    match (value, kind) {
        (Value::Null, _) => Cell::Null,
        (Value::Number(n), Kind::Integer) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => Cell::Text(n.to_string()),
        },
        (Value::Number(n), Kind::Float) => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
        // Trino writes non-finite doubles as the strings NaN, Infinity.
        (Value::String(s), Kind::Float) => match s.as_str() {
            "NaN" => Cell::Float(f64::NAN),
            "Infinity" => Cell::Float(f64::INFINITY),
            "-Infinity" => Cell::Float(f64::NEG_INFINITY),
            _ => Cell::Text(s.clone()),
        },
        (Value::String(s), _) => Cell::Text(s.clone()),
        (other, _) => Cell::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_become_cells_by_column_type() {
        assert_eq!(cell(&json!(42), Kind::of("bigint")), Cell::Int(42));
        assert_eq!(cell(&json!(2.5), Kind::of("double")), Cell::Float(2.5));
        assert!(matches!(cell(&json!("NaN"), Kind::Float), Cell::Float(f) if f.is_nan()));
        assert_eq!(
            cell(&json!("12.50"), Kind::of("decimal(10,2)")),
            Cell::Text("12.50".into())
        );
        assert_eq!(
            cell(&json!("10.0.0.1"), Kind::of("ipaddress")),
            Cell::Text("10.0.0.1".into())
        );
        assert_eq!(cell(&json!(null), Kind::Integer), Cell::Null);
        assert_eq!(cell(&json!(true), Kind::Text), Cell::Text("true".into()));
        assert_eq!(Kind::of("varchar(25)"), Kind::Text);
    }

    #[test]
    fn errors_keep_name_type_and_place() {
        let error = query_error(
            "q1",
            &json!({"message": "line 2:5: mismatched input", "errorCode": 1,
                    "errorName": "SYNTAX_ERROR", "errorType": "USER_ERROR",
                    "errorLocation": {"lineNumber": 2, "columnNumber": 5}}),
        );
        assert_eq!(
            error.to_string(),
            "Trino failed query q1 with SYNTAX_ERROR (USER_ERROR) at line 2, column 5: line 2:5: mismatched input"
        );
    }

    #[test]
    fn session_values_are_url_encoded() {
        assert_eq!(url_encode("a b,c=d"), "a%20b%2Cc%3Dd");
        assert_eq!(url_encode("true"), "true");
    }
}
