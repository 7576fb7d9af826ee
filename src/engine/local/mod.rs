//! The local engine: runs a checked query directly over flow-log files on
//! disk, laid out like the S3 bucket, with exactly the semantics of the SQL
//! that src/sql.rs emits (docs/local-engine.md).
//!
//! Stages, one module each:
//!
//! 1. [`layout`]: walk the folder, recognise the S3 layout (default or
//!    Hive-compatible, daily or hourly) and prune folders and files by the
//!    partition range, account and region, before reading anything;
//! 2. [`reader`]: inflate (`.log.gz`, multi-member) or read (`.log`) a file
//!    in chunks and hand out its lines, never holding a whole file;
//!    [`parquet`] reads a `.log.parquet` file's needed columns instead,
//!    row group by row group, into the same records;
//! 3. [`record`]: map a file's header to the query's columns and split a
//!    line into just the fields the query needs, without allocating;
//! 4. [`eval`]: the filter and window, with SQL's three-valued logic;
//! 5. [`aggregate`] (over the fixed-width keys of [`keys`]) and [`rows`]:
//!    grouping, ordering and limits;
//! 6. [`scan`]: spreads files over all cores and merges what each found.
//!
//! An S3 source (`s3://bucket/prefix/`) replaces the first stage:
//! [`objects`] lists only the partition prefixes the window needs and
//! prunes the objects by the same rule as files, and [`fetch`] GETs them
//! with bounded concurrency ahead of the scan's workers, which read them
//! from memory; every stage after is the folder's.

mod aggregate;
mod eval;
mod fetch;
mod inflate;
mod ipv4;
mod keys;
mod layout;
mod lookup;
pub mod objects;
mod parquet;
mod reader;
mod record;
mod rows;
mod scan;
mod sets;
mod strings;
mod timechart;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::engine::output::{ColumnInfo, RowSink, Rows};
use crate::engine::shape::{Engine, EngineError, EngineKind, FileCounts, Progress, RunReport};
use crate::lang::ir::{CheckedQuery, TimeChart};
use crate::schema::LogFormat;
use crate::table::{Partitioning, Scheme, Table, DEFAULT_LATENESS};

/// A folder (or one file) of flow logs, or an S3 prefix laid out the same.
#[derive(Clone, Debug)]
pub struct LocalSource {
    pub location: Location,
    /// How long after a window ends its records may still be delivered, in
    /// seconds: files stamped up to this much after the window are read.
    pub lateness: i64,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

/// Where a local source's files are.
#[derive(Clone, Debug)]
pub enum Location {
    /// A folder laid out like the bucket, or one file.
    Disk(PathBuf),
    /// The objects under an S3 prefix, read without a table.
    S3(objects::S3Source),
}

impl LocalSource {
    pub fn new(path: impl Into<PathBuf>) -> LocalSource {
        LocalSource {
            location: Location::Disk(path.into()),
            lateness: DEFAULT_LATENESS,
            threads: None,
        }
    }

    /// The objects under an S3 prefix.
    pub fn s3(source: objects::S3Source) -> LocalSource {
        LocalSource {
            location: Location::S3(source),
            ..LocalSource::new(PathBuf::new())
        }
    }

    /// The table queries on this source are checked against: every known
    /// field, since each file's header gives its own format, and no
    /// partition columns, since pruning is done on folders and files.
    pub fn table(&self) -> Table {
        Table {
            format: LogFormat::all_fields(),
            partitioning: Partitioning::new(Scheme::None),
            lateness: self.lateness,
            ..Table::default()
        }
    }
}

/// What a scan read and what it could leave unread. Bytes are file sizes
/// on disk (compressed for `.log.gz`), like Athena's "data scanned".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Files read, wholly or until the limit was reached.
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Flow-log files pruned without reading: outside the partition range,
    /// or of an account or region the query excludes.
    pub files_skipped: u64,
    pub bytes_skipped: u64,
    /// Files not read because the rows of earlier files filled the limit.
    pub files_unread: u64,
    pub bytes_unread: u64,
    /// Files that are not flow logs by name (`*.log.gz`, `*.log`) or lie
    /// under another AWS service's folder, left alone.
    pub files_ignored: u64,
    /// Paths left out because they lead to a file or folder already met
    /// (symlinks, hard links): no file is read twice.
    pub repeats: u64,
    /// Symlinks that lead nowhere, or into a loop of symlinks.
    pub broken_links: u64,
    /// Records (lines after the header) parsed.
    pub records_read: u64,
    /// Parquet row groups read, and skipped by their min/max statistics.
    pub row_groups_read: u64,
    pub row_groups_skipped: u64,
    pub rows_out: u64,
    /// For an S3 source: what was listed and the requests made.
    pub objects: Option<ObjectCounts>,
    pub phases: Phases,
}

