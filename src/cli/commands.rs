//! What each command does, as functions of their options that return the
//! text to print, so that `main.rs` only parses arguments and the commands
//! can be tested without a process. docs/cli.md documents them.

use std::path::{Path, PathBuf};

use crate::catalog::config::{Config, EngineName, Source};
use crate::catalog::search::{self, Search};
use crate::catalog::validate;
use crate::cli::failure::{exit, Failure};
use crate::lang::check::CheckContext;
use crate::lang::diagnostic::{Located, SourceText};
use crate::lang::ir::Params;
use crate::schema::LogFormat;
use crate::sql::{ddl, explain, Compiled};
use crate::table::{Partitioning, Scheme};
use crate::time::{Instant, Time};
use crate::units;

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
        if search::file_of(&config.catalog, argument).is_some() {
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
    /// "Now" in Unix seconds, instead of the clock.
    pub now: Option<Time>,
    /// Parameter names and values; a value is read as the language reads it.
    pub params: Vec<(String, String)>,
    pub allow_full_scan: bool,
    /// Try another partitioning scheme than the source's.
    pub scheme: Option<Scheme>,
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
    pub fn compiled_with(
        &self,
        checked: crate::lang::ir::CheckedQuery,
    ) -> Result<Compiled, Failure> {
        let sql = crate::sql::render::render(&checked, &self.source.table)
            .map_err(|e| Failure::usage(e.to_string()))?;
        Ok(Compiled {
            query: self.query.clone(),
            checked,
            sql,
        })
    }
}

pub fn now(options: &QueryOptions) -> Result<Time, Failure> {
    match options.now {
        Some(now) => Ok(now),
        None => Time::now().map_err(Failure::usage),
    }
}

