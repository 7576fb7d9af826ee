//! Which files to read: the folder walk, the S3 layouts and pruning.
//!
//! The flow-log service writes (reference §2)
//!
//! ```text
//! AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]<file>
//! AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/month=MM/day=DD/[hour=HH/]<file>
//! <file> = <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
//! ```
//!
//! under any prefix. Each folder name is read in the context of the folders
//! above it (starting from the source's absolute path, so a source that
//! points into the middle of the layout still knows where it is), which
//! detects the layout as it goes. A folder whose time span misses the
//! partition range of src/partition.rs, or whose account or region the
//! query excludes, is skipped unread; so is a file whose name's timestamp
//! lies outside that range. Anything that does not fit the layout is read
//! rather than guessed at: pruning only ever drops what provably cannot
//! match.
//!
//! An S3 source (`objects.rs`) walks prefixes with the same rule:
//! [`Place::enter`], [`Pruning::allows`] and [`judge_file`] decide for
//! folders and prefixes, files and objects alike.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::lang::ir::CheckedQuery;
use crate::sql::partition::{self, PartitionRange};
use crate::table::PartitionKey;
use crate::time::Time;

use super::LocalError;

/// How a flow-log file is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Plain,
    /// A Parquet file (engine/local/parquet.rs), read by columns.
    Parquet,
}

/// A file to read, with the account and region its path names (the values
/// of the partition columns `Test::Partition` refers to).
#[derive(Clone, Debug)]
pub(crate) struct FileEntry {
    pub path: PathBuf,
    pub size: u64,
    pub compression: Compression,
    pub account: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Skipped {
    pub files: u64,
    pub bytes: u64,
}

/// The files a query reads, in path order, and what pruning left out.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub files: Vec<FileEntry>,
    pub skipped: Skipped,
    pub ignored: u64,
    /// Paths left out because they lead to a file or folder the walk had
    /// already met (a symlink, or a hard link): nothing is read twice.
    pub repeats: u64,
    /// Symlinks that lead nowhere (or into a loop of symlinks).
    pub broken_links: u64,
}

/// What a query allows: the partition range and the accounts and regions.
#[derive(Clone, Debug)]
pub(crate) struct Pruning {
    range: PartitionRange,
    accounts: Option<Vec<String>>,
    regions: Option<Vec<String>>,
}

impl Pruning {
    pub fn new(query: &CheckedQuery, lateness: i64) -> Pruning {
        Pruning {
            range: partition::range(&query.window, lateness),
            accounts: partition::required_values(query, PartitionKey::Account),
            regions: partition::required_values(query, PartitionKey::Region),
        }
    }

    /// True when `[start, end)` (Unix seconds) and the range share an instant.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.range.first.is_none_or(|first| end > first.unix())
            && self.range.last.is_none_or(|last| start <= last.unix())
    }

    pub fn allows(&self, place: &Place) -> bool {
        let allowed = |values: &Option<Vec<String>>, value: &Option<String>| match (values, value) {
            (Some(values), Some(value)) => values.contains(value),
            _ => true,
        };
        allowed(&self.accounts, &place.account)
            && allowed(&self.regions, &place.region)
            && place
                .span()
                .is_none_or(|(start, end)| self.overlaps(start, end))
    }
}

impl Pruning {
    /// The days `(year, month, day)` the partition range touches, first to
    /// last, when it has both ends and spans at most `max` days: an S3
    /// source lists these day prefixes instead of discovering them.
    pub fn days(&self, max: usize) -> Option<Vec<(i16, i8, i8)>> {
        let (first, last) = (self.range.first?.unix(), self.range.last?.unix());
        let mut days = Vec::new();
        let mut day = first.div_euclid(86_400) * 86_400;
        while day <= last {
            if days.len() == max {
                return None;
            }
            let (year, month, day_of_month, _, _) = Time::from_unix(day).ok()?.fields();
            days.push((year, month, day_of_month));
            day += 86_400;
        }
        Some(days)
    }
}