pub use crate::engine::shape::{ObjectCounts, Phases};

/// Why a local query failed; every variant names the file and the cause.
#[derive(Debug)]
pub enum LocalError {
    /// The source path does not exist.
    NoSource {
        path: PathBuf,
    },
    /// A folder could not be listed or a file opened or read.
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// A `.log.gz` file is not valid gzip, or is cut short.
    Corrupt {
        path: PathBuf,
        detail: String,
    },
    /// The first line of a file does not name flow-log fields.
    NoHeader {
        path: PathBuf,
        first_line: String,
    },
    LineTooLong {
        path: PathBuf,
    },
    /// A `.log.parquet` file is not valid Parquet, or its flow-log
    /// columns are of types no flow log uses.
    Parquet {
        path: PathBuf,
        detail: String,
    },
    /// The files in the window add up to more than `--max-scan`.
    ScanLimit {
        files: u64,
        bytes: u64,
        limit: u64,
    },
    /// A sum left the 64-bit range, which fails the query in Athena too.
    Overflow {
        column: String,
    },
    /// Writing the result failed.
    Output(io::Error),
    /// An S3 source could not be set up (no region, a bad endpoint).
    S3Setup(String),
    /// An S3 prefix could not be listed, after the SDK's retries.
    List {
        prefix: String,
        detail: String,
    },
    /// An S3 object could not be read, after the SDK's retries: the
    /// query fails rather than answer without it.
    Fetch {
        path: PathBuf,
        detail: String,
    },
    /// Stopped by Ctrl-C.
    Interrupted,
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalError::NoSource { path } => write!(
                f,
                "{}: no such file or folder; --source takes a folder of flow-log files (or one file)",
                path.display()
            ),
            LocalError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            LocalError::Corrupt { path, detail } => write!(
                f,
                "{}: not a valid gzip file ({detail}); the file may be damaged or cut short, e.g. by an interrupted download",
                path.display()
            ),
            LocalError::NoHeader { path, first_line } => write!(
                f,
                "{}: the first line is not a flow-log header: '{first_line}'; flow-log files start with the field names, e.g. 'version account-id interface-id srcaddr ...'",
                path.display()
            ),
            LocalError::LineTooLong { path } => write!(
                f,
                "{}: a line is longer than {} MiB; this is not a flow-log file",
                path.display(),
                reader::MAX_LINE >> 20
            ),
            LocalError::Parquet { path, detail } => write!(
                f,
                "{}: not a readable Parquet flow-log file ({detail}); the file may be damaged or cut short, e.g. by an interrupted download",
                path.display()
            ),
            LocalError::ScanLimit { files, bytes, limit } => write!(
                f,
                "the window's {files} files hold {}, past --max-scan {}; nothing was read",
                crate::units::format_bytes(*bytes),
                crate::units::format_bytes(*limit)
            ),
            LocalError::Overflow { column } => write!(
                f,
                "the sum in column '{column}' does not fit in a 64-bit integer (Athena fails this query too)"
            ),
            LocalError::Output(error) => write!(f, "cannot write the result: {error}"),
            LocalError::S3Setup(detail) => f.write_str(detail),
            LocalError::List { prefix, detail } => write!(
                f,
                "cannot list {prefix}: {detail}; nothing was read"
            ),
            LocalError::Fetch { path, detail } => write!(
                f,
                "{}: {detail}; the query stopped rather than answer without this object",
                path.display()
            ),
            LocalError::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for LocalError {}

impl LocalError {
    fn io(path: &Path, error: io::Error) -> LocalError {
        LocalError::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    /// True for a closed output pipe (`flowq run ... | head`): the reader
    /// has what it wanted, so this is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, LocalError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Whether `--source` may name this file: flow-log files are named
/// `*.log.gz`, `*.log` (or `*.log.parquet`).
pub fn is_flow_log_file(path: &Path) -> bool {
    layout::is_flow_log_name(path)
}

/// Runs a query over a local source and writes its rows to `sink`.
pub fn run(
    query: &CheckedQuery,
    source: &LocalSource,
    sink: &mut dyn RowSink,
    progress: Option<&Progress>,
) -> Result<ScanStats, LocalError> {
    run_within(query, source, None, sink, progress)
}

/// [`run`], refusing to start when the files left after pruning add up to
/// more than `max_scan` bytes: the limit is enforced before any is read.
fn run_within(
    query: &CheckedQuery,
    source: &LocalSource,
    max_scan: Option<u64>,
    sink: &mut dyn RowSink,
    progress: Option<&Progress>,
) -> Result<ScanStats, LocalError> {
    if let Some(chart) = &query.output.timechart {
        return run_timechart(query, chart, source, max_scan, sink, progress);
    }
    let pruning = layout::Pruning::new(query, source.lateness);
    let plan_scan = PlanScan {
        query,
        threads: source.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        max_scan,
        progress,
    };
    match &source.location {
        Location::Disk(path) => {
            let plan = layout::plan(path, &pruning)?;
            plan_scan.refuse_past_limit(&plan)?;
            plan_scan.scan(&plan, &scan::Disk, sink)
        }
        Location::S3(s3) => objects::run(s3, &pruning, &plan_scan, sink),
    }
}

/// How to scan a plan: the query, the workers, the limit, the progress.
pub(crate) struct PlanScan<'a> {
    query: &'a CheckedQuery,
    threads: usize,
    max_scan: Option<u64>,
    progress: Option<&'a Progress>,
}

impl PlanScan<'_> {
    /// Refuses a plan whose files add up to more than `--max-scan`.
    pub(crate) fn refuse_past_limit(&self, plan: &layout::Plan) -> Result<(), LocalError> {
        let to_read: u64 = plan.files.iter().map(|f| f.size).sum();
        match self.max_scan {
            Some(limit) if to_read > limit => Err(LocalError::ScanLimit {
                files: plan.files.len() as u64,
                bytes: to_read,
                limit,
            }),
            _ => Ok(()),
        }
    }

