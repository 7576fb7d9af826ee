//! The scan: files spread over worker threads, each worker with its own
//! state (rows or groups), merged at the end.
//!
//! Workers take files in path order from a shared counter, so big and
//! small files balance by themselves. Three shapes of query:
//!
//! - grouped: each worker groups what it reads, the groups are merged,
//!   sorted (by their keys when the query gives no order), and limited;
//! - records with an order: each worker keeps its best `limit` rows;
//! - records without an order: SQL allows any `limit` rows; these are the
//!   first ones in path order, so a run is repeatable, and reading stops
//!   as soon as the files before hold enough. Finished files wait for the
//!   earlier ones within a bounded look-ahead, which bounds memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::engine::output::RowSink;
use crate::lang::ir::{CheckedQuery, OrderKey};

use super::aggregate::{Exchange, Finished, Grouping, Groups};
use super::eval::Where;
use super::layout::{Compression, FileEntry};
use super::parquet;
use super::reader::{self, Body, Flow};
use super::record::{ColumnRef, FileColumns, Record, Slots, Splitter};
use super::rows::{cell, record_row, Row, TopRows};
use super::{LocalError, Phases};
use crate::engine::shape::Progress;

/// A checked query resolved to the engine's terms.
#[derive(Debug)]
pub(crate) struct Prepared {
    slots: Slots,
    where_clause: Where,
    shape: Shape,
    order: Vec<OrderKey>,
    limit: Option<u64>,
}

#[derive(Debug)]
enum Shape {
    Records(Vec<ColumnRef>),
    Groups(Grouping),
}

impl Prepared {
    pub fn new(query: &CheckedQuery) -> Prepared {
        let mut slots = Slots::default();
        let where_clause = Where::compile(query, &mut slots);
        let output = &query.output;
        let shape = match &output.group_by {
            Some(keys) => Shape::Groups(Grouping::new(output, keys, &mut slots)),
            None => Shape::Records(
                output
                    .columns
                    .iter()
                    .map(|c| match c.value {
                        crate::lang::ir::OutputValue::Column(column) => slots.column(column),
                        crate::lang::ir::OutputValue::Aggregate { .. } => {
                            unreachable!("a query without groups has no aggregates")
                        }
                    })
                    .collect(),
            ),
        };
        // SQL leaves the order of unsorted groups open; these come sorted
        // by their keys, so a run prints the same as the last one.
        let order = match &output.group_by {
            Some(keys) if output.order.is_empty() => keys
                .iter()
                .map(|&column| OrderKey {
                    column,
                    descending: false,
                })
                .collect(),
            _ => output.order.clone(),
        };
        Prepared {
            slots,
            where_clause,
            shape,
            order,
            limit: output.limit,
        }
    }

    fn matches(&self, record: &Record) -> bool {
        self.where_clause.matches(record)
    }

    fn limit(&self) -> usize {
        self.limit
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX))
    }
}

/// What the scan found.
pub(crate) struct Found {
    pub answer: Answer,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub records_read: u64,
    pub row_groups_read: u64,
    pub row_groups_skipped: u64,
    /// Reading and combining; writing is the caller's.
    pub phases: Phases,
}

/// The rows of a query: records as rows, or groups that write their own.
// One Answer per query, moved once: the size of the larger variant costs
// nothing worth a Box.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Answer {
    Rows(Vec<Row>),
    Groups(Box<Finished>),
}

impl Answer {
    pub fn len(&self) -> usize {
        match self {
            Answer::Rows(rows) => rows.len(),
            Answer::Groups(groups) => groups.len(),
        }
    }

    pub fn write(&self, sink: &mut dyn RowSink) -> std::io::Result<()> {
        match self {
            Answer::Rows(rows) => rows.iter().try_for_each(|row| sink.row(row)),
            Answer::Groups(groups) => groups.write(sink),
        }
    }
}

/// Where the scan gets each file's bytes: the disk, or the S3 objects
/// fetched ahead of the workers (engine/local/fetch.rs).
pub(crate) trait Bodies: Sync {
    /// The bytes of `files[index]`, waiting for them if they are on
    /// their way.
    fn open(&self, index: usize, entry: &FileEntry) -> Result<Body, LocalError>;
}

