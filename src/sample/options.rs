//! What `flowq sample` generates: the layout, the format version and the
//! options of a run, with their limits.

use std::path::PathBuf;

use crate::schema::{LogFormat, DEFAULT_FORMAT};

/// The full v2-v5 custom format, in the order of the AWS field table
/// (reference §1.4).
pub const V5_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} \
${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} \
${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} \
${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} \
${pkt-dst-aws-service} ${flow-direction} ${traffic-path}";

/// The service publishes a file per 5-minute interval (reference §2).
pub const FILE_INTERVAL: i64 = 300;

/// The longest aggregation interval (reference §1.1): a record's `end` is
/// at most this long after its `start`.
pub const MAX_AGGREGATION: i64 = 600;

/// A file holds the records whose `end` falls in the 5 minutes before its
/// timestamp (the 2018 reading of reference §2: "16:15:01 to 16:20:00"),
/// so a file's timestamp is at most this long after a record's `start`.
pub const MAX_DELIVERY_LAG: i64 = MAX_AGGREGATION + FILE_INTERVAL;

/// More records than this in one run is almost surely a typo in the flags.
const MAX_RECORDS: u64 = 2_000_000_000;

/// More files than this too (a million files is 9.5 years of one account
/// and region, or a year of ten): a span of centuries is refused before
/// anything is written, rather than written for days.
pub const MAX_FILES: u64 = 1_000_000;

/// The S3 key layout (reference §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/`
    Default,
    /// `AWSLogs/aws-account-id=<a>/aws-service=vpcflowlogs/aws-region=<r>/year=YYYY/...`
    Hive,
}

impl Layout {
    pub const ALL: [Layout; 2] = [Layout::Default, Layout::Hive];

    /// The name `--layout` takes.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Default => "default",
            Layout::Hive => "hive",
        }
    }
}

/// How each file is stored (the flow log's `FileFormat`, reference §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Space-separated text with a header line, gzipped: `.log.gz`.
    Text,
    /// Parquet, GZIP-compressed: `.log.parquet`.
    Parquet,
}

impl FileFormat {
    pub const ALL: [FileFormat; 2] = [FileFormat::Text, FileFormat::Parquet];

    /// The name `--file-format` takes.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Text => "text",
            FileFormat::Parquet => "parquet",
        }
    }

    /// What an object's name ends with.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Text => "log.gz",
            FileFormat::Parquet => "log.parquet",
        }
    }
}

/// Which fields the records carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatVersion {
    /// The default format: the 14 version-2 fields.
    V2,
    /// The custom format of every field of versions 2 to 5 (29 fields).
    V5,
}

impl FormatVersion {
    pub const ALL: [FormatVersion; 2] = [FormatVersion::V2, FormatVersion::V5];

    /// The name `--format-version` takes: the version number.
    pub fn name(self) -> &'static str {
        match self {
            FormatVersion::V2 => "2",
            FormatVersion::V5 => "5",
        }
    }

    /// The `version` field's value: the highest version among the format's
    /// fields (reference §1.2).
    pub fn number(self) -> u8 {
        match self {
            FormatVersion::V2 => 2,
            FormatVersion::V5 => 5,
        }
    }

    pub fn format(self) -> LogFormat {
        let text = match self {
            FormatVersion::V2 => DEFAULT_FORMAT,
            FormatVersion::V5 => V5_FORMAT,
        };
        LogFormat::parse(text).expect("the built-in formats are valid")
    }

    /// The header line AWS writes first in each file: the field names.
    pub fn header(self) -> String {
        let names: Vec<&str> = self.format().fields().iter().map(|f| f.name).collect();
        names.join(" ")
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    pub out: PathBuf,
    /// Records start in `[start, end)`, Unix seconds.
    pub start: i64,
    pub end: i64,
    /// Records per minute for each account and region.
    pub flows_per_minute: u32,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub layout: Layout,
    pub hourly: bool,
    pub version: FormatVersion,
    pub file_format: FileFormat,
    /// Rows per Parquet row group, at most.
    pub row_group_rows: usize,
    pub seed: u64,
    /// Files written at once; 0 means one per core.
    pub threads: usize,
}

