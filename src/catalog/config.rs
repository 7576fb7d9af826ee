//! `flowq.yaml`: the sources (where flow logs live and how to query them)
//! and the catalog folder. Found in the current folder or its ancestors,
//! or named by `--config` / `FLOWQ_CONFIG`. docs/catalog.md documents it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::catalog::yaml;
use crate::engine::local::objects::{S3Prefix, S3Source, MAX_CONCURRENCY};
use crate::lang::diagnostic::Located;
use crate::schema::LogFormat;
use crate::sql::ddl::{DdlSource, Projection};
use crate::table::{FileFormat, Partitioning, Scheme, Table, TimePart};
use crate::{suggest, units};

pub const FILE_NAME: &str = "flowq.yaml";

// ------------------------------------------------------------------ file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_source: Option<String>,
    #[serde(default)]
    sources: BTreeMap<String, SourceFile>,
    catalog: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    engine: EngineName,
    // Athena
    region: Option<String>,
    workgroup: Option<String>,
    database: Option<String>,
    catalog: Option<String>,
    table: Option<String>,
    output_location: Option<String>,
    location: Option<String>,
    max_scan: Option<String>,
    // Trino
    server: Option<String>,
    schema: Option<String>,
    user: Option<String>,
    // Local
    path: Option<String>,
    s3_concurrency: Option<u64>,
    // The table model
    log_format: Option<String>,
    file_format: Option<FileFormatName>,
    partitioning: Option<PartitioningFile>,
    projection: Option<Projection>,
    lateness: Option<String>,
    default_window: Option<String>,
    default_limit: Option<u64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum EngineName {
    Athena,
    Local,
    Trino,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum FileFormatName {
    Text,
    Parquet,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitioningFile {
    scheme: String,
    /// Names of the time columns, in the scheme's order.
    columns: Option<Vec<String>>,
    account: Option<String>,
    region: Option<String>,
}

// ------------------------------------------------------------------ model

#[derive(Clone, Debug)]
pub struct Config {
    /// The file it came from; None for the built-in config.
    pub path: Option<PathBuf>,
    pub default_source: String,
    pub sources: BTreeMap<String, Source>,
    /// The saved-search folder.
    pub catalog: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub engine: EngineName,
    pub table: Table,
    pub athena: Option<AthenaSettings>,
    pub trino: Option<TrinoSettings>,
    /// For `engine: local`: the folder laid out like the bucket.
    pub path: Option<PathBuf>,
    /// For `engine: local` with an `s3://` path: the prefix laid out like
    /// the bucket, and how to read it.
    pub s3: Option<S3Source>,
    /// Where the data lies in S3, for `flowq ddl`.
    pub location: Option<String>,
    pub projection: Option<Projection>,
    /// Largest scan a run may make, in bytes.
    pub max_scan: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AthenaSettings {
    pub region: Option<String>,
    pub workgroup: String,
    pub catalog: Option<String>,
    pub output_location: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrinoSettings {
    pub server: String,
    pub catalog: String,
    pub user: String,
}

/// The built-in source when there is no flowq.yaml: the AWS docs' table.
pub const BUILTIN_SOURCE: &str = "default";

impl Config {
    pub fn builtin(cwd: &Path) -> Config {
        let source = Source {
            name: BUILTIN_SOURCE.into(),
            engine: EngineName::Athena,
            table: Table::default(),
            athena: Some(AthenaSettings {
                region: None,
                workgroup: "primary".into(),
                catalog: None,
                output_location: None,
            }),
            trino: None,
            path: None,
            s3: None,
            location: None,
            projection: None,
            max_scan: None,
        };
        Config {
            path: None,
            default_source: BUILTIN_SOURCE.into(),
            sources: BTreeMap::from([(BUILTIN_SOURCE.into(), source)]),
            catalog: cwd.join("searches"),
        }
    }

    /// The config to use: `explicit` (from --config or FLOWQ_CONFIG), else
    /// the nearest flowq.yaml in `cwd` or above, else the built-in one.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Config, Vec<Located>> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => cwd
                .ancestors()
                .map(|d| d.join(FILE_NAME))
                .find(|p| p.is_file()),
        };
        match path {
            Some(path) => Config::load(&path),
            None => Ok(Config::builtin(cwd)),
        }
    }

    pub fn load(path: &Path) -> Result<Config, Vec<Located>> {
        let origin = path.display().to_string();
        let text = yaml::read_file(path).map_err(|e| {
            vec![match e {
                yaml::ReadError::Io(e) => Located::error(
                    &origin,
                    "",
                    (1, 1),
                    format!("cannot read the config: {e}"),
                    Some("name an existing file with --config or FLOWQ_CONFIG".to_string()),
                ),
                yaml::ReadError::Content(e) => {
                    Located::error(&origin, "", (e.line, e.column), e.message, e.help)
                }
            }]
        })?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Config::parse(&text, &origin, &dir).map(|mut c| {
            c.path = Some(path.to_path_buf());
            c
        })
    }

    /// Parses config text; `dir` is where relative paths start.
    pub fn parse(text: &str, origin: &str, dir: &Path) -> Result<Config, Vec<Located>> {
        let text = yaml::normalize(text);
        let text = text.as_ref();
        let at = Locator { text, origin };
        let file: ConfigFile = yaml::from_str(text).map_err(|e| vec![at.yaml(e)])?;
        let mut errors = Vec::new();
        let mut sources = BTreeMap::new();
        for (name, source) in file.sources {
            match build_source(&name, source, dir, &at) {
                Ok(s) => {
                    sources.insert(name, s);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let default_source = match file.default_source {
            Some(name) => {
                if !sources.contains_key(&name) {
                    errors.push(at.error(
                        &["default_source"],
                        format!("default_source '{name}' is not one of the sources"),
                        Some(known_sources(&sources, &name)),
                    ));
                }
                name
            }
            None if sources.len() == 1 => sources.keys().next().cloned().unwrap_or_default(),
            None if sources.is_empty() => {
                errors.push(at.error(
                    &[],
                    "the config names no sources".into(),
                    Some("add a 'sources:' mapping; see docs/catalog.md".into()),
                ));
                String::new()
            }
            None => {
                errors.push(at.error(
                    &[],
                    "several sources but no default_source".into(),
                    Some("add 'default_source: NAME'".into()),
                ));
                String::new()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            path: None,
            default_source,
            sources,
            catalog: dir.join(file.catalog.as_deref().unwrap_or("searches")),
        })
    }

    /// The source named `name` (or the default). A name that is not a
    /// source but an existing folder or file is a local source over it.
    pub fn source(&self, name: Option<&str>) -> Result<Source, String> {
        let name = name.unwrap_or(&self.default_source);
        if let Some(source) = self.sources.get(name) {
            return Ok(source.clone());
        }
        if name.starts_with("s3://") {
            return S3Prefix::parse(name).map(|prefix| Source::local_s3(S3Source::new(prefix)));
        }
        let path = Path::new(name);
        if path.is_dir() || path.is_file() {
            return Ok(Source::local_folder(path));
        }
        Err(format!(
            "unknown source '{name}'; {}",
            known_sources(&self.sources, name)
        ))
    }
}

fn known_sources(sources: &BTreeMap<String, Source>, name: &str) -> String {
    let guess = suggest::did_you_mean(name, sources.keys().map(String::as_str));
    let names: Vec<&str> = sources.keys().map(String::as_str).collect();
    if guess.is_empty() {
        format!(
            "the sources are: {} (or give a folder of flow-log files, one file, or s3://bucket/prefix/)",
            names.join(", ")
        )
    } else {
        guess
    }
}

impl Source {
    /// The source as the DDL generators see it.
    pub fn ddl(&self) -> DdlSource<'_> {
        DdlSource {
            name: &self.name,
            table: &self.table,
            location: self.location.as_deref(),
            projection: self.projection.as_ref(),
        }
    }

    /// A local source over a folder of flow-log files: every known field
    /// (each file's header gives its own format), no SQL partitions.
    pub fn local_folder(path: &Path) -> Source {
        Source {
            name: path.display().to_string(),
            engine: EngineName::Local,
            table: crate::engine::local::LocalSource::new(path).table(),
            athena: None,
            trino: None,
            path: Some(path.to_path_buf()),
            s3: None,
            location: None,
            projection: None,
            max_scan: None,
        }
    }

    /// `local` (a folder or S3 source) named `name`, with the settings this
    /// source read from flowq.yaml that apply to every engine: the
    /// window, limit and lateness defaults and `max_scan`.
    fn settings_onto(&self, mut local: Source, name: &str) -> Source {
        local.name = name.to_string();
        local.table.lateness = self.table.lateness;
        local.table.default_window = self.table.default_window;
        local.table.default_limit = self.table.default_limit;
        local.max_scan = self.max_scan;
        local
    }

    /// A local source over the objects under an S3 prefix, read as a
    /// folder is.
    pub fn local_s3(s3: S3Source) -> Source {
        Source {
            name: s3.prefix.uri(),
            path: None,
            s3: Some(s3),
            ..Source::local_folder(Path::new(""))
        }
    }
}

/// Makes located errors for keys of the config file.
struct Locator<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Locator<'_> {
    fn yaml(&self, e: yaml::YamlError) -> Located {
        Located::error(
            self.origin,
            self.text,
            (e.line, e.column),
            e.message,
            e.help,
        )
    }

    /// An error about the value of `path`, written `value`: at the value
    /// when the locator finds it, else at its key.
    fn value_error(
        &self,
        path: &[&str],
        value: &str,
        message: String,
        help: Option<String>,
    ) -> Located {
        let location = yaml::locate(self.text, path);
        let at = match &location {
            Some(l) if !l.lines.is_empty() => l.lines[0],
            Some(l) => l.key,
            None => (1, 1),
        };
        Located {
            width: value.chars().count().max(1),
            ..Located::error(self.origin, self.text, at, message, help)
        }
    }

    fn error(&self, path: &[&str], message: String, help: Option<String>) -> Located {
        let at = yaml::locate(self.text, path).map_or((1, 1), |l| l.key);
        Located {
            width: path.last().map_or(1, |k| k.len()),
            ..Located::error(self.origin, self.text, at, message, help)
        }
    }
}

/// The errors of one source: about a key (its value does not parse, or
/// the source as a whole), or about a value that parses but lies outside
/// its range, located at the value.
struct SourceErrors<'a> {
    at: &'a Locator<'a>,
    name: &'a str,
    errors: Vec<Located>,
}

impl SourceErrors<'_> {
    fn key(&mut self, k: &str, message: String, help: Option<String>) {
        let path = ["sources", self.name, k];
        self.errors.push(self.at.error(&path, message, help));
    }

    fn out_of_range<T>(&mut self, path: &[&str], value: &str, allowed: &Allowed<T>) {
        let key = path[2..].join(".");
        let message = format!("{key}: {value} is out of range: {}", allowed.text);
        let help = Some(allowed.why.to_string());
        self.errors
            .push(self.at.value_error(path, value, message, help));
    }

    /// A duration key's value, when it is given, parses and is in range.
    fn duration(&mut self, k: &str, text: Option<&str>, allowed: &Allowed<i64>) -> Option<i64> {
        let text = text?;
        match units::parse_duration(text, true) {
            Ok(seconds) if allowed.range.contains(&seconds) => Some(seconds),
            Ok(_) => {
                self.out_of_range(&["sources", self.name, k], text, allowed);
                None
            }
            Err(m) => {
                let help = Some("write a duration like 30m or 1h".into());
                self.key(k, format!("{k}: {m}"), help);
                None
            }
        }
    }

    /// `max_scan` in bytes, when it is given, parses and is in range.
    fn max_scan(&mut self, text: Option<&str>, allowed: &Allowed<i64>) -> Option<u64> {
        let text = text?;
        match units::parse_size(text) {
            Ok(bytes) if allowed.range.contains(&bytes) => Some(bytes.unsigned_abs()),
            Ok(_) => {
                self.out_of_range(&["sources", self.name, "max_scan"], text, allowed);
                None
            }
            Err(m) => {
                let help = Some("write a size like 10G".into());
                self.key("max_scan", format!("max_scan: {m}"), help);
                None
            }
        }
    }

    /// `s3_concurrency`, when it is given, in range, and on a source that
    /// reads S3 objects.
    fn s3_concurrency(&mut self, f: &SourceFile) -> Option<usize> {
        let n = f.s3_concurrency?;
        let reads_s3 = f.engine == EngineName::Local
            && f.path.as_deref().is_some_and(|p| p.starts_with("s3://"));
        if !reads_s3 {
            self.key(
                "s3_concurrency",
                "s3_concurrency: only a local source whose path is s3://... reads S3 objects"
                    .into(),
                Some(
                    "remove it, or give the source engine: local and path: s3://bucket/prefix/"
                        .into(),
                ),
            );
            return None;
        }
        if !S3_CONCURRENCY.range.contains(&n) {
            let path = ["sources", self.name, "s3_concurrency"];
            self.out_of_range(&path, &n.to_string(), &S3_CONCURRENCY);
            return None;
        }
        usize::try_from(n).ok()
    }

    /// The projection, with its start checked and written `yyyy/MM/dd`.
    fn projection(&mut self, p: &Projection) -> Option<Projection> {
        let Some(start) = p.start.as_deref() else {
            return Some(p.clone());
        };
        match projection_start(start) {
            Some(start) => Some(Projection {
                start: Some(start),
                ..p.clone()
            }),
            None => {
                let path = ["sources", self.name, "projection", "start"];
                self.out_of_range(&path, start, &PROJECTION_START);
                None
            }
        }
    }
}

fn build_source(
    name: &str,
    f: SourceFile,
    dir: &Path,
    at: &Locator,
) -> Result<Source, Vec<Located>> {
    let mut errors = SourceErrors {
        at,
        name,
        errors: Vec::new(),
    };
    let mut table = Table::default();
    if let Some(lateness) = errors.duration("lateness", f.lateness.as_deref(), &LATENESS) {
        table.lateness = lateness;
    }
    if let Some(window) = errors.duration(
        "default_window",
        f.default_window.as_deref(),
        &DEFAULT_WINDOW,
    ) {
        table.default_window = window;
    }
    if let Some(limit) = f.default_limit {
        if DEFAULT_LIMIT.range.contains(&limit) {
            table.default_limit = limit;
        } else {
            let path = ["sources", name, "default_limit"];
            errors.out_of_range(&path, &limit.to_string(), &DEFAULT_LIMIT);
        }
    }
    let projection = f.projection.as_ref().and_then(|p| errors.projection(p));
    let least_scan = if f.engine == EngineName::Athena {
        &ATHENA_MAX_SCAN
    } else {
        &MAX_SCAN
    };
    let max_scan = errors.max_scan(f.max_scan.as_deref(), least_scan);
    let concurrency = errors.s3_concurrency(&f);
    let mut err = |k: &'static str, message: String, help: Option<String>| {
        errors.key(k, message, help);
    };
    if let Some(format) = &f.log_format {
        match LogFormat::parse(format) {
            Ok(format) => table.format = format,
            Err(e) => err("log_format", format!("log_format: {}", e.message), e.help),
        }
    }
    if let Some(FileFormatName::Parquet) = f.file_format {
        table.file_format = FileFormat::Parquet;
    }
    if let Some(p) = &f.partitioning {
        match partitioning(p) {
            Ok(p) => table.partitioning = p,
            Err((message, help)) => err("partitioning", message, Some(help)),
        }
    }
    if let Some(database) = &f.database {
        table.database = database.clone();
    }
    if let Some(t) = &f.table {
        table.name = t.clone();
    }
    if let Err(message) = table.validate() {
        err("partitioning", message, None);
    }
    let mut source = Source {
        name: name.to_string(),
        engine: f.engine,
        table,
        athena: None,
        trino: None,
        path: None,
        s3: None,
        location: f.location.clone(),
        projection,
        max_scan,
    };
    match f.engine {
        EngineName::Athena => {
            source.athena = Some(AthenaSettings {
                region: f.region.clone(),
                workgroup: f.workgroup.clone().unwrap_or_else(|| "primary".into()),
                catalog: f.catalog.clone(),
                output_location: f.output_location.clone(),
            });
        }
        EngineName::Trino => match &f.server {
            Some(server) => {
                source.trino = Some(TrinoSettings {
                    server: server.clone(),
                    catalog: f.catalog.clone().unwrap_or_else(|| "hive".into()),
                    user: f.user.clone().unwrap_or_else(|| "flowq".into()),
                });
                if let Some(schema) = &f.schema {
                    source.table.database = schema.clone();
                }
            }
            None => err(
                "engine",
                format!("source '{name}' uses engine trino but has no 'server'"),
                Some("add 'server: http://HOST:PORT'".into()),
            ),
        },
        EngineName::Local => match &f.path {
            Some(path) if path.starts_with("s3://") => match S3Prefix::parse(path) {
                Ok(prefix) => {
                    let mut s3 = S3Source::new(prefix);
                    s3.region = f.region.clone();
                    if let Some(n) = concurrency {
                        s3.concurrency = n;
                    }
                    source = source.settings_onto(Source::local_s3(s3), name);
                }
                Err(message) => err(
                    "path",
                    format!("path: {message}"),
                    Some(
                        "write path: s3://bucket/prefix/, the prefix where AWSLogs/ starts".into(),
                    ),
                ),
            },
            Some(path) => {
                source = source.settings_onto(Source::local_folder(&dir.join(path)), name);
            }
            None => err(
                "engine",
                format!("source '{name}' uses engine local but has no 'path'"),
                Some("add 'path: ./flowlogs', a folder laid out like the bucket".into()),
            ),
        },
    }
    let mut errors = errors.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    if errors.is_empty() {
        Ok(source)
    } else {
        Err(errors)
    }
}

