//! Following a started query: polling GetQueryExecution until the query
//! ends, enforcing `--max-scan`, then streaming its result pages.

use std::time::Duration;

use aws_sdk_athena::types::QueryExecutionState;

use super::connect::Athena;
use super::results;
use super::settings::RunOptions;
use super::summary::{ApiError, Halt, QueryError, Summary};
use crate::engine::output::RowSink;
use crate::engine::shape::Progress;

/// How a followed query ended, when it ended by itself.
pub(super) enum Ending {
    Succeeded,
    Failed {
        reason: Option<String>,
        error: Option<QueryError>,
    },
}

/// What is known about the query so far.
pub(super) struct Tracker<'p> {
    id: String,
    pub progress: &'p Progress,
    /// Retries already passed on to `progress` as notes.
    retries_noted: usize,
    state: QueryExecutionState,
    scanned: u64,
    engine_time: Option<Duration>,
    reused: bool,
    pub rows: u64,
}

impl<'p> Tracker<'p> {
    pub fn new(id: String, progress: &'p Progress, retries_noted: usize) -> Tracker<'p> {
        Tracker {
            id,
            progress,
            retries_noted,
            state: QueryExecutionState::Queued,
            scanned: 0,
            engine_time: None,
            reused: false,
            rows: 0,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The query reached a state it does not leave: FAILED is terminal,
    /// while RUNNING can go back to QUEUED (reference §4.6).
    pub fn ended(&self) -> bool {
        matches!(
            self.state,
            QueryExecutionState::Succeeded
                | QueryExecutionState::Failed
                | QueryExecutionState::Cancelled
        )
    }

    pub fn summary(&self, retries: Vec<String>) -> Summary {
        Summary {
            query_id: self.id.clone(),
            state: self.state.as_str().to_string(),
            rows: self.rows,
            data_scanned_bytes: self.scanned,
            engine_time: self.engine_time,
            reused: self.reused,
            retries,
        }
    }
}

/// Polls until the query ends, then writes its rows into `sink`.
pub(super) async fn follow(
    athena: &Athena,
    tracker: &mut Tracker<'_>,
    options: &RunOptions,
    sink: &mut dyn RowSink,
) -> Result<Ending, Halt> {
    let mut interval = options.poll.initial;
    loop {
        let ending = refresh(athena, tracker).await.map_err(Halt::Api)?;
        if let Some(ending) = ending {
            match ending {
                Ending::Succeeded => break,
                failed => return Ok(failed),
            }
        }
        if let Some(limit) = options.max_scan_bytes {
            if tracker.scanned > limit {
                return Err(Halt::ScanLimit(limit));
            }
        }
        tokio::time::sleep(interval).await;
        interval = options.poll.next(interval);
    }
    // The rows may go to the same terminal as the progress line.
    tracker.progress.finish();
    results::stream(athena, &tracker.id, sink, &mut tracker.rows).await?;
    Ok(Ending::Succeeded)
}

/// One GetQueryExecution: updates the tracker, and says how the query
/// ended if it has.
pub(super) async fn refresh(
    athena: &Athena,
    tracker: &mut Tracker<'_>,
) -> Result<Option<Ending>, ApiError> {
    let response = athena
        .client()
        .get_query_execution()
        .query_execution_id(&tracker.id)
        .send()
        .await
        .map_err(|e| ApiError::new("GetQueryExecution", e))?;
    let execution = response.query_execution();
    let status = execution.and_then(|e| e.status());
    if let Some(state) = status.and_then(|s| s.state()) {
        tracker.state = state.clone();
    }
    if let Some(statistics) = execution.and_then(|e| e.statistics()) {
        if let Some(bytes) = statistics.data_scanned_in_bytes() {
            tracker.scanned = u64::try_from(bytes).unwrap_or(0);
        }
        if let Some(millis) = statistics.engine_execution_time_in_millis() {
            tracker.engine_time = u64::try_from(millis).ok().map(Duration::from_millis);
        }
        tracker.reused = statistics
            .result_reuse_information()
            .is_some_and(|r| r.reused_previous_result());
    }
    tracker
        .progress
        .set_state(tracker.state.as_str(), tracker.scanned);
    let retries = athena.retries().since(tracker.retries_noted);
    tracker.retries_noted += retries.len();
    for retry in retries {
        tracker.progress.note(format!("retrying {retry}"));
    }
    Ok(match tracker.state {
        QueryExecutionState::Succeeded => Some(Ending::Succeeded),
        QueryExecutionState::Failed | QueryExecutionState::Cancelled => Some(Ending::Failed {
            reason: status
                .and_then(|s| s.state_change_reason())
                .map(str::to_string),
            error: status.and_then(|s| s.athena_error()).map(|e| QueryError {
                category: e.error_category(),
                error_type: e.error_type(),
                message: e.error_message().map(str::to_string),
            }),
        }),
        _ => None,
    })
}
