//! `flowq sample`: synthetic VPC flow logs, written the way the flow-log
//! service writes them to S3 (reference §2), for demos, tests and
//! benchmarks. docs/sample.md describes what is generated and why.
//!
//! Everything is a function of the seed: each file is drawn from its own
//! generator, seeded from (seed, account, region, file time), so the files
//! can be written in parallel in any order and still come out
//! byte-identical. Nothing reads the clock.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::schema::{LogFormat, DEFAULT_FORMAT};

mod rng;
mod text;
mod traffic;

use rng::{mix, Rng};
use text::{write_record, Slot};
use traffic::{draw_record, streams, Stream};

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
    pub const NAMES: [&'static str; 2] = ["default", "hive"];

    pub fn from_name(name: &str) -> Option<Layout> {
        match name {
            "default" => Some(Layout::Default),
            "hive" => Some(Layout::Hive),
            _ => None,
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
    pub fn from_number(n: u8) -> Option<FormatVersion> {
        match n {
            2 => Some(FormatVersion::V2),
            5 => Some(FormatVersion::V5),
            _ => None,
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
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let (number, words) = parts.split_last().expect("split yields a part");
    parts.len() >= 3
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// What a run wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub records: u64,
    /// Uncompressed bytes, header lines included.
    pub bytes: u64,
    pub gzip_bytes: u64,
}

impl Summary {
    fn add(&mut self, other: Summary) {
        self.files += other.files;
        self.records += other.records;
        self.bytes += other.bytes;
        self.gzip_bytes += other.gzip_bytes;
    }
}

/// Writes the sample tree under `options.out`. Existing files of the same
/// name are overwritten (with the same bytes, for the same options); no
/// other file is touched.
pub fn generate(options: &Options) -> io::Result<Summary> {
    options
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let streams = streams(options);
    let jobs = Jobs::new(options, streams.len());
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(usize::try_from(jobs.count()).unwrap_or(usize::MAX).max(1));
    let header = options.version.header();
    let slots: Vec<Slot> = options
        .version
        .format()
        .fields()
        .iter()
        .map(|f| Slot::named(f.name))
        .collect();
    let writer = FileWriter {
        options,
        header: &header,
        slots: &slots,
    };
    let next = AtomicU64::new(0);
    let total = Mutex::new(Ok(Summary::default()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let result = writer.run(&streams, &jobs, &next);
                let mut total = total.lock().expect("no writer panics holding the lock");
                match (&mut *total, result) {
                    (Ok(sum), Ok(part)) => sum.add(part),
                    (Ok(_), Err(e)) => *total = Err(e),
                    (Err(_), _) => {}
                }
            });
        }
    });
    total.into_inner().expect("no writer panicked")
}

/// One file to write: a stream (account and region) and the file's
/// timestamp.
#[derive(Clone, Copy)]
struct Job {
    stream: usize,
    file_time: i64,
}

/// Every file that can hold a record starting in the window: records end
/// up to [`MAX_AGGREGATION`] after the window, and a file holds the ends
/// of the 5 minutes before its timestamp. Jobs are worked out from their
/// index, never listed, so memory does not grow with the window.
#[derive(Clone, Copy, Debug)]
struct Jobs {
    /// The timestamp of each stream's first file.
    first: i64,
    /// Files per stream.
    per_stream: u64,
    streams: u64,
}

impl Jobs {
    fn new(options: &Options, streams: usize) -> Jobs {
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

    fn count(&self) -> u64 {
        self.per_stream.saturating_mul(self.streams)
    }

    /// The `index`th job: each stream's files in time order, stream by
    /// stream.
    fn get(&self, index: u64) -> Option<Job> {
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

struct FileWriter<'a> {
    options: &'a Options,
    header: &'a str,
    slots: &'a [Slot],
}

/// Records are flushed to the compressor in chunks of about this size.
const CHUNK: usize = 64 * 1024;

impl FileWriter<'_> {
    /// Takes jobs off the shared counter until none are left.
    fn run(&self, streams: &[Stream], jobs: &Jobs, next: &AtomicU64) -> io::Result<Summary> {
        let mut summary = Summary::default();
        let mut buffer = Vec::with_capacity(CHUNK + 1024);
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(index) else {
                return Ok(summary);
            };
            summary.add(self.write_file(&streams[job.stream], job.file_time, &mut buffer)?);
        }
    }

    /// Writes one file, or nothing when no record of the window ends in its
    /// interval (the service writes no empty files).
    fn write_file(
        &self,
        stream: &Stream,
        file_time: i64,
        buffer: &mut Vec<u8>,
    ) -> io::Result<Summary> {
        let mut rng = Rng::new(mix(stream.seed, file_time as u64));
        let hash = rng.next() as u32;
        let path = self.options.out.join(object_key(
            stream,
            file_time,
            hash,
            self.options.layout,
            self.options.hourly,
        ));
        let mut file: Option<GzEncoder<BufWriter<File>>> = None;
        let mut summary = Summary::default();
        buffer.clear();
        buffer.extend_from_slice(self.header.as_bytes());
        buffer.push(b'\n');
        let candidates = u64::from(self.options.flows_per_minute) * (FILE_INTERVAL as u64 / 60);
        let version = self.options.version.number();
        for _ in 0..candidates {
            let Some(record) = draw_record(stream, file_time, self.options, &mut rng) else {
                continue;
            };
            write_record(buffer, self.slots, stream, version, &record);
            summary.records += 1;
            if buffer.len() >= CHUNK {
                summary.bytes += buffer.len() as u64;
                open(&mut file, &path)?.write_all(buffer)?;
                buffer.clear();
            }
        }
        if summary.records == 0 {
            return Ok(Summary::default());
        }
        summary.bytes += buffer.len() as u64;
        let encoder = open(&mut file, &path)?;
        encoder.write_all(buffer)?;
        let mut inner = file.take().expect("opened above").finish()?;
        inner.flush()?;
        summary.gzip_bytes = inner.get_ref().metadata()?.len();
        summary.files = 1;
        Ok(summary)
    }
}

fn open<'f>(
    file: &'f mut Option<GzEncoder<BufWriter<File>>>,
    path: &Path,
) -> io::Result<&'f mut GzEncoder<BufWriter<File>>> {
    if file.is_none() {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let out = BufWriter::with_capacity(CHUNK, File::create(path)?);
        *file = Some(GzEncoder::new(out, Compression::default()));
    }
    Ok(file.as_mut().expect("just opened"))
}