    /// Scans the plan's files, whose bytes come from `bodies`, and writes
    /// the answer into `sink`.
    pub(crate) fn scan(
        &self,
        plan: &layout::Plan,
        bodies: &dyn scan::Bodies,
        sink: &mut dyn RowSink,
    ) -> Result<ScanStats, LocalError> {
        let query = self.query;
        let prepared = scan::Prepared::new(query);
        if let Some(progress) = self.progress {
            progress
                .files_total
                .store(plan.files.len() as u64, Ordering::Relaxed);
            progress
                .bytes_total
                .store(plan.files.iter().map(|f| f.size).sum(), Ordering::Relaxed);
        }
        let found = scan::scan(&plan.files, bodies, &prepared, self.threads, self.progress);
        if let Some(progress) = self.progress {
            progress.finish();
        }
        let found = found?;
        let columns: Vec<ColumnInfo> = query
            .output
            .columns
            .iter()
            .map(|c| ColumnInfo {
                name: c.name.clone(),
                numeric: c.value.is_numeric(),
            })
            .collect();
        let mut joined;
        let sink: &mut dyn RowSink = if query.output.lookups.is_empty() {
            sink
        } else {
            joined =
                lookup::Joined::new(&query.output.lookups, query.output.reorder.as_ref(), sink);
            &mut joined
        };
        let writing = Instant::now();
        sink.begin(&columns).map_err(LocalError::Output)?;
        found.answer.write(sink).map_err(LocalError::Output)?;
        sink.finish().map_err(LocalError::Output)?;
        let phases = Phases {
            write: writing.elapsed(),
            ..found.phases
        };
        Ok(ScanStats {
            files_scanned: found.files_scanned,
            bytes_scanned: found.bytes_scanned,
            files_skipped: plan.skipped.files,
            bytes_skipped: plan.skipped.bytes,
            files_unread: plan.files.len() as u64 - found.files_scanned,
            bytes_unread: plan.files.iter().map(|f| f.size).sum::<u64>() - found.bytes_scanned,
            files_ignored: plan.ignored,
            repeats: plan.repeats,
            broken_links: plan.broken_links,
            records_read: found.records_read,
            row_groups_read: found.row_groups_read,
            row_groups_skipped: found.row_groups_skipped,
            rows_out: rows_out(query, found.answer.len() as u64),
            objects: None,
            phases,
        })
    }
}

/// The rows written: the answer's, cut by a `limit` after the lookups.
fn rows_out(query: &CheckedQuery, answer: u64) -> u64 {
    match query.output.reorder.as_ref().and_then(|r| r.limit) {
        Some(limit) => answer.min(limit),
        None => answer,
    }
}

/// A timechart: the scan groups by `start` (and series), then
/// `timechart.rs` makes the buckets.
fn run_timechart(
    query: &CheckedQuery,
    chart: &TimeChart,
    source: &LocalSource,
    max_scan: Option<u64>,
    sink: &mut dyn RowSink,
    progress: Option<&Progress>,
) -> Result<ScanStats, LocalError> {
    let grouping = timechart::grouping_query(query, chart);
    let mut groups = Rows::default();
    let mut stats = run_within(&grouping, source, max_scan, &mut groups, progress)?;
    let rows = timechart::rows(query, chart, groups)
        .map_err(|timechart::Overflow(column)| LocalError::Overflow { column })?;
    let columns: Vec<ColumnInfo> = query
        .output
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnInfo {
            name: c.name.clone(),
            // The series is text: `other` stands beside the values.
            numeric: c.value.is_numeric() && !(i == 1 && chart.series.is_some()),
        })
        .collect();
    sink.begin(&columns).map_err(LocalError::Output)?;
    for row in &rows {
        sink.row(row).map_err(LocalError::Output)?;
    }
    sink.finish().map_err(LocalError::Output)?;
    stats.rows_out = rows.len() as u64;
    Ok(stats)
}

