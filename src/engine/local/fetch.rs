//! The GETs of an S3 source: objects fetched in plan order, at most
//! `concurrency` in flight, on an async runtime of their own thread, and
//! handed to the scan's workers as whole bodies ([`Fetched`] is the scan's
//! [`Bodies`]).
//!
//! - Memory is bounded: a GET starts only while the bodies fetched and not
//!   yet taken, plus those in flight, number fewer than `concurrency` plus
//!   the scan's workers.
//! - Throttling (503 SlowDown), 5xx answers and timeouts are retried by the
//!   SDK's standard retry strategy (engine/aws.rs: 3 attempts by default,
//!   exponential backoff with jitter); a body cut short is fetched again,
//!   up to [`BODY_ATTEMPTS`] times. An object that still cannot be read
//!   fails the query with its key: never a silent partial answer.
//! - Ctrl-C stops the GETs in flight and the scan, which fails as
//!   interrupted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use bytes::Bytes;
use tokio::task::JoinSet;

use super::layout::FileEntry;
use super::reader::Body;
use super::scan::Bodies;
use super::LocalError;
use crate::engine::aws::{Interrupt, RetryLog};
use crate::engine::shape::Progress;

/// Tries to read a body whose connection broke mid-way; the SDK retries
/// the request, not the reading of the body it answered with.
const BODY_ATTEMPTS: u32 = 3;

/// How often the fetcher looks again for room to start a GET, or for the
/// end of the scan.
const RECHECK: Duration = Duration::from_millis(5);

/// Bodies fetched and not yet taken by the scan, shared between the
/// fetcher and the scan's workers.
pub(crate) struct Fetched {
    state: Mutex<State>,
    changed: Condvar,
    concurrency: usize,
    /// Bodies held (fetched or in flight) at most.
    capacity: usize,
    gets: AtomicU64,
}

#[derive(Default)]
struct State {
    done: BTreeMap<usize, Result<Bytes, LocalError>>,
    in_flight: usize,
    interrupted: bool,
    /// The scan is over: fetch nothing more.
    finished: bool,
    /// The fetcher has stopped; nothing more will arrive.
    closed: bool,
    /// Why the fetcher stopped early, if it did.
    broken: Option<String>,
}

impl Fetched {
    pub fn new(concurrency: usize, workers: usize) -> Fetched {
        let concurrency = concurrency.max(1);
        Fetched {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            concurrency,
            capacity: concurrency + workers.max(1),
            gets: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// GetObject requests sent, retries not counted.
    pub fn gets(&self) -> u64 {
        self.gets.load(Ordering::Relaxed)
    }

    pub fn interrupted(&self) -> bool {
        self.lock().interrupted
    }

    /// The scan is over (or failed): the fetcher stops.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.changed.notify_all();
    }

    /// Marks the fetcher stopped when the guard goes, however it went, so
    /// no worker waits for a body that will never come.
    pub fn close_on_drop(&self) -> CloseOnDrop<'_> {
        CloseOnDrop(self)
    }