/// Files on disk, opened when a worker comes to them.
pub(crate) struct Disk;

impl Bodies for Disk {
    fn open(&self, _index: usize, entry: &FileEntry) -> Result<Body, LocalError> {
        Body::open(entry)
    }
}

/// Work shared by the workers.
struct Shared<'a> {
    files: &'a [FileEntry],
    bodies: &'a dyn Bodies,
    prepared: &'a Prepared,
    next: AtomicUsize,
    /// Files from this index on are not needed (the limit is reached).
    cutoff: AtomicUsize,
    failed: AtomicBool,
    /// The failure of the earliest file, so a run reports the same one.
    error: Mutex<Option<(usize, LocalError)>>,
    files_scanned: AtomicU64,
    bytes_scanned: AtomicU64,
    records_read: AtomicU64,
    row_groups_read: AtomicU64,
    row_groups_skipped: AtomicU64,
    progress: Option<&'a Progress>,
    in_order: InOrder,
    /// Where the workers of a grouped query share out its groups.
    exchange: Option<Arc<Exchange>>,
}

/// Rows of finished files, waiting for the files before them.
#[derive(Default)]
struct InOrder {
    state: Mutex<InOrderState>,
    advanced: Condvar,
}

#[derive(Default)]
struct InOrderState {
    done: BTreeMap<usize, Vec<Row>>,
    /// Files `0..prefix` are all done.
    prefix: usize,
    rows_in_prefix: usize,
}

/// How far past the earliest unfinished file a worker may start another.
const LOOK_AHEAD: usize = 16;

pub(crate) fn scan(
    files: &[FileEntry],
    bodies: &dyn Bodies,
    prepared: &Prepared,
    threads: usize,
    progress: Option<&Progress>,
) -> Result<Found, LocalError> {
    let started = Instant::now();
    let workers = threads.clamp(1, files.len().max(1));
    let exchange = match &prepared.shape {
        Shape::Groups(grouping) if workers > 1 && grouping.exchanges() => {
            Some(Arc::new(Exchange::new(workers)))
        }
        _ => None,
    };
    let shared = Shared {
        files,
        bodies,
        prepared,
        next: AtomicUsize::new(0),
        cutoff: AtomicUsize::new(files.len()),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
        files_scanned: AtomicU64::new(0),
        bytes_scanned: AtomicU64::new(0),
        records_read: AtomicU64::new(0),
        row_groups_read: AtomicU64::new(0),
        row_groups_skipped: AtomicU64::new(0),
        progress,
        in_order: InOrder::default(),
        exchange,
    };
    let mut states: Vec<State> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|me| {
                let shared = &shared;
                scope.spawn(move || work(shared, me))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a scan worker panicked"))
            .collect()
    });
    let read = started.elapsed();
    let cutoff = shared.cutoff.load(Ordering::SeqCst);
    let failure = shared.error.lock().expect("no worker panicked").take();
    if let Some((index, error)) = failure {
        // A file past the limit did not matter to the result.
        if index < cutoff {
            return Err(error);
        }
    }
    if let Shape::Groups(grouping) = &prepared.shape {
        let groups = states
            .into_iter()
            .map(|state| match state {
                State::Groups(groups) => *groups,
                _ => unreachable!("a grouped query has group state"),
            })
            .collect();
        let finished = Groups::combine(groups, grouping, &prepared.order, prepared.limit, threads)?;
        return Ok(shared.found(Answer::Groups(Box::new(finished)), started, read));
    }
    let mut merged = states
        .pop()
        .unwrap_or_else(|| State::new(prepared, None, 0));
    for state in states {
        merged.merge(state);
    }
    let answer = match merged {
        State::InOrder => {
            let state =
                std::mem::take(&mut *shared.in_order.state.lock().expect("no worker panicked"));
            Answer::Rows(
                state
                    .done
                    .into_values()
                    .flatten()
                    .take(prepared.limit())
                    .collect(),
            )
        }
        State::Top(top) => Answer::Rows(top.finish()),
        State::Groups(_) => unreachable!("groups are combined above"),
    };
    Ok(shared.found(answer, started, read))
}

/// One worker's findings.
enum State {
    /// Rows went to [`InOrder`].
    InOrder,
    Top(TopRows),
    Groups(Box<Groups>),
}

