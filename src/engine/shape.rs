//! The one shape every engine has: a checked query and a row sink in, a
//! [`RunReport`] out. Engines print nothing and pick no exit code; they
//! publish progress through [`Progress`] and say what went wrong with an
//! [`EngineError`], and the command line does the talking.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::engine::output::RowSink;
use crate::lang::ir::CheckedQuery;

/// Something that runs checked queries: the local engine, Athena, Trino.
pub trait Engine {
    /// Runs `query`, writing its rows into `sink` as they come, and
    /// publishing how far it got into `progress`.
    fn run(
        &self,
        query: &CheckedQuery,
        sink: &mut dyn RowSink,
        progress: &Progress,
    ) -> Result<RunReport, EngineError>;

    /// What `run` would do, in words, without doing it (`--dry-run`).
    fn dry_run(&self, query: &CheckedQuery) -> Result<String, EngineError>;
}

/// Which engine a report comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineKind {
    #[default]
    Local,
    Athena,
    Trino,
}

/// What a run did. Fields an engine cannot know stay `None` or zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    pub engine: EngineKind,
    /// Rows written to the sink.
    pub rows: u64,
    /// Bytes the engine read: file sizes on disk for the local engine
    /// (compressed, like Athena's), data scanned for Athena, physical
    /// input for Trino.
    pub bytes_scanned: u64,
    /// Records the engine parsed or processed.
    pub records_read: Option<u64>,
    /// Files the local engine read, pruned, left unread or ignored.
    pub files: Option<FileCounts>,
    /// For a local source in S3: the listing and the requests made.
    pub objects: Option<ObjectCounts>,
    /// Athena's estimated charge in dollars, for queries that are billed.
    pub cost_dollars: Option<f64>,
    pub engine_time: Option<Duration>,
    pub query_id: Option<String>,
    /// The engine's last word on the query's state (SUCCEEDED, ...).
    pub state: Option<String>,
    /// The result came from an earlier identical query (Athena `--reuse`).
    pub reused: bool,
    /// Calls retried after throttling or transient errors.
    pub retries: Vec<String>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Where the local engine's time went (`run --timings`).
    pub phases: Option<Phases>,
    /// The reader of the rows closed them early (`| head`): not an error,
    /// and the counts may be partial.
    pub output_closed: bool,
}

/// Where a local run's wall time went, phase by phase; the phases follow
/// one another, so their sum is nearly the run's time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phases {
    /// Reading the files: inflating, parsing, filtering, and adding each
    /// record to its group.
    pub read: Duration,
    /// Gathering what the workers found and putting it in order: their
    /// groups merged and sorted, or the rows `sort` and `top` kept.
    pub combine: Duration,
    /// Writing the rows into the output.
    pub write: Duration,
}

/// What the local engine did with the files of its source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Files read, wholly or until the limit was reached.
    pub scanned: u64,
    /// Flow-log files pruned without reading: outside the partition range,
    /// or of an account or region the query excludes.
    pub skipped: u64,
    pub bytes_skipped: u64,
    /// Files not read because the rows of earlier files filled the limit.
    pub unread: u64,
    pub bytes_unread: u64,
    /// Files that are not flow logs by name, left alone.
    pub ignored: u64,
    /// Symlinks to files or folders the walk had already seen.
    pub repeats: u64,
    /// Symlinks that lead nowhere.
    pub broken_links: u64,
    /// Parquet row groups read, and skipped unread because their min/max
    /// statistics rule out every row.
    pub row_groups_read: u64,
    pub row_groups_skipped: u64,
}

/// What the local engine did in S3, beside the [`FileCounts`] (where an
/// object counts as a file): what it listed and the requests it made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectCounts {
    /// Objects the listings returned, flow logs or not.
    pub listed: u64,
    /// ListObjectsV2 and GetObject requests sent (retries not counted).
    pub list_requests: u64,
    pub get_requests: u64,
    /// Bytes of the flow-log objects in the partitions listed: what
    /// Athena would scan for the same partitions (at most: it reads only
    /// the needed columns of a Parquet file).
    pub bytes_in_partitions: u64,
    /// Prefixes not listed because they are not a level of the layout
    /// (listing them could mean listing the bucket); the first few names.
    pub prefixes_outside_layout: u64,
    pub outside_examples: Vec<String>,
    /// Requests the SDK retried after throttling or a transient error.
    pub retries: Vec<String>,
}

/// Why a run did not succeed, and how: the command line maps `kind` to an
/// exit code and prints `message` (and `report`, when the query ran).
#[derive(Debug)]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Refused before anything ran: a limit, a setting, a missing source.
    Refused,
    /// The query ran and failed, or its rows could not be written.
    Failed,
    /// Stopped by Ctrl-C; a remote query was cancelled.
    Interrupted,
}

impl EngineError {
    pub fn refused(message: impl Into<String>) -> EngineError {
        EngineError::new(ErrorKind::Refused, message)
    }

    pub fn failed(message: impl Into<String>) -> EngineError {
        EngineError::new(ErrorKind::Failed, message)
    }

    pub fn interrupted(message: impl Into<String>) -> EngineError {
        EngineError::new(ErrorKind::Interrupted, message)
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> EngineError {
        EngineError {
            kind,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> EngineError {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// The SQL of a query for a table, for the engines that take SQL. SQL too
/// long for the engine is refused before anything is sent.
pub fn render_sql(
    query: &CheckedQuery,
    table: &crate::table::Table,
) -> Result<String, EngineError> {
    crate::sql::render::render(query, table).map_err(|e| EngineError::refused(e.to_string()))
}

/// How far a run has got, written by the engine while it runs and read by
/// whoever shows progress. Counters are monotonic; `state` is the remote
/// engine's word for where the query is (QUEUED, RUNNING).
#[derive(Debug, Default)]
pub struct Progress {
    pub files_total: AtomicU64,
    /// The bytes of the files to read, when known before reading.
    pub bytes_total: AtomicU64,
    /// The files are S3 objects (the progress line says so).
    pub objects: AtomicBool,
    pub files_done: AtomicU64,
    pub bytes_done: AtomicU64,
    state: Mutex<Option<String>>,
    /// Things worth saying while the run goes on (a retried call).
    notes: Mutex<Vec<String>>,
    /// Set when the engine has finished reading (rows may still be written).
    pub finished: AtomicBool,
}

impl Progress {
    pub fn set_state(&self, state: &str, bytes: u64) {
        if let Ok(mut current) = self.state.lock() {
            *current = Some(state.to_string());
        }
        self.bytes_done.store(bytes, Ordering::Relaxed);
    }

    /// One more file read, of `bytes` bytes.
    pub fn file_done(&self, bytes: u64) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn state(&self) -> Option<String> {
        self.state.lock().ok().and_then(|s| s.clone())
    }

    pub fn note(&self, note: String) {
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(note);
        }
    }

    /// The notes since the last call.
    pub fn take_notes(&self) -> Vec<String> {
        self.notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    pub fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }

    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }
}