/// Lists the files a query must read under `root` (a folder, or one file).
pub(crate) fn plan(root: &Path, pruning: &Pruning) -> Result<Plan, LocalError> {
    let absolute = fs::canonicalize(root).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => LocalError::NoSource {
            path: root.to_path_buf(),
        },
        _ => LocalError::io(root, error),
    })?;
    let mut plan = Plan::default();
    let metadata = fs::metadata(&absolute).map_err(|e| LocalError::io(root, e))?;
    if metadata.is_dir() {
        walk(root, &metadata, place_of(&absolute), pruning, &mut plan)?;
    } else {
        let parent = absolute.parent().map(place_of).unwrap_or_default();
        consider_file(root, metadata.len(), &parent, pruning, &mut plan);
    }
    Ok(plan)
}

/// How the walk treats what is inside a folder.
#[derive(Debug)]
enum Treat {
    /// Read it: the folder's place in the layout says what names mean.
    Read(Place),
    /// Pruned: flow-log files are counted as skipped, others as ignored.
    CountSkipped,
    /// Another AWS service's folder: everything is counted as ignored.
    CountIgnored,
}

/// An entry of a folder still to visit, and how its folder is treated
/// (shared by the folder's entries).
type Pending = (PathBuf, fs::Metadata, Rc<Treat>);

/// Walks the folder `root` depth first, entries in name order, with a
/// stack rather than recursion: however deep a bucket copy lies, it is
/// walked, and the depth costs memory, not the call stack. Symlinks are
/// followed; each file and folder is visited once, by its first path in
/// walk order, so a link to `.` or `..` neither loops nor reads a file
/// twice.
fn walk(
    root: &Path,
    metadata: &fs::Metadata,
    place: Place,
    pruning: &Pruning,
    plan: &mut Plan,
) -> Result<(), LocalError> {
    let mut seen = Seen::default();
    seen.first_visit(root, metadata);
    let mut pending: Vec<Pending> = Vec::new();
    push_entries(root, Rc::new(Treat::Read(place)), &mut pending, plan)?;
    while let Some((path, metadata, treat)) = pending.pop() {
        if !seen.first_visit(&path, &metadata) {
            plan.repeats += 1;
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if metadata.is_dir() {
            let inner = match &*treat {
                Treat::Read(place) => match place.enter(name) {
                    Entered::Folder(inner) if pruning.allows(&inner) => Treat::Read(inner),
                    Entered::Folder(_) => Treat::CountSkipped,
                    Entered::OtherService => Treat::CountIgnored,
                },
                Treat::CountSkipped => Treat::CountSkipped,
                Treat::CountIgnored => Treat::CountIgnored,
            };
            push_entries(&path, Rc::new(inner), &mut pending, plan)?;
        } else if metadata.is_file() {
            match &*treat {
                Treat::Read(place) => consider_file(&path, metadata.len(), place, pruning, plan),
                Treat::CountSkipped if FileKind::of(name).is_some() => {
                    plan.skipped.files += 1;
                    plan.skipped.bytes += metadata.len();
                }
                Treat::CountSkipped | Treat::CountIgnored => plan.ignored += 1,
            }
        }
    }
    Ok(())
}

/// Pushes a folder's entries so that they come off the stack in name
/// order (so every run reads files in the same order), with symlinks
/// followed; links that lead nowhere are counted.
fn push_entries(
    dir: &Path,
    treat: Rc<Treat>,
    pending: &mut Vec<Pending>,
    plan: &mut Plan,
) -> Result<(), LocalError> {
    let listing = fs::read_dir(dir).map_err(|e| LocalError::io(dir, e))?;
    let mut entries = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| LocalError::io(dir, e))?;
        let path = entry.path();
        match fs::metadata(&path) {
            Ok(metadata) => entries.push((path, metadata, treat.clone())),
            Err(_) if entry.file_type().is_ok_and(|t| t.is_symlink()) => plan.broken_links += 1,
            Err(error) => return Err(LocalError::io(&path, error)),
        }
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0));
    pending.append(&mut entries);
    Ok(())
}