impl State {
    /// Worker `me`'s state, sharing out groups through `exchange` if any.
    fn new(prepared: &Prepared, exchange: Option<&Arc<Exchange>>, me: usize) -> State {
        match &prepared.shape {
            Shape::Groups(grouping) => State::Groups(Box::new(match exchange {
                Some(exchange) => Groups::exchanging(grouping, exchange.clone(), me),
                None => Groups::new(grouping),
            })),
            Shape::Records(_) if prepared.order.is_empty() => State::InOrder,
            Shape::Records(_) => State::Top(TopRows::new(&prepared.order, prepared.limit)),
        }
    }

    fn merge(&mut self, other: State) {
        if let (State::Top(a), State::Top(b)) = (self, other) {
            a.merge(b);
        }
    }
}

fn work(shared: &Shared, me: usize) -> State {
    let prepared = shared.prepared;
    let mut state = State::new(prepared, shared.exchange.as_ref(), me);
    let buffers = &mut reader::Buffers::default();
    loop {
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        if index >= shared.files.len() || !shared.wanted(index) {
            return state;
        }
        if matches!(state, State::InOrder) && !shared.wait_for_turn(index) {
            return state;
        }
        let stop = || !shared.wanted(index);
        let result = match (&mut state, &prepared.shape) {
            (State::Groups(groups), Shape::Groups(grouping)) => {
                scan_file(index, shared, buffers, &stop, &mut |record| {
                    groups.add(grouping, record);
                    Flow::Continue
                })
            }
            (State::Top(top), Shape::Records(columns)) => {
                scan_file(index, shared, buffers, &stop, &mut |record| {
                    let first = top.first_key().map(|k| cell(record.value(columns[k])));
                    if first.as_ref().is_none_or(|c| top.wants(c)) {
                        top.push(record_row(record, columns));
                    }
                    Flow::Continue
                })
            }
            (_, Shape::Records(columns)) => {
                let limit = prepared.limit();
                let mut rows = Vec::new();
                let result = scan_file(index, shared, buffers, &stop, &mut |record| {
                    rows.push(record_row(record, columns));
                    if rows.len() >= limit {
                        Flow::Stop
                    } else {
                        Flow::Continue
                    }
                });
                if result.is_ok() && shared.wanted(index) {
                    shared.deposit(index, rows);
                }
                result
            }
            (_, Shape::Groups(_)) => unreachable!("a grouped query has group state"),
        };
        if let Err(error) = result {
            shared.fail(index, error);
            return state;
        }
    }
}

impl Shared<'_> {
    /// What a file adds to the counts once read, however its scan ended.
    fn file_done(&self, entry: &FileEntry, records: u64) {
        self.records_read.fetch_add(records, Ordering::Relaxed);
        if let Some(progress) = self.progress {
            progress.file_done(entry.size);
        }
    }

    /// What was found, the scan having started at `started` and its
    /// workers read for `read`; the time since is combining.
    fn found(&self, answer: Answer, started: Instant, read: Duration) -> Found {
        let phases = Phases {
            read,
            combine: started.elapsed().saturating_sub(read),
            write: Duration::ZERO,
        };
        Found {
            answer,
            phases,
            files_scanned: self.files_scanned.load(Ordering::SeqCst),
            bytes_scanned: self.bytes_scanned.load(Ordering::SeqCst),
            records_read: self.records_read.load(Ordering::SeqCst),
            row_groups_read: self.row_groups_read.load(Ordering::SeqCst),
            row_groups_skipped: self.row_groups_skipped.load(Ordering::SeqCst),
        }
    }

    fn wanted(&self, index: usize) -> bool {
        !self.failed.load(Ordering::Relaxed) && index < self.cutoff.load(Ordering::Relaxed)
    }

    /// Waits until `index` is within the look-ahead of the earliest
    /// unfinished file; false if it is no longer needed.
    fn wait_for_turn(&self, index: usize) -> bool {
        let mut state = self.in_order.state.lock().expect("no worker panicked");
        while index >= state.prefix + LOOK_AHEAD && self.wanted(index) {
            state = self
                .in_order
                .advanced
                .wait(state)
                .expect("no worker panicked");
        }
        self.wanted(index)
    }

    fn deposit(&self, index: usize, rows: Vec<Row>) {
        let mut state = self.in_order.state.lock().expect("no worker panicked");
        state.done.insert(index, rows);
        while let Some(rows) = state.done.get(&state.prefix) {
            state.rows_in_prefix += rows.len();
            state.prefix += 1;
        }
        if state.rows_in_prefix >= self.prepared.limit() {
            self.cutoff.fetch_min(state.prefix, Ordering::SeqCst);
        }
        self.in_order.advanced.notify_all();
    }

    fn fail(&self, index: usize, error: LocalError) {
        let mut slot = self.error.lock().expect("no worker panicked");
        if slot.as_ref().is_none_or(|(first, _)| index < *first) {
            *slot = Some((index, error));
        }
        self.failed.store(true, Ordering::SeqCst);
        drop(slot);
        let _guard = self.in_order.state.lock().expect("no worker panicked");
        self.in_order.advanced.notify_all();
    }
}

