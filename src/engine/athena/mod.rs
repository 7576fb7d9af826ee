//! Running compiled queries on Amazon Athena (engine v3), and publishing
//! saved searches as Athena named queries.
//!
//! [`run`] starts a query, follows it until it ends, streams its rows into
//! an [`output::RowSink`](crate::engine::output::RowSink) page by page, and returns
//! a [`Summary`] (rows, data scanned, estimated cost). It never leaves a
//! query running behind it: Ctrl-C, `--max-scan` and errors while the query
//! runs all end in StopQueryExecution, because an orphaned query keeps
//! scanning, and billing, until Athena's timeout (reference §4.3, §4.4).
//!
//! Module map: [`connect`] builds the client (credentials, region, endpoint,
//! retry notices); `follow` polls; [`results`] turns result pages into
//! cells; [`summary`] is what the user is told afterwards; [`publish`]
//! creates named queries.

pub mod connect;
mod engine;
mod follow;
pub mod publish;
pub mod results;
pub mod settings;
pub mod summary;

use std::time::Duration;

use aws_sdk_athena::types::{
    QueryExecutionContext, ResultConfiguration, ResultReuseByAgeConfiguration,
    ResultReuseConfiguration,
};

pub use connect::Athena;
pub use engine::AthenaEngine;
pub use publish::{publish, NamedQuery, PublishReport};
pub use settings::{AthenaTarget, Backoff, RunOptions};
pub use summary::{AthenaError, Summary};

use crate::engine::aws::Interrupt;
use crate::engine::output::RowSink;
use crate::engine::shape::Progress;
use follow::{Ending, Tracker};
use summary::{Halt, StopOutcome};

pub use crate::sql::render::MAX_QUERY_BYTES;

/// The longest result reuse Athena accepts: 10080 minutes, 7 days
/// (reference §4.6).
pub const MAX_REUSE_MINUTES: u64 = 10_080;

/// Runs `sql` on Athena and writes its rows into `sink`.
///
/// Errors say what happened to the query: [`AthenaError::exit_code`] maps
/// them to the CLI's exit codes (1 failed, 2 refused, 130 interrupted).
pub async fn run(
    athena: &Athena,
    target: &AthenaTarget,
    sql: &str,
    options: &RunOptions,
    sink: &mut dyn RowSink,
    progress: &Progress,
) -> Result<Summary, AthenaError> {
    let reuse = reuse_minutes(options.reuse_max_age)?;
    refuse_before_start(sql, options)?;
    // Listen before starting, so a Ctrl-C that arrives while
    // StartQueryExecution is in flight still stops the query it started.
    let mut interrupt = Interrupt::listen()
        .map_err(|e| AthenaError::Refused(format!("cannot listen for Ctrl-C: {e}")))?;
    let retries_before = athena.retries().len();
    let id = start(athena, target, sql, reuse).await?;
    let mut tracker = Tracker::new(id, progress, retries_before);
    let outcome = tokio::select! {
        biased;
        _ = interrupt.recv() => Err(Halt::Interrupted),
        ending = follow::follow(athena, &mut tracker, options, sink) => ending,
    };
    progress.finish();
    let retries = athena.retries().since(retries_before);
    match outcome {
        Ok(Ending::Succeeded) => Ok(tracker.summary(retries)),
        // The reader of the rows went away (`| head`): a normal end.
        Err(Halt::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(tracker.summary(retries))
        }
        Ok(Ending::Failed { reason, error }) => Err(AthenaError::QueryFailed {
            summary: Box::new(tracker.summary(retries)),
            reason,
            error,
        }),
        Err(halt) => {
            // A second Ctrl-C gives up on stopping, and says so.
            let stop = tokio::select! {
                biased;
                _ = interrupt.recv() => StopOutcome::Failed(summary::ApiError::other(
                    "StopQueryExecution",
                    "interrupted again before Athena answered",
                )),
                stop = stop_if_running(athena, &mut tracker) => stop,
            };
            let summary = Box::new(tracker.summary(retries));
            Err(match halt {
                Halt::Interrupted => AthenaError::Interrupted { summary, stop },
                Halt::ScanLimit(limit) => AthenaError::ScanLimit {
                    summary,
                    limit,
                    stop,
                },
                Halt::Api(error) => AthenaError::Api {
                    error,
                    query: Some(Box::new((*summary, stop))),
                },
                Halt::Output(error) => AthenaError::Output(error),
            })
        }
    }
}

