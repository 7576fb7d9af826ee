//! `flowq run`: a saved search or query on its source's engine. The engine
//! is chosen and set up from the source; it writes rows into a sink on
//! standard output or `--output`, and the command line alone talks on
//! stderr: notes, a progress line on a terminal, and the summary.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::catalog::config::{Config, EngineName, Source, TrinoSettings};
use crate::cli::commands::{resolve, QueryOptions, Target};
use crate::cli::cost;
use crate::cli::failure::{exit, Failure};
use crate::cli::terminal::chart_width;
use crate::engine::athena::{self, AthenaEngine, AthenaTarget};
use crate::engine::chart::{ChartSink, ChartStyle};
use crate::engine::local::{LocalEngine, LocalSource};
use crate::engine::output::{self, Format, OnInterrupt, PendingFile, RowSink};
use crate::engine::trino::TrinoEngine;
use crate::engine::{Engine, EngineError, EngineKind, ObjectCounts, Progress, RunReport};
use crate::lang::ir::{CheckedQuery, TimeChart};
use crate::units;

/// How `flowq run` prints and limits its rows, and what it may scan.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `--format`; None when not given (see [`output_format`]).
    pub format: Option<Format>,
    /// Replaces the query's own limit.
    pub limit: Option<u64>,
    pub output: Option<PathBuf>,
    /// Only the summary on stderr.
    pub quiet: bool,
    /// The local engine's phases on stderr, after the summary.
    pub timings: bool,
    /// Print what would run, and run nothing.
    pub dry_run: bool,
    /// Stop a query past this many bytes scanned (else the source's max_scan).
    pub max_scan: Option<u64>,
    /// Reuse an identical Athena query's result up to this many seconds old.
    pub reuse: Option<i64>,
    /// GETs in flight for an S3 source (else the source's s3_concurrency).
    pub s3_concurrency: Option<usize>,
    pub athena: AthenaOverrides,
}

/// Command-line settings that replace an Athena source's.
#[derive(Clone, Debug, Default)]
pub struct AthenaOverrides {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub workgroup: Option<String>,
    pub output_location: Option<String>,
}

/// `flowq run`: runs a saved search or query on its source's engine;
/// returns the exit code. Rows go to stdout (or `--output`), a summary to
/// stderr; notes and progress only on a terminal without `--quiet`.
pub fn run(
    config: &Config,
    target: &Target,
    options: &QueryOptions,
    run: &RunOptions,
) -> Result<u8, Failure> {
    let resolved = resolve(config, target, options)?;
    let mut checked = resolved.checked.clone();
    if let Some(limit) = run.limit {
        if limit == 0 {
            return Err(Failure::usage("--limit takes a number above zero"));
        }
        if checked.output.timechart.is_some() {
            return Err(Failure::usage(
                "--limit does not apply to a timechart, which returns every bucket; remove --limit, or use a shorter window or a larger interval",
            ));
        }
        checked.output.limit = Some(limit);
        checked.output.limit_is_default = false;
    }
    let chatty = !run.quiet && io::stderr().is_terminal();
    if chatty {
        resolved.notes.iter().for_each(|n| eprintln!("{n}"));
    }
    let engine = engine_for(&resolved.source, run)?;
    if let (Some(warning), Some(_), false) = (
        athena::reuse_warning(&checked),
        run.reuse
            .filter(|_| resolved.source.engine == EngineName::Athena),
        run.quiet || run.dry_run,
    ) {
        eprintln!("flowq: warning: --reuse: {warning}");
    }
    let region = run.athena.region.as_deref();
    if run.dry_run {
        print!("{}", engine.dry_run(&checked).map_err(Failure::engine)?);
        print!("{}", dry_run_preview(&resolved.source, &checked, region));
        return Ok(exit::OK);
    }
    if let (EngineName::Athena, Some(limit)) = (
        resolved.source.engine,
        run.max_scan.or(resolved.source.max_scan),
    ) {
        refuse_past_limit_by_listing(&resolved.source, &checked, limit, region)?;
    }
    let progress = Progress::default();
    let line_done = AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        let line = chatty.then(|| ProgressLine::start(scope, &progress, &line_done));
        // Athena, Trino and the local engine on S3 stop their work on
        // Ctrl-C and then return; the local engine on a folder just ends,
        // so the pending --output goes with it.
        let on_interrupt = match resolved.source.engine {
            EngineName::Local if resolved.source.s3.is_none() => OnInterrupt::Exit,
            EngineName::Local | EngineName::Athena | EngineName::Trino => {
                OnInterrupt::LeaveToEngine
            }
        };
        let chart = checked.output.timechart.as_ref();
        let to_terminal = run.output.is_none() && io::stdout().is_terminal();
        let report = write_rows(
            output_format(run.format, chart.is_some(), to_terminal),
            run.output.as_deref(),
            chart,
            on_interrupt,
            |sink| engine.run(&checked, sink, &progress),
        );
        if let Some(line) = line {
            line.stop();
        }
        report
    })?;
    eprintln!("{}", summary(&report));
    if run.timings {
        eprintln!("{}", timings(&report));
    }
    if let Some(note) = limit_note(&checked, &report, resolved.source.table.default_limit) {
        eprintln!("{note}");
    }
    Ok(exit::OK)
}