/// The files and folders a walk has met, by identity rather than path.
#[derive(Default)]
struct Seen(HashSet<Identity>);

/// A file's or folder's identity: device and inode where there are
/// inodes, else the path with every symlink resolved.
#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

impl Seen {
    /// True the first time the walk meets this file or folder.
    fn first_visit(&mut self, path: &Path, metadata: &fs::Metadata) -> bool {
        self.0.insert(identity(path, metadata))
    }
}

#[cfg(unix)]
fn identity(_path: &Path, metadata: &fs::Metadata) -> Identity {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

#[cfg(not(unix))]
fn identity(path: &Path, _metadata: &fs::Metadata) -> Identity {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn consider_file(path: &Path, size: u64, place: &Place, pruning: &Pruning, plan: &mut Plan) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match judge_file(name, place, pruning) {
        Verdict::Read {
            compression,
            account,
            region,
        } => plan.files.push(FileEntry {
            path: path.to_path_buf(),
            size,
            compression,
            account,
            region,
        }),
        Verdict::Skipped => {
            plan.skipped.files += 1;
            plan.skipped.bytes += size;
        }
        Verdict::Ignored => plan.ignored += 1,
    }
}

/// What the walk of a folder or of an S3 prefix does with one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Read {
        compression: Compression,
        account: Option<String>,
        region: Option<String>,
    },
    /// A flow-log file the partition range, account or region rules out.
    Skipped,
    /// Not a flow-log file by name.
    Ignored,
}

/// The one pruning rule for files and S3 objects alike: a flow-log file
/// named `name` inside a folder (or prefix) at `place` is read unless its
/// name's timestamp lies outside the partition range or its account or
/// region is excluded.
pub(crate) fn judge_file(name: &str, place: &Place, pruning: &Pruning) -> Verdict {
    let Some(kind) = FileKind::of(name) else {
        return Verdict::Ignored;
    };
    let named = FileName::parse(name);
    let mut place = place.clone();
    if let Some(named) = &named {
        place.account.get_or_insert_with(|| named.account.clone());
        place.region.get_or_insert_with(|| named.region.clone());
    }
    let in_range = named
        .as_ref()
        .is_none_or(|n| pruning.overlaps(n.stamp, n.stamp + 1));
    if !in_range || !pruning.allows(&place) {
        return Verdict::Skipped;
    }
    let compression = match kind {
        FileKind::Parquet => Compression::Parquet,
        FileKind::Gzip => Compression::Gzip,
        FileKind::Plain => Compression::Plain,
    };
    Verdict::Read {
        compression,
        account: place.account,
        region: place.region,
    }
}

/// Whether a file's name makes it a flow-log file the engine reads
/// (`.log.gz`, `.log`, `.log.parquet`).
pub(crate) fn is_flow_log_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    FileKind::of(name).is_some()
}

// ------------------------------------------------------------------ names

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Gzip,
    Plain,
    Parquet,
}

impl FileKind {
    fn of(name: &str) -> Option<FileKind> {
        if name.ends_with(".log.gz") {
            Some(FileKind::Gzip)
        } else if name.ends_with(".log.parquet") {
            Some(FileKind::Parquet)
        } else if name.ends_with(".log") {
            Some(FileKind::Plain)
        } else {
            None
        }
    }
}

/// What a flow-log file's name says:
/// `<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileName {
    account: String,
    region: String,
    /// The name's timestamp, in Unix seconds.
    stamp: i64,
}

impl FileName {
    fn parse(name: &str) -> Option<FileName> {
        let stem = name.split('.').next()?;
        let parts: Vec<&str> = stem.split('_').collect();
        let [account, "vpcflowlogs", region, _flow_log, stamp, _hash] = parts.as_slice() else {
            return None;
        };
        Some(FileName {
            account: account.to_string(),
            region: region.to_string(),
            stamp: parse_stamp(stamp)?,
        })
    }
}

