//! What each command does, as functions of their options that return the
//! text to print, so that `main.rs` only parses arguments and the commands
//! can be tested without a process. docs/cli.md documents them.

use std::path::{Path, PathBuf};

use crate::catalog::config::{Config, EngineName, Source};
use crate::catalog::search::{self, Search};
use crate::catalog::validate;
use crate::lang::check::CheckContext;
use crate::lang::diagnostic::{Located, SourceText};
use crate::lang::ir::Params;
use crate::schema::LogFormat;
use crate::sql::{ddl, explain, Compiled};
use crate::table::{Partitioning, Scheme};
use crate::units;

/// Exit codes (docs/cli.md).
pub mod exit {
    pub const OK: u8 = 0;
    /// The query failed, or `check` found errors.
    pub const FAILED: u8 = 1;
    /// A usage, config or compile error.
    pub const USAGE: u8 = 2;
    /// Stopped by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// A command that did not succeed: what to tell the user, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: format!("flowq: error: {}\n", message.into()),
            code: exit::USAGE,
        }
    }

    pub fn located(found: &[Located]) -> Failure {
        Failure {
            message: found.iter().map(Located::render).collect(),
            code: exit::USAGE,
        }
    }
}

/// What to compile: a saved search by name, or a query.
#[derive(Clone, Debug)]
pub enum Target {
    Search(String),
    Query(String),
}

impl Target {
    /// A positional argument names a saved search when one exists by that
    /// name; otherwise it is a query. `--query` always means a query.
    pub fn from_argument(argument: &str, config: &Config) -> Target {
        let path = |ext| config.catalog.join(format!("{argument}.{ext}"));
        if search::is_valid_name(argument) && (path("yaml").is_file() || path("yml").is_file()) {
            Target::Search(argument.to_string())
        } else {
            Target::Query(argument.to_string())
        }
    }
}

/// Options every compiling command shares.
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    pub source: Option<String>,
    pub now: Option<String>,
    /// `name=value` pairs.
    pub params: Vec<String>,
    pub allow_full_scan: bool,
    /// Try another partitioning scheme than the source's.
    pub scheme: Option<String>,
    /// Try another log format than the source's.
    pub log_format: Option<String>,
}

/// A query resolved against its source and compiled.
pub struct Resolved {
    pub query: crate::lang::ast::Query,
    pub checked: crate::lang::ir::CheckedQuery,
    pub source: Source,
    pub search: Option<Search>,
    /// Notes for stderr (the default window, ...).
    pub notes: Vec<String>,
}

impl Resolved {
    /// The query with its SQL for the source's table. Only SQL engines
    /// need it, so it is rendered on demand, never for the local engine.
    pub fn compiled(&self) -> Result<Compiled, Failure> {
        self.compiled_with(self.checked.clone())
    }

    /// The same, for a checked query changed since (`--limit`).
    fn compiled_with(&self, checked: crate::lang::ir::CheckedQuery) -> Result<Compiled, Failure> {
        let sql = crate::sql::render::render(&checked, &self.source.table)
            .map_err(|e| Failure::usage(e.to_string()))?;
        Ok(Compiled {
            query: self.query.clone(),
            checked,
            sql,
        })
    }
}

pub fn now(options: &QueryOptions) -> Result<i64, Failure> {
    match &options.now {
        Some(text) => {
            crate::time::parse_now(text).map_err(|e| Failure::usage(format!("--now: {e}")))
        }
        None => Ok(crate::time::now()),
    }
}

fn param_pairs(pairs: &[String]) -> Result<Vec<(String, String)>, Failure> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(n, v)| (n.trim().trim_start_matches('$').to_string(), v.to_string()))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "--param '{pair}' needs the form NAME=VALUE, e.g. -p window=6h"
                    ))
                })
        })
        .collect()
}