impl Options {
    /// The defaults of `flowq sample` for a window.
    pub fn new(out: impl Into<PathBuf>, start: i64, end: i64) -> Options {
        Options {
            out: out.into(),
            start,
            end,
            flows_per_minute: 100,
            accounts: vec!["123456789012".into()],
            regions: vec!["us-east-1".into()],
            layout: Layout::Default,
            hourly: false,
            version: FormatVersion::V2,
            file_format: FileFormat::Text,
            row_group_rows: super::parquet::ROW_GROUP_ROWS,
            seed: 1,
            threads: 0,
        }
    }

    /// Says what is wrong with the options, in the words of the flags.
    pub fn validate(&self) -> Result<(), String> {
        if self.end <= self.start {
            return Err(format!(
                "--end ({}) must be after --start ({})",
                crate::time::format_rfc3339(self.end),
                crate::time::format_rfc3339(self.start)
            ));
        }
        if self.row_group_rows == 0 {
            return Err("--row-group-rows must be at least 1".into());
        }
        if self.flows_per_minute == 0 {
            return Err("--flows-per-minute must be at least 1".into());
        }
        if self.accounts.is_empty() || self.regions.is_empty() {
            return Err("give at least one account and one region".into());
        }
        for account in &self.accounts {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "--accounts: '{account}' is not an AWS account id: 12 digits, e.g. 123456789012"
                ));
            }
        }
        for region in &self.regions {
            if !is_region_name(region) {
                return Err(format!(
                    "--regions: '{region}' is not a region name like us-east-1 or ap-southeast-2"
                ));
            }
        }
        let minutes = (self.end - self.start) as u64 / 60 + 1;
        let streams = (self.accounts.len() * self.regions.len()) as u64;
        let files = Jobs::new(self, streams as usize).count();
        if files > MAX_FILES {
            return Err(format!(
                "that would write about {files} files (over {MAX_FILES}, one per 5 minutes for each account and region): \
                 shorten the window (--start, --end) or give fewer --accounts or --regions"
            ));
        }
        let records = minutes
            .saturating_mul(streams)
            .saturating_mul(u64::from(self.flows_per_minute));
        if records > MAX_RECORDS {
            return Err(format!(
                "that would write about {records} records (over {MAX_RECORDS}): \
                 shorten the window or lower --flows-per-minute"
            ));
        }
        Ok(())
    }
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`: lowercase words and a
/// number, joined by hyphens.
pub(super) fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let (number, words) = parts.split_last().expect("split yields a part");
    parts.len() >= 3
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Every file that can hold a record starting in the window: records end
/// up to [`MAX_AGGREGATION`] after the window, and a file holds the ends
/// of the 5 minutes before its timestamp. Jobs are worked out from their
/// index, never listed, so memory does not grow with the window.
#[derive(Clone, Copy, Debug)]
pub(super) struct Jobs {
    /// The timestamp of each stream's first file.
    first: i64,
    /// Files per stream.
    per_stream: u64,
    streams: u64,
}

impl Jobs {
    pub(super) fn new(options: &Options, streams: usize) -> Jobs {
        let first = options.start.div_euclid(FILE_INTERVAL) * FILE_INTERVAL + FILE_INTERVAL;
        let last_end = options.end - 1 + MAX_AGGREGATION;
        let last = last_end.div_euclid(FILE_INTERVAL) * FILE_INTERVAL + FILE_INTERVAL;
        let per_stream = u64::try_from((last - first) / FILE_INTERVAL + 1).unwrap_or(0);
        Jobs {
            first,
            per_stream,
            streams: streams as u64,
        }
    }

    pub(super) fn count(&self) -> u64 {
        self.per_stream.saturating_mul(self.streams)
    }

    /// The `index`th job: each stream's files in time order, stream by
    /// stream.
    pub(super) fn get(&self, index: u64) -> Option<Job> {
        if index >= self.count() {
            return None;
        }
        let step = i64::try_from(index % self.per_stream).ok()?;
        Some(Job {
            stream: usize::try_from(index / self.per_stream).ok()?,
            file_time: self.first + step * FILE_INTERVAL,
        })
    }
}

/// One file to write: a stream (account and region) and the file's
/// timestamp.
#[derive(Clone, Copy)]
pub(super) struct Job {
    pub stream: usize,
    pub file_time: i64,
}