/// `20261127T0305Z` -> Unix seconds.
fn parse_stamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 14 || b[8] != b'T' || b[13] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (y, mo, d, h, mi) = (
        num(0..4)?,
        num(4..6)?,
        num(6..8)?,
        num(9..11)?,
        num(11..13)?,
    );
    Time::from_fields(
        y.try_into().ok()?,
        mo.try_into().ok()?,
        d.try_into().ok()?,
        h.try_into().ok()?,
        mi.try_into().ok()?,
    )
    .map(Time::unix)
}

// ------------------------------------------------------------------ places

/// Where a folder lies in the layout: what its next level means and what
/// the levels above said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Place {
    next: Level,
    /// Inside Hive-compatible folders (`year=2026`).
    hive: bool,
    account: Option<String>,
    region: Option<String>,
    year: Option<i16>,
    month: Option<i8>,
    day: Option<i8>,
    hour: Option<i8>,
}

/// The meaning of the next folder level in the default layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Level {
    /// Not inside `AWSLogs/` (yet): names carry no meaning.
    #[default]
    Outside,
    Account,
    Service,
    Region,
    Year,
    Month,
    Day,
    Hour,
    /// Below the hour, or below a folder that does not fit the layout.
    Below,
}

pub(crate) enum Entered {
    Folder(Place),
    /// `AWSLogs/<account>/<service>/` of a service other than flow logs.
    OtherService,
}

impl Place {
    /// The place of a folder named `name` inside this one.
    pub fn enter(&self, name: &str) -> Entered {
        let mut inner = self.clone();
        if let Some((key, value)) = name.split_once('=') {
            inner.hive = true;
            // Hive-compatible names say what they are wherever they are.
            let number = |max: i64| value.parse::<i64>().ok().filter(|n| (0..=max).contains(n));
            match key {
                "aws-account-id" => inner.at(Level::Service).account = Some(value.into()),
                "aws-service" if value == "vpcflowlogs" => {
                    inner.at(Level::Region);
                }
                "aws-service" => return Entered::OtherService,
                "aws-region" => inner.at(Level::Year).region = Some(value.into()),
                "year" => inner.at(Level::Month).year = number(9999).map(|n| n as i16),
                "month" => inner.at(Level::Day).month = number(12).map(|n| n as i8),
                "day" => inner.at(Level::Hour).day = number(31).map(|n| n as i8),
                "hour" => inner.at(Level::Below).hour = number(23).map(|n| n as i8),
                _ => {
                    inner.at(Level::Below);
                }
            }
            return Entered::Folder(inner);
        }
        if name == "AWSLogs" {
            return Entered::Folder(Place {
                next: Level::Account,
                ..Place::default()
            });
        }
        let digits = |len: usize, max: i64| {
            (name.len() == len && name.bytes().all(|b| b.is_ascii_digit()))
                .then(|| name.parse::<i64>().ok())
                .flatten()
                .filter(|n| *n <= max)
        };
        let understood = match self.next {
            Level::Outside | Level::Below => true,
            Level::Account => {
                inner.at(Level::Service).account = Some(name.into());
                true
            }
            Level::Service if name == "vpcflowlogs" => {
                inner.at(Level::Region);
                true
            }
            Level::Service => return Entered::OtherService,
            Level::Region => {
                inner.at(Level::Year).region = Some(name.into());
                true
            }
            Level::Year => digits(4, 9999)
                .map(|y| inner.at(Level::Month).year = Some(y as i16))
                .is_some(),
            Level::Month => digits(2, 12)
                .map(|m| inner.at(Level::Day).month = Some(m as i8))
                .is_some(),
            Level::Day => digits(2, 31)
                .map(|d| inner.at(Level::Hour).day = Some(d as i8))
                .is_some(),
            Level::Hour => digits(2, 23)
                .map(|h| inner.at(Level::Below).hour = Some(h as i8))
                .is_some(),
        };
        if !understood {
            // Not the layout after all: read what is below, prune nothing
            // more by time.
            inner.next = Level::Below;
            inner.year = None;
        }
        Entered::Folder(inner)
    }