/// Resolves a target to its source, parameters and compiled query.
pub fn resolve(
    config: &Config,
    target: &Target,
    options: &QueryOptions,
) -> Result<Resolved, Failure> {
    let now = now(options)?;
    let given = param_pairs(&options.params)?;
    let search = match target {
        Target::Search(name) => {
            Some(search::find(&config.catalog, name).map_err(|e| Failure::located(&e))?)
        }
        Target::Query(_) => None,
    };
    let source_name = options
        .source
        .as_deref()
        .or(search.as_ref().and_then(|s| s.source.as_deref()));
    let mut source = config.source(source_name).map_err(Failure::usage)?;
    override_table(&mut source, options)?;
    let params = match &search {
        Some(s) => s
            .params(&given)
            .map_err(|errors| Failure::usage(errors.join("\n  ")))?,
        None => {
            let mut params = Params::default();
            for (name, value) in &given {
                params
                    .insert(name, value)
                    .map_err(|why| Failure::usage(format!("--param {name}: {why}")))?;
            }
            params
        }
    };
    let ctx = CheckContext {
        table: &source.table,
        now,
        params: &params,
    };
    let (query, checked) = match (&search, target) {
        (Some(search), _) => crate::lang::check_query(&search.query, &ctx).map_err(|d| {
            Failure::located(&d.iter().map(|d| search.locate(d)).collect::<Vec<_>>())
        })?,
        (None, Target::Query(text)) => crate::lang::check_query(text, &ctx).map_err(|d| {
            Failure::located(
                &d.iter()
                    .map(|d| d.locate("query", &SourceText::new(text)))
                    .collect::<Vec<_>>(),
            )
        })?,
        (None, Target::Search(_)) => unreachable!("a search target loads a search"),
    };
    let window = checked.window;
    if window.is_unbounded() && !options.allow_full_scan {
        return Err(Failure::usage(
            "the window has no start, so the query would scan every partition\n  = help: give a window like 'last 24h', or pass --allow-full-scan",
        ));
    }
    let mut notes = Vec::new();
    if window.is_default {
        notes.push(format!(
            "flowq: no window given: using the source's default, last {}",
            units::format_duration(source.table.default_window)
        ));
    }
    Ok(Resolved {
        query,
        checked,
        source,
        search,
        notes,
    })
}

fn override_table(source: &mut Source, options: &QueryOptions) -> Result<(), Failure> {
    if let Some(name) = &options.scheme {
        let scheme = Scheme::from_name(name)
            .ok_or_else(|| Failure::usage(format!("unknown scheme '{name}'")))?;
        let old = std::mem::replace(&mut source.table.partitioning, Partitioning::new(scheme));
        source.table.partitioning.account_column = old.account_column;
        source.table.partitioning.region_column = old.region_column;
    }
    if let Some(text) = &options.log_format {
        source.table.format = LogFormat::parse(text).map_err(|e| {
            let d = crate::lang::diagnostic::Diagnostic {
                help: e.help,
                ..crate::lang::diagnostic::Diagnostic::error(
                    crate::lang::ast::Span::new(e.start, e.end),
                    e.message,
                )
            };
            Failure::located(&[d.locate("--log-format", &SourceText::new(text))])
        })?;
    }
    source.table.validate().map_err(Failure::usage)
}

/// How `flowq run` prints and limits its rows, and what it may scan.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub format: crate::engine::output::Format,
    /// Replaces the query's own limit.
    pub limit: Option<u64>,
    pub output: Option<PathBuf>,
    /// Only the summary on stderr.
    pub quiet: bool,
    /// Print what would run, and run nothing.
    pub dry_run: bool,
    /// Stop a query past this many bytes scanned (else the source's max_scan).
    pub max_scan: Option<u64>,
    /// Reuse an identical Athena query's result up to this many seconds old.
    pub reuse: Option<i64>,
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
    use std::io::IsTerminal;
    let resolved = resolve(config, target, options)?;
    let mut checked = resolved.checked.clone();
    if let Some(limit) = run.limit {
        if limit == 0 {
            return Err(Failure::usage("--limit takes a number above zero"));
        }
        checked.output.limit = Some(limit);
    }
    let chatty = !run.quiet && std::io::stderr().is_terminal();
    if chatty {
        resolved.notes.iter().for_each(|n| eprintln!("{n}"));
    }
    match resolved.source.engine {
        EngineName::Local => run_local(&resolved, &checked, run, chatty),
        EngineName::Athena => run_athena(&resolved, checked, run),
        EngineName::Trino => crate::cli::run::run_trino(&resolved.source, &checked, run),
    }
}

fn run_local(
    resolved: &Resolved,
    checked: &crate::lang::ir::CheckedQuery,
    run: &RunOptions,
    chatty: bool,
) -> Result<u8, Failure> {
    let path = resolved
        .source
        .path
        .clone()
        .expect("local sources have a path");
    if run.dry_run {
        let window = &checked.window;
        return print_dry_run(&format!(
            "-- dry run: the local engine would read {} for the window {}\n",
            path.display(),
            crate::sql::explain::span(window.start, window.end)
        ));
    }
    let local = crate::engine::local::LocalSource {
        lateness: resolved.source.table.lateness,
        ..crate::engine::local::LocalSource::new(path)
    };
    let output = crate::cli::run::OutputOptions {
        format: run.format,
        output: run.output.clone(),
        chatty,
    };
    match crate::cli::run::run_local(checked, local, &output) {
        Ok(report) => {
            eprintln!("{}", crate::cli::run::summary(&report));
            Ok(exit::OK)
        }
        Err(crate::cli::run::RunError::Usage(message)) => Err(Failure::usage(message)),
        Err(crate::cli::run::RunError::Failed(e)) => Err(Failure {
            message: format!("flowq: error: {e}\n"),
            code: exit::FAILED,
        }),
    }
}