/// A range a source value must lie in, as docs/catalog.md writes it, and
/// why it has one.
struct Allowed<T> {
    range: std::ops::RangeInclusive<T>,
    text: &'static str,
    why: &'static str,
}

const DEFAULT_LIMIT: Allowed<u64> = Allowed {
    range: 1..=1_000_000,
    text: "give 1 to 1000000",
    why: "the row limit of a query that gives none: 0 would return no rows",
};

const DEFAULT_WINDOW: Allowed<i64> = Allowed {
    range: 60..=366 * 86_400,
    text: "give 1m to 366d",
    why: "the window of a query that gives none; longer windows belong in the query",
};

const LATENESS: Allowed<i64> = Allowed {
    range: 0..=7 * 86_400,
    text: "give 0s to 7d",
    why: "how late records may be delivered: the partition range reaches this far past the window",
};

const ATHENA_MAX_SCAN: Allowed<i64> = Allowed {
    range: 10_000_000..=i64::MAX,
    text: "give at least 10M",
    why: "Athena bills at least 10 MB per query, so a lower cap only stops queries",
};

const S3_CONCURRENCY: Allowed<u64> = Allowed {
    range: 1..=MAX_CONCURRENCY as u64,
    text: "give 1 to 256",
    why: "GET requests in flight at once: 0 would read nothing, and past 256 the connection pool, not S3, is the limit",
};