/// Resolves a target to its source, parameters and compiled query.
pub fn resolve(
    config: &Config,
    target: &Target,
    options: &QueryOptions,
) -> Result<Resolved, Failure> {
    let now = now(options)?;
    let given = &options.params;
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
            .params(given)
            .map_err(|errors| Failure::usage(errors.join("\n  ")))?,
        None => {
            let mut params = Params::default();
            for (name, value) in given {
                params
                    .insert(name, value)
                    .map_err(|why| Failure::usage(format!("--param {name}: {why}")))?;
            }
            params
        }
    };
    let mut params = params;
    let text = match (&search, target) {
        (Some(search), _) => search.query.as_str(),
        (None, Target::Query(text)) => text.as_str(),
        (None, Target::Search(_)) => "",
    };
    params.set_lists(named_lists(config, text, given)?);
    params.set_lookups(lookup_tables(config, text)?);
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
        return Err(Failure::usage_with_help(
            "the window has no start, so the query would scan every partition",
            Some("give a window like 'last 24h', or pass --allow-full-scan"),
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

/// The catalog's named lists. A list file with errors stops a query that
/// may use a list (`@` in its text or a parameter), so that it never runs
/// without the entries it was meant to have; `flowq check` shows them all.
fn named_lists(
    config: &Config,
    text: &str,
    given: &[(String, String)],
) -> Result<crate::lang::ir::Lists, Failure> {
    use crate::catalog::lists;
    let (found, files) = lists::load_lists(&lists::folder_for(&config.catalog));
    let may_use = text.contains('@') || given.iter().any(|(_, v)| v.contains('@'));
    let errors = lists::errors(&files);
    if may_use && !errors.is_empty() {
        return Err(Failure::located(&errors));
    }
    Ok(found)
}

/// The catalog's lookup tables. A table with errors stops a query that
/// may look one up (`lookup` in its text), so that it never runs with
/// rows missing; `flowq check` shows them all.
fn lookup_tables(config: &Config, text: &str) -> Result<crate::lang::ir::Lookups, Failure> {
    use crate::catalog::lookups;
    if !text.to_ascii_lowercase().contains("lookup") {
        return Ok(crate::lang::ir::Lookups::default());
    }
    let (found, files) = lookups::load_lookups(&lookups::folder_for(&config.catalog));
    let errors = lookups::errors(&files);
    if !errors.is_empty() {
        return Err(Failure::located(&errors));
    }
    Ok(found)
}

fn override_table(source: &mut Source, options: &QueryOptions) -> Result<(), Failure> {
    if let Some(scheme) = options.scheme {
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

/// `flowq publish`: every saved search whose source is an Athena source
/// (or `--source`'s) as a named query of its workgroup, with the SQL of
/// its default parameters. Searches with a required parameter are left
/// out: a named query cannot ask for it.
pub fn publish(
    config: &Config,
    source: Option<&str>,
    workgroup: Option<&str>,
    now: Time,
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
            now: Some(now),
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
        .map_err(|e| Failure::engine(e.into()))?;
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

/// `flowq explain --cost`: the cost preview of a query, from a listing of
/// the objects under its partitions (an Athena source with `location:`,
/// or an S3 source).
pub fn explain_cost(
    config: &Config,
    target: &Target,
    options: &QueryOptions,
) -> Result<String, Failure> {
    let resolved = resolve(config, target, options)?;
    let source = &resolved.source;
    let Some(s3) = crate::cli::cost::previewed(source, None).map_err(Failure::usage)? else {
        return Err(Failure::usage_with_help(
            format!(
                "--cost: source '{}' has no S3 location to list",
                source.name
            ),
            Some("give the Athena source a 'location: s3://bucket/prefix/' in flowq.yaml, or use --source s3://bucket/prefix/"),
        ));
    };
    let preview = crate::cli::cost::preview(source, &s3, &resolved.checked, true)
        .map_err(|e| Failure::failed(format!("cost preview: {e}")))?;
    Ok(crate::cli::cost::describe(source, &s3, &preview))
}

fn require_sql(source: &Source) -> Result<(), Failure> {
    if source.engine == EngineName::Local {
        return Err(Failure::usage_with_help(
            format!(
                "source '{}' runs on the local engine, which takes no SQL",
                source.name
            ),
            Some("name an athena or trino source with --source, or use 'flowq run'"),
        ));
    }
    Ok(())
}

/// `flowq check`: the report and the exit code. A config that does not
/// load is reported like any other finding.
pub fn check(
    config: Result<Config, Vec<Located>>,
    paths: &[PathBuf],
    now: Time,
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
    partitions: Option<(Instant, Instant)>,
) -> Result<String, Failure> {
    let source = config.source(source).map_err(Failure::usage)?;
    if source.engine == EngineName::Local {
        return Err(Failure::usage(format!(
            "source '{}' is a local folder: it needs no table",
            source.name
        )));
    }
    let result = match partitions {
        None => ddl::create_table(&source.ddl()),
        Some((since, until)) => {
            let since = since.time;
            // A date means the whole day: every hour of it on hourly schemes.
            let until = if until.is_date {
                until.time.saturating_plus(86_399)
            } else {
                until.time
            };
            if until < since {
                return Err(Failure::usage("--until is before --since"));
            }
            ddl::add_partitions(&source.ddl(), since, until)
        }
    };
    result.map_err(|e| Failure::usage(e.to_string()))
}

/// `flowq ddl --engine trino`: the Trino `CREATE TABLE` for a source.
pub fn ddl_trino(config: &Config, source: Option<&str>) -> Result<String, Failure> {
    let source = config.source(source).map_err(Failure::usage)?;
    crate::sql::ddl_trino::for_source(&source.ddl())
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

/// `flowq sample`: synthetic flow logs; returns the summary line.
pub fn sample(options: &crate::sample::Options) -> Result<String, Failure> {
    options.validate().map_err(Failure::usage)?;
    let summary = crate::sample::generate(options)
        .map_err(|e| Failure::failed(format!("writing {}: {e}", options.out.display())))?;
    let stored = match options.file_format {
        crate::sample::FileFormat::Text => "gzip",
        crate::sample::FileFormat::Parquet => "Parquet",
    };
    Ok(format!(
        "flowq sample: wrote {} files, {} records, {} ({} {stored}) under {}",
        summary.files,
        summary.records,
        units::format_bytes(summary.bytes),
        units::format_bytes(summary.gzip_bytes),
        options.out.display()
    ))
}

/// Refuses a lookup file flowq did not write (exit 2), before the work
/// that would replace it.
pub fn check_lookup_file(path: &std::path::Path, help: &str) -> Result<(), Failure> {
    use crate::catalog::lookups::{check_replaceable, WriteError};
    check_replaceable(path).map_err(|error| match error {
        WriteError::NotOurs(_) => Failure::usage_with_help(error.to_string(), Some(help)),
        other => write_failure(other),
    })
}

/// `flowq sample --enis-csv FILE`: the sample's network interfaces as a
/// lookup table; [`check_lookup_file`] has refused a file flowq did not
/// write.
pub fn sample_interfaces(
    options: &crate::sample::Options,
    path: &std::path::Path,
) -> Result<String, Failure> {
    use crate::catalog::lookups;
    let text = crate::sample::interfaces_csv(options);
    let (table, problems) = lookups::parse_csv(&text);
    let table = match table {
        Some(table) if problems.is_empty() => table,
        _ => {
            return Err(Failure::failed(
                "the sample's interfaces do not make a lookup table",
            ))
        }
    };
    let comment = text.lines().next().unwrap_or(lookups::WRITTEN_BY_FLOWQ);
    lookups::write_table(path, comment, &table).map_err(write_failure)?;
    Ok(format!(
        "flowq sample: wrote {} network interfaces to {}",
        table.rows.len(),
        path.display()
    ))
}

/// What `flowq lookup sync` was told.
pub struct SyncOptions {
    pub source: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub force: bool,
}

/// `flowq lookup sync enis`: every network interface of the account in
/// the region (`--region`, else the source's Athena region, else the
/// default chain's) written to the catalog's `lookups/enis.csv`.
pub fn sync_enis(config: &Config, options: &SyncOptions) -> Result<String, Failure> {
    use crate::catalog::lookups;
    let source = config
        .source(options.source.as_deref())
        .map_err(Failure::usage)?;
    let region = options
        .region
        .clone()
        .or_else(|| source.athena.as_ref().and_then(|a| a.region.clone()));
    let path = lookups::folder_for(&config.catalog).join("enis.csv");
    // Refuse before calling AWS: the answer would only be thrown away.
    if !options.force {
        check_lookup_file(&path, "move it away, or pass --force to replace it")?;
    }
    let found = crate::engine::ec2::interfaces(region.as_deref(), options.profile.as_deref())
        .map_err(Failure::engine)?;
    let comment = format!(
        "{} enis (region {}): re-run 'flowq lookup sync enis' to refresh; edits here are replaced",
        lookups::SYNC_COMMENT,
        found.region
    );
    lookups::write_table(&path, &comment, &found.table).map_err(write_failure)?;
    let s = if found.pages == 1 { "" } else { "s" };
    Ok(format!(
        "flowq: wrote {} network interfaces ({} page{s} of DescribeNetworkInterfaces) to {}",
        found.table.rows.len(),
        found.pages,
        path.display()
    ))
}

/// A lookup table that could not be written: a file flowq did not write
/// is a refusal (exit 2), anything else a failure (exit 1).
fn write_failure(error: crate::catalog::lookups::WriteError) -> Failure {
    use crate::catalog::lookups::WriteError;
    match &error {
        WriteError::NotOurs(_) => Failure::usage(error.to_string()),
        WriteError::Io(_) => Failure::failed(format!("cannot write the lookup table: {error}")),
    }
}