fn run_athena(
    resolved: &Resolved,
    checked: crate::lang::ir::CheckedQuery,
    run: &RunOptions,
) -> Result<u8, Failure> {
    use crate::engine::athena;
    let source = &resolved.source;
    let settings = source.athena.clone().expect("athena sources have settings");
    let over = &run.athena;
    let target = athena::AthenaTarget {
        region: over.region.clone().or(settings.region),
        profile: over.profile.clone(),
        workgroup: over.workgroup.clone().unwrap_or(settings.workgroup),
        database: source.table.database.clone(),
        catalog: settings.catalog,
        output_location: over.output_location.clone().or(settings.output_location),
    };
    let options = athena::RunOptions {
        reuse_max_age: run
            .reuse
            .map(|s| std::time::Duration::from_secs(s.unsigned_abs())),
        max_scan_bytes: run.max_scan.or(source.max_scan),
        has_partition_predicate: !checked.window.is_unbounded(),
        quiet: run.quiet,
        ..athena::RunOptions::default()
    };
    let compiled = resolved.compiled_with(checked)?;
    let athena_failure = |e: athena::AthenaError| Failure {
        message: format!("{e}\n"),
        code: e.exit_code(),
    };
    if let (Some(warning), Some(_), false) = (
        athena::reuse_warning(&compiled.checked),
        options.reuse_max_age,
        run.quiet || run.dry_run,
    ) {
        eprintln!("flowq: warning: --reuse: {warning}");
    }
    if run.dry_run {
        return print_dry_run(
            &athena::dry_run(&target, &compiled, &options).map_err(athena_failure)?,
        );
    }
    let summary = crate::cli::run::write_rows(
        run.format,
        run.output.as_deref(),
        |sink| athena::run_blocking(&target, &compiled.sql, &options, sink).map_err(athena_failure),
        |message| Failure {
            message: format!("flowq: error: {message}\n"),
            code: exit::FAILED,
        },
    )?;
    eprintln!("flowq: {summary}");
    Ok(exit::OK)
}

fn print_dry_run(text: &str) -> Result<u8, Failure> {
    print!("{text}");
    Ok(exit::OK)
}