/// The local engine over one source: a folder laid out like the bucket,
/// or one file.
#[derive(Clone, Debug)]
pub struct LocalEngine {
    pub source: LocalSource,
    /// Refuse a query whose files in the window add up to more bytes.
    pub max_scan: Option<u64>,
}

impl Engine for LocalEngine {
    fn run(
        &self,
        query: &CheckedQuery,
        sink: &mut dyn RowSink,
        progress: &Progress,
    ) -> Result<RunReport, EngineError> {
        let started = Instant::now();
        if let Location::Disk(path) = &self.source.location {
            refuse_missing_source(path)?;
        }
        let result = run_within(query, &self.source, self.max_scan, sink, Some(progress));
        let stats = match result {
            Ok(stats) => stats,
            // A reader that closed the pipe (`| head`) has what it wanted.
            Err(e) if e.is_broken_pipe() => {
                return Ok(RunReport {
                    output_closed: true,
                    elapsed: started.elapsed(),
                    ..RunReport::default()
                })
            }
            Err(e @ LocalError::ScanLimit { .. }) => {
                return Err(EngineError::failed(e.to_string()).with_help(
                    "narrow the window, or raise --max-scan (or the source's max_scan)",
                ))
            }
            Err(LocalError::Interrupted) => {
                return Err(EngineError::interrupted(
                    "interrupted; the S3 reads in flight were abandoned",
                ))
            }
            Err(e @ LocalError::S3Setup(_)) => return Err(EngineError::refused(e.to_string())),
            Err(e) => return Err(EngineError::failed(e.to_string())),
        };
        Ok(report(&stats, started.elapsed()))
    }

    fn dry_run(&self, query: &CheckedQuery) -> Result<String, EngineError> {
        let window = &query.window;
        let place = match &self.source.location {
            Location::Disk(path) => path.display().to_string(),
            Location::S3(s3) => s3.prefix.uri(),
        };
        Ok(format!(
            "-- dry run: the local engine would read {place} for the window {}\n",
            crate::sql::explain::span(window.start, window.end)
        ))
    }
}

/// A folder or file that is not there, or a file that is not a flow log
/// by name, is refused before anything is read.
fn refuse_missing_source(path: &Path) -> Result<(), EngineError> {
    if !path.exists() {
        let missing = LocalError::NoSource {
            path: path.to_path_buf(),
        };
        return Err(EngineError::refused(missing.to_string()));
    }
    if path.is_file() && !is_flow_log_file(path) {
        return Err(EngineError::refused(format!(
            "{}: not a flow-log file name; --source takes a folder of flow-log files, or one file named *.log.gz, *.log or *.log.parquet",
            path.display()
        )));
    }
    Ok(())
}

fn report(stats: &ScanStats, elapsed: std::time::Duration) -> RunReport {
    RunReport {
        engine: EngineKind::Local,
        rows: stats.rows_out,
        bytes_scanned: stats.bytes_scanned,
        records_read: Some(stats.records_read),
        files: Some(FileCounts {
            scanned: stats.files_scanned,
            skipped: stats.files_skipped,
            bytes_skipped: stats.bytes_skipped,
            unread: stats.files_unread,
            bytes_unread: stats.bytes_unread,
            ignored: stats.files_ignored,
            repeats: stats.repeats,
            broken_links: stats.broken_links,
            row_groups_read: stats.row_groups_read,
            row_groups_skipped: stats.row_groups_skipped,
        }),
        objects: stats.objects.clone(),
        elapsed,
        phases: Some(stats.phases),
        ..RunReport::default()
    }
}

/// A test's stream of pseudo-random draws (xorshift64), the same in every
/// run, for the tests that check a fast path against a plain one on
/// drawn inputs.
#[cfg(test)]
pub(crate) fn test_draws() -> impl FnMut() -> u64 {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