/// Checks made before anything is sent, so a refused query costs nothing.
fn refuse_before_start(sql: &str, options: &RunOptions) -> Result<(), AthenaError> {
    if sql.len() > MAX_QUERY_BYTES {
        return Err(AthenaError::Refused(format!(
            "the SQL is {} bytes, over Athena's limit of {MAX_QUERY_BYTES} (reference §4.3)\n  = help: narrow the query: fewer addresses or ports in its sets",
            sql.len()
        )));
    }
    if options.max_scan_bytes.is_some() && !options.has_partition_predicate {
        return Err(AthenaError::Refused(
            "--max-scan: the query has no partition predicate, so it would read every partition before the limit could stop it\n  = help: give the query a window with a start, like 'last 24h'"
                .into(),
        ));
    }
    Ok(())
}

/// `--reuse` as Athena takes it: whole minutes from 1 to 10080.
pub fn reuse_minutes(age: Option<Duration>) -> Result<Option<i32>, AthenaError> {
    let Some(age) = age else { return Ok(None) };
    let seconds = age.as_secs();
    if seconds % 60 != 0 || age.subsec_nanos() != 0 {
        return Err(AthenaError::Refused(format!(
            "--reuse: Athena reuses results by whole minutes, and {seconds}s is not one\n  = help: write e.g. --reuse 60m"
        )));
    }
    let minutes = seconds / 60;
    if !(1..=MAX_REUSE_MINUTES).contains(&minutes) {
        return Err(AthenaError::Refused(format!(
            "--reuse: {minutes} minutes is outside Athena's range of 1 minute to 7 days ({MAX_REUSE_MINUTES} minutes)"
        )));
    }
    Ok(Some(minutes as i32))
}

async fn start(
    athena: &Athena,
    target: &AthenaTarget,
    sql: &str,
    reuse_minutes: Option<i32>,
) -> Result<String, AthenaError> {
    let context = QueryExecutionContext::builder()
        .database(&target.database)
        .set_catalog(target.catalog.clone())
        .build();
    let results = target.output_location.as_ref().map(|location| {
        ResultConfiguration::builder()
            .output_location(location)
            .build()
    });
    let reuse = reuse_minutes.map(|minutes| {
        ResultReuseConfiguration::builder()
            .result_reuse_by_age_configuration(
                ResultReuseByAgeConfiguration::builder()
                    .enabled(true)
                    .max_age_in_minutes(minutes)
                    .build(),
            )
            .build()
    });
    let started = athena
        .client()
        .start_query_execution()
        .query_string(sql)
        .work_group(&target.workgroup)
        .query_execution_context(context)
        .set_result_configuration(results)
        .set_result_reuse_configuration(reuse)
        // The SDK retries with the same token, so a retried start whose
        // first attempt did reach Athena does not start (and bill) a
        // second query (reference §4.6).
        .client_request_token(connect::request_token())
        .send()
        .await
        .map_err(|e| AthenaError::Api {
            error: summary::ApiError::new("StartQueryExecution", e),
            query: None,
        })?;
    started
        .query_execution_id()
        .map(str::to_string)
        .ok_or_else(|| AthenaError::Api {
            error: summary::ApiError::other(
                "StartQueryExecution",
                "the response had no QueryExecutionId",
            ),
            query: None,
        })
}

/// Stops the query unless it has already ended, then reads its final
/// statistics for the summary (a stopped query is billed for what it
/// scanned, reference §4.4).
async fn stop_if_running(athena: &Athena, tracker: &mut Tracker<'_>) -> StopOutcome {
    if tracker.ended() {
        return StopOutcome::NotRunning;
    }
    let stopped = athena
        .client()
        .stop_query_execution()
        .query_execution_id(tracker.id())
        .send()
        .await;
    match stopped {
        Ok(_) => {
            // Best effort: the summary falls back to the last poll.
            let _ = follow::refresh(athena, tracker).await;
            StopOutcome::Stopped
        }
        Err(e) => StopOutcome::Failed(summary::ApiError::new("StopQueryExecution", e)),
    }
}

/// Why `--reuse` cannot help this query, if it cannot: Athena does not
/// reuse the result of a LIMIT without ORDER BY, which is
/// non-deterministic (reference §4.6).
pub fn reuse_warning(query: &crate::lang::ir::CheckedQuery) -> Option<String> {
    let output = &query.output;
    (output.limit.is_some() && output.order.is_empty()).then(|| {
        "Athena does not reuse the result of a LIMIT without ORDER BY, and this query has one; sort it (| sort start desc) for --reuse to apply".to_string()
    })
}