/// The cost preview after a dry run, when the source's objects can be
/// listed; a preview that cannot list says why, and the dry run stands.
fn dry_run_preview(source: &Source, query: &CheckedQuery, region: Option<&str>) -> String {
    let preview = cost::previewed(source, region).and_then(|s3| match s3 {
        Some(s3) => cost::preview(source, &s3, query, true)
            .map(|preview| cost::describe(source, &s3, &preview)),
        None => Ok(String::new()),
    });
    preview.unwrap_or_else(|why| {
        let why = why.replace('\n', "\n--   ");
        format!("-- cost preview: skipped: {why}\n")
    })
}

/// `--max-scan` on an Athena source with a known location: the objects of
/// the window's partitions are listed first, and a query they already put
/// past the limit is not started. A location that cannot be listed leaves
/// the limit to the checks while the query runs, and a note says so.
fn refuse_past_limit_by_listing(
    source: &Source,
    query: &CheckedQuery,
    limit: u64,
    region: Option<&str>,
) -> Result<(), Failure> {
    let listed = cost::previewed(source, region).and_then(|s3| match s3 {
        Some(s3) => cost::preview(source, &s3, query, false).map(|p| Some((s3, p))),
        None => Ok(None),
    });
    match listed {
        Ok(Some((s3, preview))) => cost::refuse_past_limit(&preview, &s3, limit),
        Ok(None) => Ok(()),
        Err(why) => {
            eprintln!(
                "flowq: note: --max-scan: the location could not be listed ({why}); the limit is checked while the query runs"
            );
            Ok(())
        }
    }
}

/// The engine of a source, set up with the run's settings.
fn engine_for(source: &Source, run: &RunOptions) -> Result<Box<dyn Engine>, Failure> {
    let max_scan = run.max_scan.or(source.max_scan);
    Ok(match source.engine {
        EngineName::Local => Box::new(LocalEngine {
            source: LocalSource {
                lateness: source.table.lateness,
                ..local_source(source, run)?
            },
            max_scan,
        }),
        EngineName::Athena => {
            let settings = source.athena.clone().ok_or_else(|| {
                Failure::usage(format!("source '{}' has no Athena settings", source.name))
            })?;
            let over = &run.athena;
            Box::new(AthenaEngine {
                target: AthenaTarget {
                    region: over.region.clone().or(settings.region),
                    profile: over.profile.clone(),
                    workgroup: over.workgroup.clone().unwrap_or(settings.workgroup),
                    database: source.table.database.clone(),
                    catalog: settings.catalog,
                    output_location: over.output_location.clone().or(settings.output_location),
                },
                options: athena::RunOptions {
                    reuse_max_age: run.reuse.map(|s| Duration::from_secs(s.unsigned_abs())),
                    max_scan_bytes: max_scan,
                    ..athena::RunOptions::default()
                },
                table: source.table.clone(),
            })
        }
        EngineName::Trino => {
            // A byte limit that is not enforced must not look enforced.
            if max_scan.is_some() {
                return Err(Failure::usage(format!(
                    "source '{}' runs on Trino, which flowq cannot stop at a scan limit; remove --max-scan (and the source's max_scan), or use the Trino resource group's limits",
                    source.name
                )));
            }
            let settings = source.trino.clone().ok_or_else(|| {
                Failure::usage(format!("source '{}' has no Trino settings", source.name))
            })?;
            Box::new(TrinoEngine {
                config: trino_config(&settings, &source.table.database),
                table: source.table.clone(),
            })
        }
    })
}