/// `flowq publish`: every saved search whose source is an Athena source
/// (or `--source`'s) as a named query of its workgroup, with the SQL of
/// its default parameters. Searches with a required parameter are left
/// out: a named query cannot ask for it.
pub fn publish(
    config: &Config,
    source: Option<&str>,
    workgroup: Option<&str>,
    now: i64,
) -> Result<(String, u8), Failure> {
    use crate::engine::athena;
    let (searches, errors) = search::load_all(&config.catalog);
    if !errors.is_empty() {
        return Err(Failure::located(&errors));
    }
    let source = config.source(source).map_err(Failure::usage)?;
    let Some(settings) = source.athena.clone() else {
        return Err(Failure::usage(format!(
            "source '{}' is not an Athena source",
            source.name
        )));
    };
    let mut queries = Vec::new();
    let mut notes = String::new();
    for search in searches
        .iter()
        .filter(|s| s.source.as_deref().unwrap_or(&config.default_source) == source.name)
    {
        let required: Vec<&String> = search
            .params
            .iter()
            .filter(|(_, p)| p.default.is_none())
            .map(|(n, _)| n)
            .collect();
        if !required.is_empty() {
            notes.push_str(&format!(
                "left out {}: parameter {} has no default\n",
                search.name,
                required
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        let options = QueryOptions {
            source: Some(source.name.clone()),
            now: Some(crate::time::format_rfc3339(now)),
            ..QueryOptions::default()
        };
        let resolved = resolve(config, &Target::Search(search.name.clone()), &options)?;
        let description = format!("{}: {}", search.title, search.description);
        queries.push(athena::NamedQuery {
            name: search.name.clone(),
            description: Some(description.chars().take(1024).collect()),
            sql: resolved.compiled()?.sql,
        });
    }
    let target = athena::AthenaTarget {
        region: settings.region.clone(),
        workgroup: workgroup
            .map(String::from)
            .unwrap_or(settings.workgroup.clone()),
        database: source.table.database.clone(),
        ..athena::AthenaTarget::default()
    };
    let report = athena::runtime()
        .and_then(|rt| {
            rt.block_on(async {
                let client = athena::Athena::connect(&target).await?;
                athena::publish(&client, &target.workgroup, &target.database, &queries).await
            })
        })
        .map_err(|e| Failure {
            message: format!("{e}\n"),
            code: e.exit_code(),
        })?;
    let mut out = notes;
    for name in &report.created {
        out.push_str(&format!("created {name}\n"));
    }
    for skipped in &report.skipped {
        let why = if skipped.differs {
            " (its SQL in Athena differs)"
        } else {
            ""
        };
        out.push_str(&format!(
            "skipped {}: already in workgroup {}{why}\n",
            skipped.name, target.workgroup
        ));
    }
    for (name, error) in &report.failed {
        out.push_str(&format!("failed {name}: {error}\n"));
    }
    let code = if report.failed.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    };
    Ok((out, code))
}

/// `flowq compile`: the SQL.
pub fn compile(
    config: &Config,
    target: &Target,
    options: &QueryOptions,
) -> Result<(String, Vec<String>), Failure> {
    let resolved = resolve(config, target, options)?;
    require_sql(&resolved.source)?;
    Ok((resolved.compiled()?.sql, resolved.notes))
}

/// `flowq explain`: the query's meaning and scan, then the SQL.
pub fn explain(
    config: &Config,
    target: &Target,
    options: &QueryOptions,
) -> Result<String, Failure> {
    let resolved = resolve(config, target, options)?;
    Ok(explain::explain(
        &resolved.compiled()?,
        &resolved.source.table,
    ))
}

fn require_sql(source: &Source) -> Result<(), Failure> {
    if source.engine == EngineName::Local {
        return Err(Failure::usage(format!(
            "source '{}' runs on the local engine, which takes no SQL\n  = help: name an athena or trino source with --source, or use 'flowq run'",
            source.name
        )));
    }
    Ok(())
}

/// `flowq check`: the report and the exit code. A config that does not
/// load is reported like any other finding.
pub fn check(
    config: Result<Config, Vec<Located>>,
    paths: &[PathBuf],
    now: i64,
    json: bool,
    strict: bool,
) -> (String, u8) {
    let report = match config {
        Ok(config) => validate::check_catalog(&config, paths, now),
        Err(findings) => validate::Report {
            findings,
            searches: 0,
        },
    };
    let failed = report.errors() > 0 || (strict && report.warnings() > 0);
    let text = if json {
        report.to_json()
    } else {
        report.render()
    };
    (text, if failed { exit::FAILED } else { exit::OK })
}

/// `flowq list`: name, title, tags and source of each saved search.
pub fn list(config: &Config, tag: Option<&str>) -> Result<String, Failure> {
    let (searches, errors) = search::load_all(&config.catalog);
    if !errors.is_empty() {
        return Err(Failure::located(&errors));
    }
    let rows: Vec<[String; 4]> = searches
        .iter()
        .filter(|s| {
            tag.is_none_or(|t| {
                s.tags
                    .iter()
                    .any(|x| x == t || x.starts_with(&format!("{t}.")))
            })
        })
        .map(|s| {
            [
                s.name.clone(),
                s.title.clone(),
                s.tags.join(","),
                s.source
                    .clone()
                    .unwrap_or_else(|| config.default_source.clone()),
            ]
        })
        .collect();
    let header = ["NAME", "TITLE", "TAGS", "SOURCE"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 4]| {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        cells.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&header);
    for row in &rows {
        out.push_str(&line(row));
    }
    Ok(out)
}

/// `flowq show`: the search's YAML, its canonical query, and the SQL.
pub fn show(
    config: &Config,
    name: &str,
    options: &QueryOptions,
    sql_only: bool,
) -> Result<(String, Vec<String>), Failure> {
    let resolved = resolve(config, &Target::Search(name.to_string()), options)?;
    let search = resolved.search.as_ref().expect("a search target");
    let sql = if resolved.source.engine == EngineName::Local {
        format!(
            "-- source '{}' runs on the local engine: no SQL\n",
            resolved.source.name
        )
    } else {
        resolved.compiled()?.sql
    };
    if sql_only {
        return Ok((sql, resolved.notes));
    }
    let mut out = format!("# {}\n", search.path.display());
    out.push_str(&search.text);
    if !search.text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("\n# canonical query\n{}\n", resolved.query));
    out.push_str(&format!(
        "\n# SQL for source '{}'\n{sql}",
        resolved.source.name
    ));
    Ok((out, resolved.notes))
}

/// `flowq ddl`: CREATE TABLE, or ADD PARTITION statements for a range.
pub fn ddl(
    config: &Config,
    source: Option<&str>,
    partitions: Option<(&str, &str)>,
) -> Result<String, Failure> {
    let source = config.source(source).map_err(Failure::usage)?;
    if source.engine == EngineName::Local {
        return Err(Failure::usage(format!(
            "source '{}' is a local folder: it needs no table",
            source.name
        )));
    }
    let result = match partitions {
        None => ddl::create_table(&source),
        Some((since, until)) => {
            let since = crate::time::parse_now(since)
                .map_err(|e| Failure::usage(format!("--since: {e}")))?;
            let until = crate::time::parse_instant(until)
                .map_err(|e| Failure::usage(format!("--until: {e}")))?;
            // A date means the whole day: every hour of it on hourly schemes.
            let until = if until.is_date {
                until.seconds + 86_399
            } else {
                until.seconds
            };
            if until < since {
                return Err(Failure::usage("--until is before --since"));
            }
            ddl::add_partitions(&source, since, until)
        }
    };
    result.map_err(|e| Failure::usage(e.to_string()))
}

/// `flowq ddl --engine trino`: the Trino `CREATE TABLE` for a source.
pub fn ddl_trino(config: &Config, source: Option<&str>) -> Result<String, Failure> {
    let source = config.source(source).map_err(Failure::usage)?;
    crate::sql::ddl_trino::for_source(&source)
        .map(|sql| format!("{sql};\n"))
        .map_err(|e| Failure::usage(e.to_string()))
}

/// The starter config and searches `flowq init` writes.
const STARTER: &[(&str, &str)] = &[
    ("flowq.yaml", include_str!("../../flowq.yaml")),
    (
        "searches/rejected-ssh-rdp-from-outside.yaml",
        include_str!("../../searches/rejected-ssh-rdp-from-outside.yaml"),
    ),
    (
        "searches/top-talkers.yaml",
        include_str!("../../searches/top-talkers.yaml"),
    ),
    (
        "searches/traffic-from-address.yaml",
        include_str!("../../searches/traffic-from-address.yaml"),
    ),
    (
        "searches/port-scans.yaml",
        include_str!("../../searches/port-scans.yaml"),
    ),
];

/// `flowq init`: a starter flowq.yaml and searches in an empty folder.
pub fn init(dir: &Path) -> Result<String, Failure> {
    if dir.join("flowq.yaml").exists() || dir.join("searches").exists() {
        return Err(Failure::usage(format!(
            "{} already has a flowq.yaml or searches/; init only writes into a folder without them",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir.join("searches"))
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    let mut out = String::new();
    for (path, text) in STARTER {
        let target = dir.join(path);
        std::fs::write(&target, text)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", target.display())))?;
        out.push_str(&format!("wrote {}\n", target.display()));
    }
    out.push_str("next: edit flowq.yaml's sources, then run `flowq check` and `flowq list`\n");
    Ok(out)
}

/// What `flowq sample` writes.
#[derive(Clone, Debug)]
pub struct SampleOptions {
    pub out: PathBuf,
    /// RFC 3339 or a date.
    pub start: String,
    pub end: String,
    pub flows_per_minute: u32,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub layout: crate::sample::Layout,
    pub hourly: bool,
    pub version: crate::sample::FormatVersion,
    pub seed: u64,
}

/// `flowq sample`: synthetic flow logs; returns the summary line.
pub fn sample(args: &SampleOptions) -> Result<String, Failure> {
    let time = |flag: &str, text: &str| {
        crate::time::parse_now(text).map_err(|e| Failure::usage(format!("{flag}: {e}")))
    };
    let options = crate::sample::Options {
        flows_per_minute: args.flows_per_minute,
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
        layout: args.layout,
        hourly: args.hourly,
        version: args.version,
        seed: args.seed,
        ..crate::sample::Options::new(
            &args.out,
            time("--start", &args.start)?,
            time("--end", &args.end)?,
        )
    };
    options.validate().map_err(Failure::usage)?;
    let summary = crate::sample::generate(&options).map_err(|e| Failure {
        message: format!("flowq: error: writing {}: {e}\n", args.out.display()),
        code: exit::FAILED,
    })?;
    Ok(format!(
        "flowq sample: wrote {} files, {} records, {} ({} gzip) under {}",
        summary.files,
        summary.records,
        units::format_bytes(summary.bytes),
        units::format_bytes(summary.gzip_bytes),
        args.out.display()
    ))
}