const MAX_SCAN: Allowed<i64> = Allowed {
    range: 1..=i64::MAX,
    text: "give at least 1 byte",
    why: "0 would stop every query",
};

/// The Hive schemes project years up to 2099 (`ddl_trino::LAST_PROJECTED_YEAR`).
const PROJECTION_START: Allowed<&str> = Allowed {
    range: "1970/01/01"..="2099/12/31",
    text: "give a date from 1970/01/01 to 2099/12/31 (yyyy/MM/dd)",
    why: "the first day of the projected partitions, written into the DDL",
};

/// `projection.start` as `yyyy/MM/dd` (`yyyy-MM-dd` is read too), when it
/// is a real date in range.
fn projection_start(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b[7]
        && matches!(b[4], b'/' | b'-')
        && text
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let day = crate::time::parse_instant(&text.replace('/', "-")).ok()?;
    let canonical = text.replace('-', "/");
    (day.is_date && PROJECTION_START.range.contains(&canonical.as_str())).then_some(canonical)
}

fn partitioning(p: &PartitioningFile) -> Result<Partitioning, (String, String)> {
    let names: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
    let scheme = Scheme::from_name(&p.scheme).ok_or_else(|| {
        let guess = suggest::did_you_mean(&p.scheme, names.iter().copied());
        (
            format!("unknown partitioning scheme '{}'", p.scheme),
            if guess.is_empty() {
                format!("the schemes are: {}", names.join(", "))
            } else {
                guess
            },
        )
    })?;
    let mut partitioning = Partitioning::new(scheme);
    if let Some(columns) = &p.columns {
        let parts: &[TimePart] = scheme.parts();
        if columns.len() != parts.len() {
            return Err((
                format!(
                    "scheme {} has {} time column(s), not {}",
                    scheme,
                    parts.len(),
                    columns.len()
                ),
                format!("e.g. columns: [{}]", partitioning.time_columns.join(", ")),
            ));
        }
        partitioning.time_columns = columns.clone();
    }
    partitioning.account_column = p.account.clone();
    partitioning.region_column = p.region.clone();
    Ok(partitioning)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<Located>> {
        Config::parse(text, "flowq.yaml", Path::new("/repo"))
    }

    #[test]
    fn a_full_source_becomes_a_table() {
        let config = parse(
            "default_source: prod\nsources:\n  prod:\n    engine: athena\n    database: logs\n    table: vpc\n    partitioning: {scheme: date-hour, region: aws_region}\n    lateness: 1h\n    default_limit: 50\n  disk:\n    engine: local\n    path: ./flowlogs\n",
        )
        .unwrap();
        let prod = config.source(None).unwrap();
        assert_eq!(
            (prod.table.database.as_str(), prod.table.name.as_str()),
            ("logs", "vpc")
        );
        assert_eq!(prod.table.partitioning.scheme, Scheme::DateHour);
        assert_eq!(
            prod.table.partitioning.region_column.as_deref(),
            Some("aws_region")
        );
        assert_eq!((prod.table.lateness, prod.table.default_limit), (3600, 50));
        let disk = config.source(Some("disk")).unwrap();
        assert_eq!(disk.path.as_deref(), Some(Path::new("/repo/./flowlogs")));
        assert_eq!(config.catalog, Path::new("/repo/searches"));
    }

    #[test]
    fn unknown_keys_name_the_closest_valid_one() {
        let errors =
            parse("sources:\n  prod:\n    engine: athena\n    worgroup: primary\n").unwrap_err();
        assert_eq!((errors[0].line, errors[0].column), (4, 5));
        assert_eq!(errors[0].help.as_deref(), Some("did you mean 'workgroup'?"));
    }

    #[test]
    fn bad_values_are_located_at_their_key() {
        let errors = parse("sources:\n  prod:\n    engine: athena\n    lateness: soon\n    partitioning: {scheme: daily}\n").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].line, errors[0].column), (4, 5));
        assert!(
            errors[1]
                .message
                .contains("unknown partitioning scheme 'daily'"),
            "{:?}",
            errors[1]
        );
        assert!(errors[1]
            .help
            .as_deref()
            .unwrap()
            .contains("date-hour, hive"));
    }

    #[test]
    fn a_folder_is_a_source() {
        let config = Config::builtin(Path::new("/nowhere"));
        let dir = std::env::temp_dir();
        let source = config.source(Some(dir.to_str().unwrap())).unwrap();
        assert_eq!(source.engine, EngineName::Local);
        assert!(config
            .source(Some("prdo"))
            .unwrap_err()
            .contains("unknown source 'prdo'"));
    }
}