    /// Whether this folder is a level of the layout (inside `AWSLogs/`,
    /// down to the hour) rather than outside it or below it. An S3 source
    /// lists only such prefixes: anything else would mean listing the
    /// bucket.
    pub fn fits_layout(&self) -> bool {
        !matches!(self.next, Level::Outside | Level::Below) || self.hour.is_some()
    }

    /// Whether the folders below can be levels of the layout: not below
    /// the hour, nor below a folder that did not fit.
    pub fn has_levels_below(&self) -> bool {
        self.next != Level::Below
    }

    /// Whether the next level is the year: the folders below are
    /// `YYYY/MM/DD/` (or `year=YYYY/month=MM/day=DD/`).
    pub fn next_is_year(&self) -> bool {
        self.next == Level::Year
    }

    /// The names of the year, month and day folders of a day below this
    /// place, in its layout.
    pub fn day_folders(&self, (year, month, day): (i16, i8, i8)) -> [String; 3] {
        if self.hive {
            [
                format!("year={year:04}"),
                format!("month={month:02}"),
                format!("day={day:02}"),
            ]
        } else {
            [
                format!("{year:04}"),
                format!("{month:02}"),
                format!("{day:02}"),
            ]
        }
    }

    fn at(&mut self, next: Level) -> &mut Place {
        self.next = next;
        self
    }

    /// The time span `[start, end)` every record file below this folder is
    /// stamped in, when the folder names a year, month, day or hour. None
    /// (not pruned) when the span reaches past flowq's time range.
    fn span(&self) -> Option<(i64, i64)> {
        let year = self.year?;
        let at = |y: i16, m: i8, d: i8, h: i8| Time::from_fields(y, m, d, h, 0).map(Time::unix);
        match (self.month, self.day, self.hour) {
            (None, _, _) => Some((at(year, 1, 1, 0)?, at(year + 1, 1, 1, 0)?)),
            (Some(m), None, _) => {
                let (ny, nm) = if m == 12 {
                    (year + 1, 1)
                } else {
                    (year, m + 1)
                };
                Some((at(year, m, 1, 0)?, at(ny, nm, 1, 0)?))
            }
            (Some(m), Some(d), None) => {
                let start = at(year, m, d, 0)?;
                Some((start, start + 86_400))
            }
            (Some(m), Some(d), Some(h)) => {
                let start = at(year, m, d, h)?;
                Some((start, start + 3600))
            }
        }
    }
}

/// The place of a folder, from the names of every folder above it.
fn place_of(absolute: &Path) -> Place {
    let names = absolute
        .components()
        .filter_map(|component| match component {
            std::path::Component::Normal(name) => Some(name.to_str().unwrap_or("")),
            _ => None,
        });
    place_of_names(names)
}

