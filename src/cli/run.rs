//! `flowq run`: check a query against a source, run it, write its rows in
//! the chosen format, and say what was scanned. The command line only
//! parses flags and resolves the query (src/commands.rs); the rest is here.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::commands::exit;
use crate::engine::local::{self, LocalError, LocalSource, Progress, ScanStats};
use crate::engine::output::{self, Format, OnInterrupt, PendingFile};
use crate::lang::check::CheckedQuery;
use crate::units;

/// How a run writes its rows and talks on stderr.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    pub format: Format,
    /// Write rows here instead of standard output; the file is replaced
    /// only when the query succeeds.
    pub output: Option<PathBuf>,
    /// Notes and progress on stderr, only the summary otherwise.
    pub chatty: bool,
}

#[derive(Debug)]
pub enum RunError {
    Usage(String),
    Failed(LocalError),
}

impl RunError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_) => exit::USAGE,
            RunError::Failed(_) => exit::FAILED,
        }
    }
}

/// What a successful run did.
#[derive(Clone, Debug)]
pub struct Report {
    pub stats: ScanStats,
    pub elapsed: Duration,
    /// The reader of the rows closed them early (`| head`): not an error,
    /// but the counts of the scan are lost with the write that failed.
    pub output_closed: bool,
}

/// Runs a checked query over a local folder, writing rows to `--output`
/// or standard output and progress to standard error.
pub fn run_local(
    query: &CheckedQuery,
    mut source: LocalSource,
    options: &OutputOptions,
) -> Result<Report, RunError> {
    let started = Instant::now();
    if !source.path.exists() {
        let missing = LocalError::NoSource {
            path: source.path.clone(),
        };
        return Err(RunError::Usage(missing.to_string()));
    }
    if source.path.is_file() && !local::is_flow_log_file(&source.path) {
        return Err(RunError::Usage(format!(
            "{}: not a flow-log file name; --source takes a folder of flow-log files, or one file named *.log.gz or *.log",
            source.path.display()
        )));
    }
    let progress = Arc::new(Progress::default());
    source.progress = Some(progress.clone());
    let ticker = options.chatty.then(|| ProgressLine::start(progress));
    let result = write_rows(
        options.format,
        options.output.as_deref(),
        // The local engine does not listen for Ctrl-C: it just ends.
        OnInterrupt::Exit,
        |sink| local::run(query, &source, sink).map_err(RunError::Failed),
        |message| RunError::Failed(LocalError::Output(io::Error::other(message))),
    );
    if let Some(ticker) = ticker {
        ticker.stop();
    }
    let (stats, output_closed) = match result {
        Ok(stats) => (stats, false),
        // A reader that closed the pipe (`| head`) has what it wanted.
        Err(RunError::Failed(e)) if e.is_broken_pipe() => (ScanStats::default(), true),
        Err(e) => return Err(e),
    };
    Ok(Report {
        stats,
        elapsed: started.elapsed(),
        output_closed,
    })
}

/// Lets `run` write rows through a sink to `--output` or standard output.
/// `--output` is replaced only if `run` succeeded: a failed query leaves
/// the old file as it was (output::PendingFile says what else it does);
/// `on_interrupt` says whether the engine stops its query on Ctrl-C.
pub fn write_rows<T, E>(
    format: Format,
    output: Option<&Path>,
    on_interrupt: OnInterrupt,
    run: impl FnOnce(&mut dyn output::RowSink) -> Result<T, E>,
    io_error: impl Fn(String) -> E,
) -> Result<T, E> {
    let Some(path) = output else {
        let stdout = io::stdout();
        let mut sink = output::sink(format, Box::new(BufWriter::new(stdout.lock())));
        return run(sink.as_mut());
    };
    let file =
        PendingFile::create(path, on_interrupt).map_err(|e| io_error(format!("--output: {e}")))?;
    let mut sink = output::sink(format, Box::new(BufWriter::new(file.file())));
    let result = run(sink.as_mut());
    drop(sink);
    let value = result?;
    file.commit()
        .map_err(|e| io_error(format!("--output: {e}")))?;
    Ok(value)
}

/// The summary line: rows, what was read, what was not, and the time.
pub fn summary(report: &Report) -> String {
    if report.output_closed {
        return format!(
            "flowq: the output was closed after {:.2} s; stopped",
            report.elapsed.as_secs_f64()
        );
    }
    let s = &report.stats;
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![
        plural(s.rows_out, "row", "rows"),
        format!(
            "scanned {} ({}, {})",
            plural(s.files_scanned, "file", "files"),
            units::format_bytes(s.bytes_scanned),
            plural(s.records_read, "record", "records")
        ),
        format!(
            "skipped {} ({}) outside the window, account or region",
            plural(s.files_skipped, "file", "files"),
            units::format_bytes(s.bytes_skipped)
        ),
    ];
    if s.files_unread > 0 {
        parts.push(format!(
            "{} not needed once the limit was reached",
            plural(s.files_unread, "file", "files")
        ));
    }
    if s.files_ignored > 0 {
        parts.push(format!(
            "ignored {}",
            plural(
                s.files_ignored,
                "file that is not a flow-log file",
                "files that are not flow-log files"
            )
        ));
    }
    if s.repeats > 0 {
        parts.push(format!(
            "left out {} to files or folders already seen",
            plural(s.repeats, "link", "links")
        ));
    }
    if s.broken_links > 0 {
        parts.push(format!(
            "left out {} that {} nowhere",
            plural(s.broken_links, "symlink", "symlinks"),
            if s.broken_links == 1 { "leads" } else { "lead" }
        ));
    }
    format!(
        "flowq: {} in {:.2} s",
        parts.join("; "),
        report.elapsed.as_secs_f64()
    )
}

