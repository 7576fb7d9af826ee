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

/// The demo's folder: `$FLOWQ_DEMO_DIR`, else `$XDG_CACHE_HOME/flowq/demo`,
/// else `~/.cache/flowq/demo`.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLOWQ_DEMO_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("flowq").join("demo")
}

/// Runs the demo in `dir` at `now`, writing to `out` (progress notes go
/// to stderr).
pub fn demo(dir: &Path, now: i64, out: &mut dyn Write) -> Result<u8, Failure> {
    let logs = dir.join("flowlogs");
    let (fresh, note) = ensure_sample(dir, &logs, now)?;
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
            "flowq demo: {} saved searches over {} of synthetic flow logs in {}{}\n\n",
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

/// Writes the sample unless one from the last hour is there; says which.
fn ensure_sample(dir: &Path, logs: &Path, now: i64) -> Result<(bool, String), Failure> {
    let stamp = dir.join("sample-end");
    let previous: Option<i64> = std::fs::read_to_string(&stamp)
        .ok()
        .and_then(|s| s.trim().parse().ok());
    if previous.is_some_and(|end| now - end < REUSE_WITHIN && end <= now) && logs.is_dir() {
        return Ok((
            false,
            format!("flowq demo: reusing the sample in {}", logs.display()),
        ));
    }
    let io =
        |what: &str, e: std::io::Error| Failure::failed(format!("{what} {}: {e}", dir.display()));
    if logs.exists() {
        std::fs::remove_dir_all(logs).map_err(|e| io("cannot clear", e))?;
    }
    std::fs::create_dir_all(logs).map_err(|e| io("cannot create", e))?;
    // Whole minutes, so the files line up with the 5-minute delivery slots.
    let end = now - now.rem_euclid(60);
    let options = Options {
        flows_per_minute: 200,
        version: FormatVersion::V5,
        ..Options::new(logs, end - SPAN, end)
    };
    let summary = sample::generate(&options).map_err(|e| io("cannot write the sample in", e))?;
    std::fs::write(&stamp, end.to_string()).map_err(|e| io("cannot write", e))?;
    Ok((
        true,
        format!(
            "flowq demo: wrote {} files ({} records, {} gzip) with `flowq sample` into {}",
            summary.files,
            summary.records,
            crate::units::format_bytes(summary.gzip_bytes),
            logs.display()
        ),
    ))
}

/// The demo's searches as files, loaded like any catalog's.
fn write_searches(dir: &Path) -> Result<Vec<Search>, Failure> {
    let folder = dir.join("searches");
    std::fs::create_dir_all(&folder)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", folder.display())))?;
    let mut searches = Vec::new();
    for (name, text) in SEARCHES {
        let path = folder.join(format!("{name}.yaml"));
        std::fs::write(&path, text)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
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
        now: Some(now),
        ..QueryOptions::default()
    };
    let run = RunOptions {
        format: Format::Table,
        limit: Some(ROWS),
        quiet: true,
        ..RunOptions::default()
    };
    run_command::run(&config, &target, &options, &run).map(|_| ())
}