/// The place below a path of folder (or S3 prefix) names, read from the
/// top.
pub(crate) fn place_of_names<'a>(names: impl Iterator<Item = &'a str>) -> Place {
    let mut place = Place::default();
    for name in names {
        place = match place.enter(name) {
            Entered::Folder(inner) => inner,
            // The user pointed here: read it as it is.
            Entered::OtherService => Place {
                next: Level::Below,
                ..place
            },
        };
    }
    place
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_down(path: &str) -> Place {
        let mut place = Place::default();
        for name in path.split('/') {
            match place.enter(name) {
                Entered::Folder(inner) => place = inner,
                Entered::OtherService => panic!("{name} read as another service"),
            }
        }
        place
    }

    #[test]
    fn both_layouts_name_account_region_and_day() {
        let day = crate::time::parse_now("2026-11-27").unwrap().unix();
        for path in [
            "bucket/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/27",
            "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=27",
        ] {
            let place = walk_down(path);
            assert_eq!(place.account.as_deref(), Some("123456789012"), "{path}");
            assert_eq!(place.region.as_deref(), Some("eu-west-1"), "{path}");
            assert_eq!(place.span(), Some((day, day + 86_400)), "{path}");
            let hour = match place.enter(if path.contains('=') { "hour=23" } else { "23" }) {
                Entered::Folder(p) => p,
                Entered::OtherService => unreachable!(),
            };
            assert_eq!(hour.span(), Some((day + 23 * 3600, day + 24 * 3600)));
        }
    }

    #[test]
    fn folders_that_do_not_fit_are_not_pruned_by_time() {
        let place = walk_down("AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/backup/27");
        assert_eq!(place.span(), None);
        assert_eq!(walk_down("incident/2026/11/27").span(), None);
        let december = walk_down("AWSLogs/1/vpcflowlogs/r/2026/12");
        let (start, end) = december.span().unwrap();
        assert_eq!(end - start, 31 * 86_400);
    }

    #[test]
    fn other_services_are_recognised() {
        let account = walk_down("AWSLogs/123456789012");
        assert!(matches!(
            account.enter("elasticloadbalancing"),
            Entered::OtherService
        ));
        assert!(matches!(
            walk_down("AWSLogs/aws-account-id=1").enter("aws-service=cloudtrail"),
            Entered::OtherService
        ));
    }

    #[test]
    fn a_range_lists_its_days_in_the_layout_of_the_place() {
        let at = |t: &str| crate::time::parse_now(t).unwrap();
        let pruning = Pruning {
            range: PartitionRange {
                first: Some(at("2026-11-30T23:55:00Z")),
                last: Some(at("2026-12-01T00:30:00Z")),
            },
            accounts: None,
            regions: None,
        };
        assert_eq!(pruning.days(10), Some(vec![(2026, 11, 30), (2026, 12, 1)]));
        assert_eq!(pruning.days(1), None, "more days than asked for");
        let open = Pruning {
            range: PartitionRange {
                first: None,
                last: Some(at("2026-12-01T00:30:00Z")),
            },
            ..pruning.clone()
        };
        assert_eq!(open.days(10), None, "no start: the days are discovered");
        let default = walk_down("AWSLogs/1/vpcflowlogs/r");
        assert!(default.next_is_year());
        assert_eq!(default.day_folders((2026, 12, 1)), ["2026", "12", "01"]);
        let hive = walk_down("AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=r");
        assert!(hive.next_is_year());
        assert_eq!(
            hive.day_folders((2026, 2, 9)),
            ["year=2026", "month=02", "day=09"]
        );
    }

    #[test]
    fn only_levels_of_the_layout_fit_it() {
        assert!(!walk_down("exports").fits_layout());
        assert!(walk_down("AWSLogs").fits_layout());
        let hour = walk_down("AWSLogs/1/vpcflowlogs/r/2026/11/27/05");
        assert!(hour.fits_layout() && !hour.has_levels_below());
        let odd = walk_down("AWSLogs/1/vpcflowlogs/r/2026/backup");
        assert!(!odd.fits_layout());
        let day = walk_down("AWSLogs/1/vpcflowlogs/r/2026/11/27");
        assert!(day.fits_layout() && day.has_levels_below());
    }

    #[test]
    fn file_names_give_account_region_and_stamp() {
        let name = FileName::parse(
            "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
        )
        .unwrap();
        assert_eq!(name.account, "123456789012");
        assert_eq!(name.region, "us-east-1");
        assert_eq!(
            name.stamp,
            crate::time::parse_now("2018-06-20T16:20:00Z")
                .unwrap()
                .unix()
        );
        assert_eq!(FileName::parse("flows.log.gz"), None);
        assert_eq!(
            FileName::parse("1_vpcflowlogs_r_fl-1_20180620T1660Z_h.log"),
            None
        );
        assert_eq!(FileKind::of("a.log.parquet"), Some(FileKind::Parquet));
        assert_eq!(FileKind::of("a.json.gz"), None);
    }
}
