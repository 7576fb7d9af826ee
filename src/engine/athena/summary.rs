//! What the user is told after a run: the summary line, the estimated
//! cost, and every way a run can fail.

use std::fmt;
use std::time::Duration;

use aws_sdk_athena::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::engine::shape::RunReport;
use crate::units::format_bytes;

/// How a finished (or stopped) query went.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub query_id: String,
    /// The last state Athena reported: SUCCEEDED, FAILED, CANCELLED, or
    /// QUEUED/RUNNING when it was stopped before it said more.
    pub state: String,
    /// Rows written to the output.
    pub rows: u64,
    pub data_scanned_bytes: u64,
    pub engine_time: Option<Duration>,
    /// Athena answered from a previous query's result (`--reuse`).
    pub reused: bool,
    /// Calls the SDK retried after a throttling or transient error.
    pub retries: Vec<String>,
}

/// $5 per TB scanned (reference §4.4).
pub const DOLLARS_PER_TB: f64 = 5.0;
/// Athena bills whole megabytes, at least 10 of them per query (§4.4).
pub const BILLING_UNIT_BYTES: u64 = 1_000_000;
pub const MINIMUM_BILLED_BYTES: u64 = 10 * BILLING_UNIT_BYTES;

/// The bytes Athena bills for a scan: rounded up to the megabyte, with the
/// 10 MB minimum. A result reused from an earlier query scans nothing and
/// is billed nothing.
///
/// Units are decimal (1 MB = 10^6 bytes, 1 TB = 10^12), as the pricing
/// page's "TB" is read here; if AWS counts 2^40 bytes to the TB the real
/// charge is about 9% lower than this estimate, never higher.
pub fn billed_bytes(scanned: u64, reused: bool) -> u64 {
    if reused && scanned == 0 {
        return 0;
    }
    scanned
        .div_ceil(BILLING_UNIT_BYTES)
        .saturating_mul(BILLING_UNIT_BYTES)
        .max(MINIMUM_BILLED_BYTES)
}

pub fn estimated_cost(scanned: u64, reused: bool) -> f64 {
    billed_bytes(scanned, reused) as f64 / 1e12 * DOLLARS_PER_TB
}

/// Dollars with the digits that matter: `$0.00005`, `$0.0062`, `$12.50`.
pub fn format_dollars(dollars: f64) -> String {
    if dollars == 0.0 {
        return "$0".into();
    }
    if dollars >= 0.01 {
        return format!("${dollars:.2}");
    }
    // Two significant digits: an estimate has no more.
    let decimals = (1 - dollars.log10().floor() as i32).max(2) as usize;
    let text = format!("{dollars:.decimals$}");
    format!("${}", text.trim_end_matches('0'))
}

impl Summary {
    pub fn estimated_cost(&self) -> f64 {
        estimated_cost(self.data_scanned_bytes, self.reused)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(&super::engine::report(self)))
    }
}

/// One line, e.g. `athena query 1b2c… SUCCEEDED: 42 rows, 1.23 GB
/// scanned (est. $0.0062 at $5/TB, 10 MB minimum), engine time 3.4s`.
/// Failed queries are not billed for their scan (reference §4.4 names
/// succeeded and cancelled ones), so their report carries no cost.
pub fn describe(report: &RunReport) -> String {
    let mut text = format!(
        "athena query {} {}: {} row{}, {} scanned",
        report.query_id.as_deref().unwrap_or("-"),
        report.state.as_deref().unwrap_or("-"),
        report.rows,
        if report.rows == 1 { "" } else { "s" },
        format_bytes(report.bytes_scanned)
    );
    if let Some(dollars) = report.cost_dollars {
        text += &format!(
            " (est. {} at $5/TB, 10 MB minimum)",
            format_dollars(dollars)
        );
    }
    if let Some(time) = report.engine_time {
        text += &format!(", engine time {:.1}s", time.as_secs_f64());
    }
    if report.reused {
        text += ", reused a previous result";
    }
    if !report.retries.is_empty() {
        text += &format!(
            "; the SDK retried {} call{}: {}",
            report.retries.len(),
            if report.retries.len() == 1 { "" } else { "s" },
            report.retries.join(", ")
        );
    }
    text
}

/// An Athena API call that failed after the SDK's retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub operation: &'static str,
    /// The service's error code (InvalidRequestException), when it sent one.
    pub code: Option<String>,
    pub message: String,
}

impl ApiError {
    pub fn new<E, R>(operation: &'static str, error: SdkError<E, R>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        match error.as_service_error() {
            Some(service) => ApiError {
                operation,
                code: service.code().map(str::to_string),
                message: service.message().unwrap_or("no message").to_string(),
            },
            // Credentials, network, timeouts: the whole chain of causes.
            None => ApiError::other(operation, DisplayErrorContext(&error).to_string()),
        }
    }

    pub fn other(operation: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            operation,
            code: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Athena {} failed: ", self.operation)?;
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => write!(
                f,
                "{}\n  = help: check the credentials (AWS_PROFILE, `aws sso login`), the region and the network",
                self.message
            ),
        }
    }
}

/// What became of a query that flowq had to abandon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopOutcome {
    /// StopQueryExecution succeeded.
    Stopped,
    /// The query had already ended; nothing to stop.
    NotRunning,
    /// StopQueryExecution failed: the query may still be running.
    Failed(ApiError),
}