/// Where a local source's files are: a folder, or an S3 prefix with the
/// run's region, profile and concurrency.
fn local_source(source: &Source, run: &RunOptions) -> Result<LocalSource, Failure> {
    let Some(s3) = &source.s3 else {
        if run.s3_concurrency.is_some() {
            return Err(Failure::usage(format!(
                "--s3-concurrency: source '{}' is a folder, not an S3 prefix; remove --s3-concurrency",
                source.name
            )));
        }
        let path = source
            .path
            .clone()
            .ok_or_else(|| Failure::usage(format!("source '{}' has no path", source.name)))?;
        return Ok(LocalSource::new(path));
    };
    let mut s3 = s3.clone();
    if let Some(n) = run.s3_concurrency {
        s3.concurrency = n;
    }
    if let Some(region) = &run.athena.region {
        s3.region = Some(region.clone());
    }
    s3.profile = run.athena.profile.clone();
    Ok(LocalSource::s3(s3))
}

/// The client settings of a source. Athena reads a projected partition
/// whose folder does not exist as empty (reference §3.6); Trino fails the
/// query unless the catalog's `ignore_absent_partitions` is set, so every
/// query sends it as a session property.
pub fn trino_config(settings: &TrinoSettings, schema: &str) -> crate::engine::trino::Config {
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

/// The format rows are written in: `--format` when given; else a
/// timechart that is not drawn (piped, redirected or `--output`) is CSV,
/// for a spreadsheet or a plotting tool; else the table.
pub fn output_format(asked: Option<Format>, timechart: bool, to_terminal: bool) -> Format {
    match asked {
        Some(format) => format,
        None if timechart && !to_terminal => Format::Csv,
        None => Format::Table,
    }
}

/// Lets `run` write rows through a sink to `--output` or standard output.
/// `--output` is replaced only if `run` succeeded: a failed query leaves
/// the old file as it was.
/// A timechart in the table format on a terminal is drawn as a chart
/// (`engine/chart.rs`); anywhere else its rows are written as they are.
pub fn write_rows(
    format: Format,
    output: Option<&Path>,
    chart: Option<&TimeChart>,
    on_interrupt: OnInterrupt,
    run: impl FnOnce(&mut dyn RowSink) -> Result<RunReport, EngineError>,
) -> Result<RunReport, Failure> {
    let Some(path) = output else {
        let stdout = io::stdout();
        let terminal = stdout.is_terminal();
        let out = Box::new(BufWriter::new(stdout.lock()));
        let mut sink: Box<dyn RowSink> = match chart {
            Some(chart) if format == Format::Table && terminal => {
                let style = ChartStyle {
                    width: chart_width(),
                    colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                };
                Box::new(ChartSink::new(out, chart, style))
            }
            _ => output::sink(format, out),
        };
        return run(sink.as_mut()).map_err(Failure::engine);
    };
    let output_failed = |e: io::Error| Failure::failed(format!("--output: {e}"));
    let file = PendingFile::create(path, on_interrupt).map_err(output_failed)?;
    let mut sink = output::sink(format, Box::new(BufWriter::new(file.file())));
    let result = run(sink.as_mut());
    drop(sink);
    let report = result.map_err(Failure::engine)?;
    file.commit().map_err(output_failed)?;
    Ok(report)
}

/// The summary line of a run, in the words of its engine.
pub fn summary(report: &RunReport) -> String {
    if report.output_closed {
        let what = match report.engine {
            EngineKind::Trino => "the Trino query was cancelled",
            _ => "stopped",
        };
        return format!(
            "flowq: the output was closed after {:.2} s; {what}",
            report.elapsed.as_secs_f64()
        );
    }
    match report.engine {
        EngineKind::Local => local_summary(report),
        EngineKind::Athena => format!("flowq: {}", athena::summary::describe(report)),
        EngineKind::Trino => format!(
            "flowq: {} {}; Trino read {} ({} rows processed) in {:.2} s; query {}",
            report.rows,
            if report.rows == 1 { "row" } else { "rows" },
            units::format_bytes(report.bytes_scanned),
            report.records_read.unwrap_or(0),
            report.elapsed.as_secs_f64(),
            report.query_id.as_deref().unwrap_or("-")
        ),
    }
}

/// The `--timings` line: each phase's wall time in milliseconds (they
/// are often a few of them), or why there are none.
fn timings(report: &RunReport) -> String {
    let Some(phases) = &report.phases else {
        return "flowq: timings: only the local engine times its phases; the summary above has the whole run's time".to_string();
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "flowq: timings: read {:.1} ms, combine {:.1} ms, write {:.1} ms",
        ms(phases.read),
        ms(phases.combine),
        ms(phases.write)
    )
}

/// Rows, what was read, what was not, and the time; for an S3 source,
/// what was listed and what the requests cost.
fn local_summary(report: &RunReport) -> String {
    let files = report.files.clone().unwrap_or_default();
    let (one, many) = match report.objects {
        Some(_) => ("object", "objects"),
        None => ("file", "files"),
    };
    let mut parts = vec![
        plural(report.rows, "row", "rows"),
        format!(
            "scanned {} ({}, {})",
            plural(files.scanned, one, many),
            units::format_bytes(report.bytes_scanned),
            plural(report.records_read.unwrap_or(0), "record", "records")
        ),
        format!(
            "skipped {} ({}) outside the window, account or region",
            plural(files.skipped, one, many),
            units::format_bytes(files.bytes_skipped)
        ),
    ];
    if files.row_groups_skipped > 0 {
        parts.push(format!(
            "skipped {} of {} by their statistics",
            plural(
                files.row_groups_skipped,
                "Parquet row group",
                "Parquet row groups"
            ),
            files.row_groups_read + files.row_groups_skipped
        ));
    }
    if files.unread > 0 {
        parts.push(format!(
            "{} not needed once the limit was reached",
            plural(files.unread, one, many)
        ));
    }
    if files.ignored > 0 {
        parts.push(format!(
            "ignored {}",
            plural(
                files.ignored,
                &format!("{one} that is not a flow-log {one}"),
                &format!("{many} that are not flow-log {many}")
            )
        ));
    }
    if files.repeats > 0 {
        parts.push(format!(
            "left out {} to files or folders already seen",
            plural(files.repeats, "link", "links")
        ));
    }
    if files.broken_links > 0 {
        parts.push(format!(
            "left out {} that {} nowhere",
            plural(files.broken_links, "symlink", "symlinks"),
            if files.broken_links == 1 {
                "leads"
            } else {
                "lead"
            }
        ));
    }
    let mut text = format!(
        "flowq: {} in {:.2} s",
        parts.join("; "),
        report.elapsed.as_secs_f64()
    );
    if let Some(objects) = &report.objects {
        text += &format!("\n{}", s3_summary(objects));
    }
    text
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An S3 source's listing and requests, their cost at list prices, and
/// what Athena would bill for the partitions listed.
fn s3_summary(objects: &ObjectCounts) -> String {
    use crate::engine::aws::s3_prices;
    let requests = s3_prices::requests_cost(objects.get_requests, objects.list_requests);
    let athena_bytes = objects.bytes_in_partitions;
    let mut text = format!(
        "flowq: S3: listed {}; {} and {} (est. {} at {}: ${}/1,000 GET, ${}/1,000 LIST); Athena would scan up to {} for the same partitions (est. {} at $5/TB, 10 MB minimum)",
        plural(objects.listed, "object", "objects"),
        plural(objects.list_requests, "LIST request", "LIST requests"),
        plural(objects.get_requests, "GET request", "GET requests"),
        athena::summary::format_dollars(requests),
        s3_prices::BASIS,
        s3_prices::GET_PER_1000,
        s3_prices::LIST_PER_1000,
        units::format_bytes(athena_bytes),
        athena::summary::format_dollars(athena::summary::estimated_cost(athena_bytes, false)),
    );
    if !objects.retries.is_empty() {
        text += &format!(
            "; the SDK retried {}: {}",
            plural(objects.retries.len() as u64, "request", "requests"),
            objects.retries.join(", ")
        );
    }
    if objects.prefixes_outside_layout > 0 {
        text += &format!(
            "\nflowq: S3: did not list {} outside the flow-log layout (e.g. {}); point --source at the prefix where AWSLogs/ starts to read them",
            plural(objects.prefixes_outside_layout, "prefix", "prefixes"),
            objects.outside_examples.join(", ")
        );
    }
    text
}

/// When the source's default limit may have cut the rows, says so: a
/// silent cutoff reads as "that is all there is".
fn limit_note(query: &CheckedQuery, report: &RunReport, default_limit: u64) -> Option<String> {
    let cut = query.output.limit_is_default
        && query.output.limit == Some(default_limit)
        && report.rows >= default_limit
        && !report.output_closed;
    cut.then(|| {
        format!(
            "flowq: showing the first {default_limit} rows (the source's default_limit); there may be more: add '| limit N' to the query or pass --limit N"
        )
    })
}

/// A progress line on a terminal's stderr, redrawn while the engine runs.
struct ProgressLine<'scope> {
    done: &'scope AtomicBool,
    thread: std::thread::ScopedJoinHandle<'scope, ()>,
}

impl<'scope> ProgressLine<'scope> {
    fn start<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        progress: &'scope Progress,
        done: &'scope AtomicBool,
    ) -> ProgressLine<'scope> {
        let thread = scope.spawn(move || draw_until(done, progress));
        ProgressLine { done, thread }
    }

    fn stop(self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

fn draw_until(done: &AtomicBool, progress: &Progress) {
    let started = std::time::Instant::now();
    let mut drawn = false;
    let over = || done.load(Ordering::Relaxed) || progress.is_finished();
    while !over() {
        std::thread::sleep(Duration::from_millis(200));
        if over() || !io::stderr().is_terminal() {
            break;
        }
        for note in progress.take_notes() {
            eprint!("\r\x1b[Kflowq: {note}\n");
        }
        eprint!("\r\x1b[K{}", progress_text(progress, started.elapsed()));
        drawn = true;
    }
    if drawn {
        eprint!("\r\x1b[K");
        let _ = io::stderr().flush();
    }
}

/// Short enough for an 80-column terminal: a wrapped line redraws badly.
fn progress_text(progress: &Progress, elapsed: Duration) -> String {
    let bytes = units::format_bytes(progress.bytes_done.load(Ordering::Relaxed));
    match progress.state() {
        Some(state) => format!(
            "flowq: {:>4}s {state:<9} {bytes:>9} scanned   Ctrl-C stops the query",
            elapsed.as_secs()
        ),
        None => format!(
            "flowq: read {}/{} {} ({bytes} of {})",
            progress.files_done.load(Ordering::Relaxed),
            progress.files_total.load(Ordering::Relaxed),
            if progress.objects.load(Ordering::Relaxed) {
                "objects"
            } else {
                "files"
            },
            units::format_bytes(progress.bytes_total.load(Ordering::Relaxed))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{output_format, progress_text};
    use crate::engine::output::Format;
    use crate::engine::Progress;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    #[test]
    fn the_progress_line_counts_files_or_objects_and_bytes_of_the_total() {
        let progress = Progress::default();
        progress.files_total.store(40, Ordering::Relaxed);
        progress.bytes_total.store(9_800_000, Ordering::Relaxed);
        progress.file_done(1_500_000);
        progress.file_done(1_600_000);
        let at = Duration::from_secs(3);
        assert_eq!(
            progress_text(&progress, at),
            "flowq: read 2/40 files (3.10 MB of 9.80 MB)"
        );
        progress.objects.store(true, Ordering::Relaxed);
        assert_eq!(
            progress_text(&progress, at),
            "flowq: read 2/40 objects (3.10 MB of 9.80 MB)"
        );
    }

    #[test]
    fn an_undrawn_timechart_is_csv_unless_a_format_is_given() {
        assert_eq!(output_format(None, true, false), Format::Csv);
        assert_eq!(output_format(None, true, true), Format::Table);
        assert_eq!(
            output_format(Some(Format::Table), true, false),
            Format::Table
        );
        assert_eq!(
            output_format(Some(Format::Jsonl), true, true),
            Format::Jsonl
        );
        assert_eq!(output_format(None, false, false), Format::Table);
        assert_eq!(output_format(None, false, true), Format::Table);
    }
}