/// Reads one file, calling `on_match` with each record the WHERE clause
/// keeps.
fn scan_file(
    index: usize,
    shared: &Shared,
    buffers: &mut reader::Buffers,
    stop: &dyn Fn() -> bool,
    on_match: &mut dyn FnMut(&Record) -> Flow,
) -> Result<(), LocalError> {
    let prepared = shared.prepared;
    let entry = &shared.files[index];
    let body = shared.bodies.open(index, entry)?;
    shared.files_scanned.fetch_add(1, Ordering::Relaxed);
    shared
        .bytes_scanned
        .fetch_add(entry.size, Ordering::Relaxed);
    if entry.compression == Compression::Parquet {
        return scan_parquet(entry, body, shared, stop, on_match);
    }
    let mut columns: Option<FileColumns> = None;
    let mut splitter = Splitter::new(&prepared.slots);
    let mut records: u64 = 0;
    let mut keep = keep_matches(prepared, &mut records, on_match);
    let (account, region) = (entry.account.as_deref(), entry.region.as_deref());
    let result = reader::for_each_chunk(entry, body, buffers, stop, &mut |mut lines| {
        if columns.is_none() {
            let end = memchr::memchr(b'\n', lines).expect("pieces end in a newline");
            let header = &lines[..end];
            let header = header.strip_suffix(b"\r").unwrap_or(header);
            columns = Some(
                FileColumns::from_header(header, &prepared.slots).ok_or_else(|| {
                    LocalError::NoHeader {
                        path: entry.path.clone(),
                        first_line: String::from_utf8_lossy(&header[..header.len().min(80)])
                            .into_owned(),
                    }
                })?,
            );
            lines = &lines[end + 1..];
        }
        let columns = columns.as_ref().expect("read above");
        Ok(splitter.records(lines, columns, account, region, &mut keep))
    });
    drop(keep);
    shared.file_done(entry, records);
    result
}

/// Counts every record read, text or Parquet, and hands on the ones the
/// filter keeps.
fn keep_matches<'a>(
    prepared: &'a Prepared,
    records: &'a mut u64,
    on_match: &'a mut dyn FnMut(&Record) -> Flow,
) -> impl FnMut(&Record) -> Flow + 'a {
    move |record| {
        *records += 1;
        if prepared.matches(record) {
            on_match(record)
        } else {
            Flow::Continue
        }
    }
}

/// [`scan_file`] for a Parquet file: the same records, read by columns.
fn scan_parquet(
    entry: &FileEntry,
    body: Body,
    shared: &Shared,
    stop: &dyn Fn() -> bool,
    on_match: &mut dyn FnMut(&Record) -> Flow,
) -> Result<(), LocalError> {
    let prepared = shared.prepared;
    let mut records: u64 = 0;
    let result = parquet::for_each_record(
        entry,
        body,
        &prepared.slots,
        &prepared.where_clause,
        stop,
        &mut keep_matches(prepared, &mut records, on_match),
    );
    shared.file_done(entry, records);
    let groups = result?;
    shared
        .row_groups_read
        .fetch_add(groups.read, Ordering::Relaxed);
    shared
        .row_groups_skipped
        .fetch_add(groups.skipped, Ordering::Relaxed);
    Ok(())
}
