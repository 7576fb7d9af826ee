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

mod interfaces;
mod options;
mod parquet;
mod rng;
mod text;
mod traffic;

pub use interfaces::interfaces_csv;
use options::Jobs;
pub use options::{
    FileFormat, FormatVersion, Layout, Options, FILE_INTERVAL, MAX_AGGREGATION, MAX_DELIVERY_LAG,
    MAX_FILES, V5_FORMAT,
};
pub use parquet::ROW_GROUP_ROWS;
use rng::{mix, Rng};
use text::{write_record, Slot};
use traffic::{draw_record, streams, Stream};

/// What a run wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub records: u64,
    /// Uncompressed bytes of the records as text, header lines included.
    pub bytes: u64,
    /// Bytes written to disk (gzip text, or Parquet).
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
    let fields: Vec<&crate::schema::Field> = options.version.format().fields().to_vec();
    let writer = FileWriter {
        options,
        header: &header,
        slots: &slots,
        fields: &fields,
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

struct FileWriter<'a> {
    options: &'a Options,
    header: &'a str,
    slots: &'a [Slot],
    fields: &'a [&'static crate::schema::Field],
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
            self.options.file_format,
        ));
        if self.options.file_format == FileFormat::Parquet {
            return self.write_parquet(stream, file_time, &path, &mut rng, buffer);
        }
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

impl FileWriter<'_> {
    /// [`FileWriter::write_file`] as Parquet: the same records drawn the
    /// same way, written as text lines first and then by columns.
    fn write_parquet(
        &self,
        stream: &Stream,
        file_time: i64,
        path: &Path,
        rng: &mut Rng,
        buffer: &mut Vec<u8>,
    ) -> io::Result<Summary> {
        let mut summary = Summary::default();
        buffer.clear();
        let candidates = u64::from(self.options.flows_per_minute) * (FILE_INTERVAL as u64 / 60);
        let version = self.options.version.number();
        for _ in 0..candidates {
            let Some(record) = draw_record(stream, file_time, self.options, rng) else {
                continue;
            };
            write_record(buffer, self.slots, stream, version, &record);
            summary.records += 1;
        }
        if summary.records == 0 {
            return Ok(Summary::default());
        }
        summary.bytes = (self.header.len() + 1 + buffer.len()) as u64;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        parquet::write(
            path,
            self.fields,
            buffer,
            self.options.row_group_rows,
            parquet::gzip(),
        )?;
        summary.gzip_bytes = fs::metadata(path)?.len();
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
fn object_key(
    stream: &Stream,
    file_time: i64,
    hash: u32,
    layout: Layout,
    hourly: bool,
    file_format: FileFormat,
) -> PathBuf {
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
        "{account}_vpcflowlogs_{region}_{flow_log}_{year:04}{month:02}{day:02}T{hour:02}{minute:02}Z_{hash:08x}.{extension}",
        flow_log = stream.flow_log_id,
        extension = file_format.extension(),
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
            assert!(options::is_region_name(good), "{good}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "us--1", "us-east-x", ""] {
            assert!(!options::is_region_name(bad), "{bad}");
        }
    }
}