/// A progress line on a terminal's stderr, redrawn while files are read.
struct ProgressLine {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl ProgressLine {
    fn start(progress: Arc<Progress>) -> ProgressLine {
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        let thread = std::thread::spawn(move || {
            let mut drawn = false;
            let over =
                || finished.load(Ordering::Relaxed) || progress.finished.load(Ordering::Relaxed);
            while !over() {
                std::thread::sleep(Duration::from_millis(200));
                if over() || !io::stderr().is_terminal() {
                    break;
                }
                let files = progress.files_done.load(Ordering::Relaxed);
                let total = progress.files_total.load(Ordering::Relaxed);
                let bytes = progress.bytes_done.load(Ordering::Relaxed);
                eprint!(
                    "\r\x1b[Kflowq: read {files}/{total} files ({})",
                    units::format_bytes(bytes)
                );
                drawn = true;
            }
            if drawn {
                eprint!("\r\x1b[K");
                let _ = io::stderr().flush();
            }
        });
        ProgressLine { done, thread }
    }

    fn stop(self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// `flowq run` on an `engine: trino` source: the compiled SQL through
/// `crate::engine::trino`, rows to `--output` or standard output, and a summary
/// with what Trino read. Ctrl-C cancels the query on the server (exit
/// 130); a query Trino fails exits 1 with its message.
pub fn run_trino(
    source: &crate::catalog::config::Source,
    checked: &CheckedQuery,
    run: &crate::cli::commands::RunOptions,
) -> Result<u8, crate::cli::commands::Failure> {
    use crate::cli::commands::Failure;
    use crate::engine::trino::{Client, Error};
    let settings = source.trino.clone().expect("trino sources have settings");
    // A byte limit that is not enforced must not look enforced.
    if run.max_scan.is_some() || source.max_scan.is_some() {
        return Err(Failure::usage(format!(
            "source '{}' runs on Trino, which flowq cannot stop at a scan limit; remove --max-scan (and the source's max_scan), or use the Trino resource group's limits",
            source.name
        )));
    }
    let sql = crate::sql::render::render(checked, &source.table)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if run.dry_run {
        print!(
            "-- dry run: would run on Trino at {} as user {} (catalog {}):\n{sql}\n",
            settings.server, settings.user, settings.catalog
        );
        return Ok(exit::OK);
    }
    let client = Client::new(trino_config(&settings, &source.table.database));
    let failed = |message: String, code| Failure {
        message: format!("flowq: error: {message}\n"),
        code,
    };
    cancel_on_ctrl_c(client.cancel_handle()).map_err(|e| failed(e, exit::FAILED))?;
    let started = Instant::now();
    let result = write_rows(
        run.format,
        run.output.as_deref(),
        OnInterrupt::LeaveToEngine,
        |sink| client.execute(&sql, sink),
        |message| Error::Output(io::Error::other(message)),
    );
    match result {
        Ok(stats) => {
            eprintln!("{}", trino_summary(&stats, started.elapsed()));
            Ok(exit::OK)
        }
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            eprintln!(
                "flowq: the output was closed after {:.2} s; the Trino query was cancelled",
                started.elapsed().as_secs_f64()
            );
            Ok(exit::OK)
        }
        Err(e @ Error::Cancelled { .. }) => Err(failed(e.to_string(), exit::INTERRUPTED)),
        Err(e) => Err(failed(e.to_string(), exit::FAILED)),
    }
}

/// The client settings of a source. Athena reads a projected partition
/// whose folder does not exist as empty (reference §3.6); Trino fails the
/// query unless the catalog's `ignore_absent_partitions` is set, so every
/// query sends it as a session property.
pub fn trino_config(
    settings: &crate::catalog::config::TrinoSettings,
    schema: &str,
) -> crate::engine::trino::Config {
    crate::engine::trino::Config {
        server: settings.server.clone(),
        user: settings.user.clone(),
        catalog: Some(settings.catalog.clone()),
        schema: Some(schema.to_string()),
        session: vec![(
            format!("{}.ignore_absent_partitions", settings.catalog),
            "true".into(),
        )],
    }
}

/// The summary line of a Trino run: rows, what Trino read, the time.
pub fn trino_summary(stats: &crate::engine::trino::QueryStats, elapsed: Duration) -> String {
    format!(
        "flowq: {} {}; Trino read {} ({} rows processed) in {:.2} s; query {}",
        stats.rows,
        if stats.rows == 1 { "row" } else { "rows" },
        units::format_bytes(stats.physical_input_bytes),
        stats.processed_rows,
        elapsed.as_secs_f64(),
        stats.query_id
    )
}

/// Sets `flag` on Ctrl-C, from a thread that listens from before this
/// returns; the Trino client then cancels the query at its next page.
fn cancel_on_ctrl_c(flag: Arc<AtomicBool>) -> Result<(), String> {
    let (ready, listening) = std::sync::mpsc::channel::<Result<(), String>>();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                return ready
                    .send(Err(format!("cannot listen for Ctrl-C: {e}")))
                    .unwrap_or(())
            }
        };
        runtime.block_on(async move {
            #[cfg(unix)]
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
            #[cfg(windows)]
            let signal = tokio::signal::windows::ctrl_c();
            match signal {
                Ok(mut signal) => {
                    let _ = ready.send(Ok(()));
                    signal.recv().await;
                    flag.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    let _ = ready.send(Err(format!("cannot listen for Ctrl-C: {e}")));
                }
            }
        });
    });
    listening
        .recv()
        .map_err(|_| "cannot listen for Ctrl-C".to_string())?
}
