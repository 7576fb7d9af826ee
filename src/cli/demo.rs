//! `flowq demo`: what a new user sees first. It writes a synthetic day of
//! flow logs ending now into a cache folder (or reuses one written in the
//! last hour), then runs a few of the shipped saved searches on it with
//! the local engine: no AWS account, no table, no configuration.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::catalog::config::Config;
use crate::catalog::search::{self, Search};
use crate::cli::commands::{QueryOptions, Target};
use crate::cli::failure::{exit, Failure};
use crate::cli::run::{self as run_command, RunOptions};
use crate::engine::output::Format;
use crate::sample::{self, FormatVersion, Options};

/// The searches the demo runs, embedded so that it works from any folder.
const SEARCHES: &[(&str, &str)] = &[
    ("port-scans", include_str!("../../searches/port-scans.yaml")),
    (
        "admin-port-traffic",
        include_str!("../../searches/admin-port-traffic.yaml"),
    ),
    (
        "rejected-tcp-by-source",
        include_str!("../../searches/rejected-tcp-by-source.yaml"),
    ),
    (
        "top-conversations",
        include_str!("../../searches/top-conversations.yaml"),
    ),
    (
        "egress-to-internet",
        include_str!("../../searches/egress-to-internet.yaml"),
    ),
    (
        "skipdata-counts",
        include_str!("../../searches/skipdata-counts.yaml"),
    ),
];

/// Rows shown per search: the demo is for reading.
const ROWS: u64 = 8;

/// A sample this recent is reused rather than written again.
const REUSE_WITHIN: i64 = 3600;

/// The file that makes a folder the demo's own. flowq writes it into a
/// folder it found empty (or created), and only ever deletes or replaces
/// files in a folder that has it; it is also the lock that keeps two
/// demos from writing the sample at once.
const MARKER: &str = ".flowq-demo";

const MARKER_TEXT: &str =
    "This folder belongs to `flowq demo`, which deletes and rewrites what is in it.\n";

/// The demo's folder: `$FLOWQ_DEMO_DIR`, else `$XDG_CACHE_HOME/flowq/demo`,
/// else `~/.cache/flowq/demo`. A variable set to the empty string counts
/// as unset (an empty FLOWQ_DEMO_DIR once meant the current folder).
pub fn default_dir() -> PathBuf {
    let set = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = set("FLOWQ_DEMO_DIR") {
        return dir;
    }
    let cache = set("XDG_CACHE_HOME")
        .or_else(|| set("HOME").map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("flowq").join("demo")
}

/// Runs the demo in `dir` at `now`, writing to `out` (progress notes go
/// to stderr).
pub fn demo(dir: &Path, now: i64, out: &mut dyn Write) -> Result<u8, Failure> {
    claim(dir)?;
    let logs = dir.join("flowlogs");
    // Held until the searches have run: no other demo rewrites the sample
    // while this one reads it.
    let (fresh, note, _lock) = ensure_sample(dir, &logs, now)?;
    eprintln!("{note}");
    let searches = write_searches(dir)?;
    let write = |out: &mut dyn Write, text: String| {
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| Failure::output(&e))
    };
    write(
        out,
        format!(
            "flowq demo: {} saved searches over {} of synthetic flow logs in {}{}; the first {ROWS} rows of each\n\n",
            searches.len(),
            crate::units::format_duration(SPAN),
            logs.display(),
            if fresh { "" } else { " (reused)" }
        ),
    )?;
    for search in &searches {
        write(
            out,
            format!(
                "== {} ({})\n   {}\n",
                search.title,
                search.name,
                search.query.trim()
            ),
        )?;
        run_search(search, dir, &logs, now)?;
        write(out, "\n".into())?;
    }
    write(out, format!(
        "Next: `flowq run NAME --source {}` runs any search in searches/ on these files; `flowq explain NAME` shows the Athena SQL.\n",
        logs.display()
    ))?;
    Ok(exit::OK)
}

/// How much the sample covers, up to now.
const SPAN: i64 = 24 * 3600;

fn failed(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::failed(format!("{what} {}: {e}", path.display()))
}

/// Makes `dir` the demo's folder: one that has the marker, or a new or
/// empty one, which gets it. Any other folder is refused untouched.
fn claim(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| failed("cannot create", dir, e))?;
    let marker = dir.join(MARKER);
    if marker.is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir).map_err(|e| failed("cannot list", dir, e))?;
    if entries.next().is_some() {
        return Err(Failure::usage(format!(
            "{} is not a flowq demo folder: it is not empty, and it has no {MARKER} file, so flowq did not make it; the demo only writes into a new or empty folder, or one it made\n  = help: give --dir a new or empty folder (or set FLOWQ_DEMO_DIR to one); this folder is left as it is",
            dir.display()
        )));
    }
    std::fs::write(&marker, MARKER_TEXT).map_err(|e| failed("cannot write", &marker, e))
}