    /// Whether another GET may start, and if so counts it in flight.
    fn start_one(&self) -> bool {
        let mut state = self.lock();
        if state.finished || state.in_flight >= self.concurrency {
            return false;
        }
        if state.done.len() + state.in_flight >= self.capacity {
            return false;
        }
        state.in_flight += 1;
        self.gets.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn deliver(&self, index: usize, body: Result<Bytes, LocalError>) {
        let mut state = self.lock();
        state.in_flight -= 1;
        state.done.insert(index, body);
        drop(state);
        self.changed.notify_all();
    }

    /// Nothing more will arrive, for `why` when something broke.
    fn close(&self, why: Option<String>) {
        let mut state = self.lock();
        state.closed = true;
        if state.broken.is_none() {
            state.broken = why;
        }
        drop(state);
        self.changed.notify_all();
    }

    fn interrupt(&self) {
        self.lock().interrupted = true;
        self.changed.notify_all();
    }

    fn is_finished(&self) -> bool {
        self.lock().finished
    }
}

impl Bodies for Fetched {
    fn open(&self, index: usize, entry: &FileEntry) -> Result<Body, LocalError> {
        let mut state = self.lock();
        loop {
            if state.interrupted {
                return Err(LocalError::Interrupted);
            }
            if let Some(body) = state.done.remove(&index) {
                return body.map(Body::Memory);
            }
            if state.closed {
                let why = state.broken.as_deref().unwrap_or("the fetcher stopped");
                return Err(LocalError::Fetch {
                    path: entry.path.clone(),
                    detail: format!("not read: {why}"),
                });
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

pub(crate) struct CloseOnDrop<'a>(&'a Fetched);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close(None);
    }
}

/// Fetches `keys` (the objects of `files`, in plan order) into `fetched`
/// until all are fetched, the scan is over, or Ctrl-C; then listens for
/// Ctrl-C until the scan is over.
pub(crate) async fn fetch_all(
    client: &Client,
    bucket: &str,
    keys: &[String],
    files: &[FileEntry],
    fetched: &Fetched,
    interrupt: &mut Interrupt,
    mut notes: RetryNotes<'_>,
) {
    let mut next = 0;
    let mut running: JoinSet<(usize, Result<Bytes, String>)> = JoinSet::new();
    while !fetched.is_finished() {
        notes.pass_on();
        while next < keys.len() && fetched.start_one() {
            let (client, bucket, key) = (client.clone(), bucket.to_string(), keys[next].clone());
            let index = next;
            running.spawn(async move { (index, get(&client, &bucket, &key).await) });
            next += 1;
        }
        tokio::select! {
            biased;
            _ = interrupt.recv() => {
                fetched.interrupt();
                return;
            }
            Some(joined) = running.join_next(), if !running.is_empty() => {
                deliver(joined, files, fetched);
            }
            // Room for another GET, the end of the scan, or new retries.
            _ = tokio::time::sleep(RECHECK) => {}
        }
    }
}

/// Passes the SDK's retries on as progress notes as they happen.
pub(crate) struct RetryNotes<'a> {
    log: &'a RetryLog,
    progress: Option<&'a Progress>,
    noted: usize,
}

impl<'a> RetryNotes<'a> {
    pub fn new(log: &'a RetryLog, progress: Option<&'a Progress>) -> RetryNotes<'a> {
        RetryNotes {
            log,
            progress,
            noted: log.len(),
        }
    }

    fn pass_on(&mut self) {
        let Some(progress) = self.progress else {
            return;
        };
        for retry in self.log.since(self.noted) {
            self.noted += 1;
            progress.note(format!("the SDK retried {retry}"));
        }
    }
}

/// Hands a finished GET to the scan.
fn deliver(
    joined: Result<(usize, Result<Bytes, String>), tokio::task::JoinError>,
    files: &[FileEntry],
    fetched: &Fetched,
) {
    match joined {
        Ok((index, body)) => fetched.deliver(
            index,
            body.map_err(|detail| LocalError::Fetch {
                path: files[index].path.clone(),
                detail,
            }),
        ),
        // A task that panicked names no object: everything waiting fails.
        Err(error) => fetched.close(Some(format!("a GET task failed: {error}"))),
    }
}

/// One object's bytes, fetched again when the body is cut short.
async fn get(client: &Client, bucket: &str, key: &str) -> Result<Bytes, String> {
    let mut attempt = 1;
    loop {
        let response = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| describe_get_error(&e))?;
        match response.body.collect().await {
            Ok(body) => return Ok(body.into_bytes()),
            Err(_) if attempt < BODY_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                attempt += 1;
            }
            Err(error) => {
                return Err(format!(
                    "the object's body was cut short {BODY_ATTEMPTS} times ({error})"
                ))
            }
        }
    }
}

/// GetObject's failure, in words: a listed object that is gone is said
/// plainly.
fn describe_get_error<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.as_service_error().and_then(|e| e.code()) {
        Some("NoSuchKey") => "the object was listed but is gone (NoSuchKey): it was deleted or moved after the listing; run the query again".into(),
        _ => describe_sdk_error("GetObject", error),
    }
}

/// An S3 call that failed after the SDK's retries: the service's code
/// and message, or the whole chain of causes (credentials, network).
pub(crate) fn describe_sdk_error<E, R>(operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.as_service_error() {
        Some(service) => format!(
            "{operation} failed after the SDK's retries: {}: {}",
            service.code().unwrap_or("an error"),
            service.message().unwrap_or("no message")
        ),
        None => format!(
            "{operation} failed after the SDK's retries: {}",
            DisplayErrorContext(error)
        ),
    }
}