/// What `run` would do, without calling AWS: the settings, the window and
/// the SQL, as SQL comments above the statement. Refuses what `run` would.
pub fn dry_run(
    target: &AthenaTarget,
    query: &crate::lang::ir::CheckedQuery,
    sql: &str,
    options: &RunOptions,
) -> Result<String, AthenaError> {
    let reuse = reuse_minutes(options.reuse_max_age)?;
    refuse_before_start(sql, options)?;
    let window = &query.window;
    let or_default = |value: &Option<String>, default: &str| {
        value.clone().unwrap_or_else(|| default.to_string())
    };
    let mut text = String::from("-- dry run: nothing was sent to Athena\n");
    text += &format!(
        "-- window: {}{}\n",
        crate::sql::explain::span(window.start, window.end),
        if window.is_default {
            " (the default)"
        } else {
            ""
        }
    );
    text += &format!(
        "-- workgroup: {}, database: {}, catalog: {}, results: {}\n",
        target.workgroup,
        target.database,
        or_default(&target.catalog, "AwsDataCatalog"),
        or_default(&target.output_location, "the workgroup's location"),
    );
    text += &format!(
        "-- region: {}, profile: {}\n",
        or_default(&target.region, "from the environment"),
        or_default(&target.profile, "from the environment"),
    );
    if let Some(minutes) = reuse {
        text += &format!("-- reuse results up to {minutes} minutes old\n");
        if let Some(warning) = reuse_warning(query) {
            text += &format!("-- warning: {warning}\n");
        }
    }
    if let Some(limit) = options.max_scan_bytes {
        text += &format!(
            "-- stop past {} scanned\n",
            crate::units::format_bytes(limit)
        );
    }
    text += sql;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Connects with the default credential chain and runs one query, on a
/// runtime of its own: the entry point for the command line.
pub fn run_blocking(
    target: &AthenaTarget,
    sql: &str,
    options: &RunOptions,
    sink: &mut dyn RowSink,
    progress: &Progress,
) -> Result<Summary, AthenaError> {
    // Refuse before connecting: a refusal should not wait on credentials.
    reuse_minutes(options.reuse_max_age)?;
    refuse_before_start(sql, options)?;
    runtime()?.block_on(async {
        let athena = Athena::connect(target).await?;
        run(&athena, target, sql, options, sink, progress).await
    })
}

/// A single-threaded runtime: a run is one request at a time, and the
/// signal and timer drivers are all it needs.
pub fn runtime() -> Result<tokio::runtime::Runtime, AthenaError> {
    crate::engine::aws::runtime().map_err(AthenaError::Refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_takes_whole_minutes_within_athenas_range() {
        assert_eq!(reuse_minutes(None).unwrap(), None);
        assert_eq!(
            reuse_minutes(Some(Duration::from_secs(3600))).unwrap(),
            Some(60)
        );
        assert_eq!(
            reuse_minutes(Some(Duration::from_secs(7 * 86_400))).unwrap(),
            Some(10_080)
        );
        for bad in [0, 90, 7 * 86_400 + 60] {
            let err = reuse_minutes(Some(Duration::from_secs(bad))).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}s: {err}");
        }
    }

    #[test]
    fn max_scan_needs_a_partition_predicate_and_sql_must_fit() {
        let mut options = RunOptions {
            max_scan_bytes: Some(1 << 30),
            ..RunOptions::default()
        };
        let err = refuse_before_start("SELECT 1", &options).unwrap_err();
        assert!(err.to_string().contains("no partition predicate"), "{err}");
        options.has_partition_predicate = true;
        assert!(refuse_before_start("SELECT 1", &options).is_ok());
        let long = "x".repeat(MAX_QUERY_BYTES + 1);
        let err = refuse_before_start(&long, &options).unwrap_err();
        assert!(err.to_string().contains("262144"), "{err}");
    }

    #[test]
    fn polling_backs_off_by_half_up_to_the_cap() {
        let poll = Backoff::default();
        let mut interval = poll.initial;
        let mut seen = vec![interval.as_millis()];
        for _ in 0..7 {
            interval = poll.next(interval);
            seen.push(interval.as_millis());
        }
        assert_eq!(seen, [200, 300, 450, 675, 1012, 1518, 2000, 2000]);
    }
}