/// Makes sure a sample from the last hour is in `logs`, writing one if
/// need be; says which. Returns the marker, locked shared: demos read the
/// sample side by side, and one rewrites it only under the exclusive lock,
/// when none is reading.
fn ensure_sample(
    dir: &Path,
    logs: &Path,
    now: i64,
) -> Result<(bool, String, std::fs::File), Failure> {
    let marker = dir.join(MARKER);
    let lock = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&marker)
        .map_err(|e| failed("cannot open", &marker, e))?;
    let locking = |e| failed("cannot lock", &marker, e);
    let mut wrote = None;
    // Between releasing the exclusive lock and taking the shared one,
    // a demo with another --now may rewrite the sample: look again.
    for _ in 0..3 {
        lock.lock_shared().map_err(locking)?;
        if reusable(dir, logs, now) {
            let (fresh, note) = match wrote {
                Some(note) => (true, note),
                None => (
                    false,
                    format!("flowq demo: reusing the sample in {}", logs.display()),
                ),
            };
            return Ok((fresh, note, lock));
        }
        lock.unlock().and_then(|()| lock.lock()).map_err(locking)?;
        // Another demo may have written it while this one waited.
        if !reusable(dir, logs, now) {
            wrote = Some(write_sample(dir, logs, now)?);
        }
        lock.unlock().map_err(locking)?;
    }
    Err(Failure::failed(format!(
        "the sample in {} keeps being rewritten by other demos (run with another --now?); try again",
        logs.display()
    )))
}

/// Whether the sample in `logs` is complete and ends in the hour before `now`.
fn reusable(dir: &Path, logs: &Path, now: i64) -> bool {
    let previous: Option<i64> = std::fs::read_to_string(dir.join("sample-end"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    previous.is_some_and(|end| now - end < REUSE_WITHIN && end <= now) && logs.is_dir()
}

/// Writes a sample into a folder beside `logs` and renames it into place,
/// so that `logs` is only ever a whole sample; then writes its end time.
/// Runs under the exclusive lock.
fn write_sample(dir: &Path, logs: &Path, now: i64) -> Result<String, Failure> {
    let stamp = dir.join("sample-end");
    remove_unfinished_samples(dir)?;
    let unfinished = dir.join(format!(".flowlogs-{}.tmp", std::process::id()));
    // Whole minutes, so the files line up with the 5-minute delivery slots.
    let end = now - now.rem_euclid(60);
    let options = Options {
        flows_per_minute: 200,
        version: FormatVersion::V5,
        ..Options::new(&unfinished, end - SPAN, end)
    };
    let summary =
        sample::generate(&options).map_err(|e| failed("cannot write the sample in", dir, e))?;
    let gone = |path: &Path, result: std::io::Result<()>| match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed("cannot remove", path, e)),
        _ => Ok(()),
    };
    gone(&stamp, std::fs::remove_file(&stamp))?;
    gone(logs, std::fs::remove_dir_all(logs))?;
    std::fs::rename(&unfinished, logs).map_err(|e| failed("cannot rename into", logs, e))?;
    std::fs::write(&stamp, end.to_string()).map_err(|e| failed("cannot write", &stamp, e))?;
    Ok(format!(
        "flowq demo: wrote {} files ({} records, {} gzip) with `flowq sample` into {}",
        summary.files,
        summary.records,
        crate::units::format_bytes(summary.gzip_bytes),
        logs.display()
    ))
}

/// Samples that a demo stopped while writing (Ctrl-C) left behind; under
/// the exclusive lock, no demo is writing one.
fn remove_unfinished_samples(dir: &Path) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| failed("cannot list", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| failed("cannot list", dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(".flowlogs-") && name.ends_with(".tmp") {
            std::fs::remove_dir_all(&path).map_err(|e| failed("cannot remove", &path, e))?;
        }
    }
    Ok(())
}

/// The demo's searches as files, loaded like any catalog's. Each file is
/// replaced whole (written beside it, then renamed), and only when its
/// text changed, so a demo that runs meanwhile never reads half of one.
fn write_searches(dir: &Path) -> Result<Vec<Search>, Failure> {
    let folder = dir.join("searches");
    std::fs::create_dir_all(&folder).map_err(|e| failed("cannot create", &folder, e))?;
    let mut searches = Vec::new();
    for (name, text) in SEARCHES {
        let path = folder.join(format!("{name}.yaml"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(*text) {
            let unfinished = folder.join(format!(".{name}.yaml.{}.tmp", std::process::id()));
            std::fs::write(&unfinished, text)
                .and_then(|()| std::fs::rename(&unfinished, &path))
                .map_err(|e| failed("cannot write", &path, e))?;
        }
        searches.push(search::load_search(&path).map_err(|e| Failure::located(&e))?);
    }
    Ok(searches)
}

/// Runs one search the way `flowq run NAME --source LOGS --limit 8 --quiet`
/// would, with the demo's folder as the catalog.
fn run_search(search: &Search, dir: &Path, logs: &Path, now: i64) -> Result<(), Failure> {
    let config = Config::builtin(dir);
    let target = Target::Search(search.name.clone());
    let options = QueryOptions {
        source: Some(logs.display().to_string()),
        now: Some(crate::time::Time::from_unix(now).map_err(|e| Failure::usage(e.to_string()))?),
        ..QueryOptions::default()
    };
    let run = RunOptions {
        format: Some(Format::Table),
        limit: Some(ROWS),
        quiet: true,
        ..RunOptions::default()
    };
    run_command::run(&config, &target, &options, &run).map(|_| ())
}