/// The object key of a file, relative to the bucket prefix (reference §2):
/// the folders are the file's delivery time, not its records' start.
fn object_key(stream: &Stream, file_time: i64, hash: u32, layout: Layout, hourly: bool) -> PathBuf {
    let (year, month, day, hour, minute) = crate::time::utc_fields(file_time);
    let (account, region) = (&stream.account, &stream.region);
    let mut key = match layout {
        Layout::Default => {
            format!("AWSLogs/{account}/vpcflowlogs/{region}/{year:04}/{month:02}/{day:02}/")
        }
        Layout::Hive => format!(
            "AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/\
             year={year:04}/month={month:02}/day={day:02}/"
        ),
    };
    if hourly {
        match layout {
            Layout::Default => write!(key, "{hour:02}/"),
            Layout::Hive => write!(key, "hour={hour:02}/"),
        }
        .expect("writing to a String");
    }
    write!(
        key,
        "{account}_vpcflowlogs_{region}_{flow_log}_{year:04}{month:02}{day:02}T{hour:02}{minute:02}Z_{hash:08x}.log.gz",
        flow_log = stream.flow_log_id,
    )
    .expect("writing to a String");
    PathBuf::from(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_checked() {
        for good in ["us-east-1", "ap-southeast-2", "us-gov-west-1"] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "us--1", "us-east-x", ""] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