/// The error category and type Athena gives a failed query (reference §4.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub category: Option<i32>,
    pub error_type: Option<i32>,
    pub message: Option<String>,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let category = match self.category {
            Some(1) => "1 (system)",
            Some(2) => "2 (user)",
            Some(3) => "3 (other)",
            _ => "unknown",
        };
        write!(f, "category {category}")?;
        if let Some(error_type) = self.error_type {
            write!(f, ", type {error_type}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum AthenaError {
    /// Refused before anything was sent (exit 2).
    Refused(String),
    /// An API call failed; `query` is set when a query had been started,
    /// with what became of it.
    Api {
        error: ApiError,
        query: Option<Box<(Summary, StopOutcome)>>,
    },
    /// The query ended FAILED or CANCELLED.
    QueryFailed {
        summary: Box<Summary>,
        reason: Option<String>,
        error: Option<QueryError>,
    },
    /// flowq stopped the query when its scan passed `--max-scan`.
    ScanLimit {
        summary: Box<Summary>,
        limit: u64,
        stop: StopOutcome,
    },
    /// Ctrl-C (exit 130).
    Interrupted {
        summary: Box<Summary>,
        stop: StopOutcome,
    },
    /// Writing the rows failed.
    Output(std::io::Error),
}

impl AthenaError {
    /// The CLI's exit code: 1 a query or call failed, 2 refused, 130
    /// interrupted.
    pub fn exit_code(&self) -> u8 {
        match self {
            AthenaError::Refused(_) => 2,
            AthenaError::Interrupted { .. } => 130,
            _ => 1,
        }
    }
}

impl fmt::Display for AthenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AthenaError::Refused(message) => write!(f, "flowq: error: {message}"),
            AthenaError::Api { error, query } => {
                write!(f, "flowq: error: {error}")?;
                if let Some(query) = query {
                    let (summary, stop) = query.as_ref();
                    write!(f, "\nflowq: {summary}")?;
                    write_stop(f, &summary.query_id, stop)?;
                }
                Ok(())
            }
            AthenaError::QueryFailed {
                summary,
                reason,
                error,
            } => {
                write!(f, "flowq: {summary}")?;
                write!(
                    f,
                    "\nflowq: error: the query {}: {}",
                    summary.state.to_lowercase(),
                    reason.as_deref().unwrap_or("Athena gave no reason")
                )?;
                if let Some(error) = error {
                    write!(f, "\n  = athena error: {error}")?;
                }
                Ok(())
            }
            AthenaError::ScanLimit {
                summary,
                limit,
                stop,
            } => {
                write!(
                    f,
                    "flowq: error: the query scanned {}, past --max-scan {}",
                    format_bytes(summary.data_scanned_bytes),
                    format_bytes(*limit)
                )?;
                write_stop(f, &summary.query_id, stop)?;
                write!(f, "\nflowq: {summary}")
            }
            AthenaError::Interrupted { summary, stop } => {
                write!(f, "flowq: interrupted")?;
                write_stop(f, &summary.query_id, stop)?;
                write!(f, "\nflowq: {summary}")
            }
            AthenaError::Output(error) => write!(f, "flowq: error: cannot write the rows: {error}"),
        }
    }
}

fn write_stop(f: &mut fmt::Formatter<'_>, id: &str, stop: &StopOutcome) -> fmt::Result {
    match stop {
        StopOutcome::Stopped => write!(f, "; stopped query {id} (StopQueryExecution)"),
        StopOutcome::NotRunning => Ok(()),
        StopOutcome::Failed(error) => write!(
            f,
            "\nflowq: warning: query {id} may still be running and billing: {error}\n  = help: aws athena stop-query-execution --query-execution-id {id}"
        ),
    }
}

/// Why flowq stopped following a query that may still be running.
pub(super) enum Halt {
    Interrupted,
    ScanLimit(u64),
    Api(ApiError),
    Output(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_are_billed_by_the_megabyte_with_a_ten_megabyte_minimum() {
        assert_eq!(billed_bytes(0, false), 10_000_000);
        assert_eq!(billed_bytes(1, false), 10_000_000);
        assert_eq!(billed_bytes(10_000_001, false), 11_000_000);
        assert_eq!(billed_bytes(2_000_000_000_000, false), 2_000_000_000_000);
        assert_eq!(billed_bytes(0, true), 0);
        // 10 MB at $5 per 10^12 bytes.
        assert_eq!(format_dollars(estimated_cost(0, false)), "$0.00005");
        assert_eq!(
            format_dollars(estimated_cost(1_234_500_000, false)),
            "$0.0062"
        );
        assert_eq!(
            format_dollars(estimated_cost(2_500_000_000_000, false)),
            "$12.50"
        );
        assert_eq!(format_dollars(estimated_cost(0, true)), "$0");
    }

    #[test]
    fn the_summary_says_rows_scan_cost_time_reuse_and_retries() {
        let mut summary = Summary {
            query_id: "q-1".into(),
            state: "SUCCEEDED".into(),
            rows: 1,
            data_scanned_bytes: 1_234_567,
            engine_time: Some(Duration::from_millis(1300)),
            reused: false,
            retries: vec!["GetQueryExecution after ThrottlingException".into()],
        };
        assert_eq!(
            summary.to_string(),
            "athena query q-1 SUCCEEDED: 1 row, 1.23 MB scanned (est. $0.00005 at $5/TB, 10 MB minimum), engine time 1.3s; the SDK retried 1 call: GetQueryExecution after ThrottlingException"
        );
        summary.state = "FAILED".into();
        summary.retries.clear();
        summary.reused = true;
        assert_eq!(
            summary.to_string(),
            "athena query q-1 FAILED: 1 row, 1.23 MB scanned, engine time 1.3s, reused a previous result"
        );
    }
}
