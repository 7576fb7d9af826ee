//! S3 sources: the local engine over the objects under `s3://bucket/prefix/`,
//! with no table (docs/local-engine.md, "S3 sources").
//!
//! The prefix is where `AWSLogs/` starts, or any prefix inside the layout
//! (reference §2). The listing walks the layout like the folder walk of
//! `layout.rs`, with the same rule ([`Place::enter`], [`Pruning::allows`],
//! [`layout::judge_file`]), but it never lists what the window cannot
//! need:
//!
//! - accounts and regions are discovered with ListObjectsV2 and a `/`
//!   delimiter (one listing per level);
//! - below a region, the day prefixes of the partition range are listed
//!   directly (`YYYY/MM/DD/` or `year=YYYY/month=MM/day=DD/`), without
//!   listing years or months; hour prefixes found in a day are listed only
//!   when the range reaches them;
//! - prefixes that are not a level of the layout are not listed, and are
//!   counted and named in the summary.
//!
//! Objects are then pruned by the timestamp in their names, and the
//! remaining ones fetched by [`super::fetch`] while the scan reads them.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use aws_sdk_s3::Client;
use aws_smithy_runtime_api::client::interceptors::context::Error as OperationError;
use tokio::task::JoinSet;

use super::fetch::{self, Fetched};
use super::layout::{self, Entered, FileEntry, Place, Plan, Pruning, Verdict};
use super::{LocalError, PlanScan, ScanStats};
use crate::engine::aws::{Interrupt, RetryLog, RetryNotice};
use crate::engine::output::RowSink;
use crate::engine::shape::ObjectCounts;

/// GETs in flight by default (`--s3-concurrency`, `s3_concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 16;
/// The most GETs in flight a source may ask for: beyond this the
/// connection pool, not S3 (5,500 GETs a second per prefix), is the limit.
pub const MAX_CONCURRENCY: usize = 256;

/// Days of a partition range listed one by one; a longer range (or one
/// without a start) discovers its years, months and days by listing.
const MAX_LISTED_DAYS: usize = 3700;

/// How many names of prefixes outside the layout the summary shows.
const OUTSIDE_EXAMPLES: usize = 3;

/// `s3://bucket/prefix/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Prefix {
    pub bucket: String,
    /// Empty, or ending in `/`.
    pub prefix: String,
}

impl S3Prefix {
    /// Reads `s3://bucket/prefix/` (the last `/` may be left out).
    pub fn parse(uri: &str) -> Result<S3Prefix, String> {
        let Some(rest) = uri.strip_prefix("s3://") else {
            return Err(format!(
                "'{uri}' is not an S3 URI; write s3://bucket/prefix/"
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // Today's names are 3 to 63 lowercase letters, digits, dots and
        // hyphens; older us-east-1 buckets may have capitals and
        // underscores, and up to 255 characters.
        let bucket_ok = (3..=255).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !bucket_ok {
            return Err(format!(
                "'{uri}': '{bucket}' is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens; older buckets also capitals and underscores); write s3://bucket/prefix/"
            ));
        }
        if prefix.split('/').rev().skip(1).any(str::is_empty) {
            return Err(format!(
                "'{uri}': the prefix has an empty folder name ('//'); write s3://bucket/prefix/"
            ));
        }
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(S3Prefix {
            bucket: bucket.to_string(),
            prefix,
        })
    }

    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// How errors and the plan name an object.
    fn object_path(&self, key: &str) -> PathBuf {
        PathBuf::from(format!("s3://{}/{key}", self.bucket))
    }
}

/// An S3 source and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Source {
    pub prefix: S3Prefix,
    /// GETs in flight at most.
    pub concurrency: usize,
    /// Overrides the region of the default chain.
    pub region: Option<String>,
    pub profile: Option<String>,
}

impl S3Source {
    pub fn new(prefix: S3Prefix) -> S3Source {
        S3Source {
            prefix,
            concurrency: DEFAULT_CONCURRENCY,
            region: None,
            profile: None,
        }
    }
}

/// An S3 client from the default chain (engine/aws.rs). With an endpoint
/// of its own (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3: moto, MinIO and
/// other S3-compatible stores) requests use path-style addressing, which
/// those stores expect.
pub async fn connect(
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<(Client, Arc<RetryLog>), String> {
    let config = crate::engine::aws::config_loader(region, profile)
        .load()
        .await;
    if config.region().is_none() {
        return Err(
            "no AWS region: S3 requests are signed for a region\n  = help: pass --region, set AWS_REGION, or give the profile a region".into(),
        );
    }
    let own_endpoint = config.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
    let retries = Arc::new(RetryLog::default());
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(own_endpoint)
        .interceptor(RetryNotice::new(Arc::clone(&retries), s3_error_code))
        .build();
    Ok((Client::from_conf(s3), retries))
}

/// The error code ("SlowDown") of a failed S3 call flowq makes.
fn s3_error_code(error: &OperationError) -> Option<String> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
    let code = match error.downcast_ref::<GetObjectError>() {
        Some(error) => error.code(),
        None => error
            .downcast_ref::<ListObjectsV2Error>()
            .and_then(|e| e.code()),
    };
    code.map(str::to_string)
}

/// Lists, fetches and scans an S3 source.
pub(crate) fn run(
    source: &S3Source,
    pruning: &Pruning,
    plan_scan: &PlanScan,
    sink: &mut dyn RowSink,
) -> Result<ScanStats, LocalError> {
    let runtime = crate::engine::aws::runtime().map_err(LocalError::S3Setup)?;
    let mut interrupt = runtime
        .block_on(async { Interrupt::listen() })
        .map_err(|e| LocalError::S3Setup(format!("cannot listen for Ctrl-C: {e}")))?;
    let (client, retries, listing) = runtime.block_on(async {
        tokio::select! {
            biased;
            _ = interrupt.recv() => Err(LocalError::Interrupted),
            listed = connect_and_list(source, pruning) => listed,
        }
    })?;
    plan_scan.refuse_past_limit(&listing.plan)?;
    if let Some(progress) = plan_scan.progress {
        progress
            .objects
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let fetched = Fetched::new(source.concurrency, plan_scan.threads);
    let files = &listing.plan.files;
    let keys = &listing.keys;
    let stats = std::thread::scope(|scope| {
        let fetcher = scope.spawn(|| {
            let _closed = fetched.close_on_drop();
            let notes = fetch::RetryNotes::new(&retries, plan_scan.progress);
            runtime.block_on(fetch::fetch_all(
                &client,
                &source.prefix.bucket,
                keys,
                files,
                &fetched,
                &mut interrupt,
                notes,
            ));
        });
        let stats = plan_scan.scan(&listing.plan, &fetched, sink);
        fetched.finish();
        // A panic in the fetcher already failed the scan that waited on it.
        let _ = fetcher.join();
        stats
    });
    // Ctrl-C while the rows were written lets them finish, then says so.
    if fetched.interrupted() {
        return Err(LocalError::Interrupted);
    }
    let mut stats = stats?;
    stats.objects = Some(ObjectCounts {
        get_requests: fetched.gets(),
        retries: retries.since(0),
        ..listing.counts
    });
    Ok(stats)
}

/// What the listing found: the plan (objects as files, named
/// `s3://bucket/key`), their keys, and the counts.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub plan: Plan,
    /// The key of each of `plan.files`.
    pub keys: Vec<String>,
    pub counts: ObjectCounts,
    /// Prefixes holding flow-log objects of the partition range.
    pub partitions: u64,
}

async fn connect_and_list(
    source: &S3Source,
    pruning: &Pruning,
) -> Result<(Client, Arc<RetryLog>, Listing), LocalError> {
    let (client, retries) = connect(source.region.as_deref(), source.profile.as_deref())
        .await
        .map_err(LocalError::S3Setup)?;
    let listing = list(&client, &source.prefix, pruning, source.concurrency).await?;
    Ok((client, retries, listing))
}

/// What listing a prefix finds for a query, before anything is read: the
/// cost preview of `flowq explain --cost` and `flowq run --dry-run`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    /// Prefixes (day or hour partitions, or the folders of another
    /// layout) that hold the flow-log objects of the partition range.
    pub partitions: u64,
    /// The flow-log objects in those partitions and their bytes: what
    /// Athena scans (at most, for Parquet).
    pub objects: u64,
    pub bytes: u64,
    /// What the local engine would GET: the objects left after pruning by
    /// the timestamp in their names.
    pub gets: u64,
    pub get_bytes: u64,
    pub list_requests: u64,
    /// The same prefix without partition predicates: every object under
    /// it, when at most [`WHOLE_LIST_PAGES`] pages list them all.
    pub whole: Option<Whole>,
    pub counts: ObjectCounts,
}

/// Every object under a prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Whole {
    pub objects: u64,
    pub bytes: u64,
}

/// The most pages (1,000 keys each) listed to size a prefix without
/// partition predicates; a larger prefix is left unsized, and said so.
pub const WHOLE_LIST_PAGES: u64 = 10;

/// Lists what a query over `source` would read, without reading it; with
/// `whole`, also sizes the prefix without partition predicates.
pub fn preview(
    source: &S3Source,
    query: &crate::lang::ir::CheckedQuery,
    lateness: i64,
    whole: bool,
) -> Result<Preview, LocalError> {
    let pruning = Pruning::new(query, lateness);
    let runtime = crate::engine::aws::runtime().map_err(LocalError::S3Setup)?;
    runtime.block_on(async {
        let (client, _retries, listing) = connect_and_list(source, &pruning).await?;
        let mut preview = Preview {
            partitions: listing.partitions,
            objects: listing.plan.files.len() as u64 + listing.plan.skipped.files,
            bytes: listing.counts.bytes_in_partitions,
            gets: listing.plan.files.len() as u64,
            get_bytes: listing.plan.files.iter().map(|f| f.size).sum(),
            list_requests: listing.counts.list_requests,
            whole: None,
            counts: listing.counts,
        };
        if whole {
            let (sized, requests) = size_whole(&client, &source.prefix).await?;
            preview.whole = sized;
            preview.list_requests += requests;
        }
        Ok(preview)
    })
}

/// Every flow-log object under `root`, listed without a delimiter, unless
/// it takes more than [`WHOLE_LIST_PAGES`] pages; and the requests made.
async fn size_whole(client: &Client, root: &S3Prefix) -> Result<(Option<Whole>, u64), LocalError> {
    let (page, complete) = list_pages(client, &root.bucket, &root.prefix, false, WHOLE_LIST_PAGES)
        .await
        .map_err(|detail| LocalError::List {
            prefix: root.uri(),
            detail,
        })?;
    let whole = complete.then(|| {
        let flow_logs = page
            .objects
            .iter()
            .filter(|(key, _)| layout::is_flow_log_name(Path::new(key)));
        Whole {
            objects: flow_logs.clone().count() as u64,
            bytes: flow_logs.map(|(_, size)| size).sum(),
        }
    });
    Ok((whole, page.requests))
}

/// One prefix's listing: its sub-prefixes and objects, all pages.
#[derive(Debug, Default)]
struct Page {
    prefixes: Vec<String>,
    objects: Vec<(String, u64)>,
    requests: u64,
}

/// Lists the objects a query must read under `root`, with up to
/// `concurrency` listings in flight.
pub(crate) async fn list(
    client: &Client,
    root: &S3Prefix,
    pruning: &Pruning,
    concurrency: usize,
) -> Result<Listing, LocalError> {
    let start = layout::place_of_names(root.prefix.split('/').filter(|n| !n.is_empty()));
    let mut pending: Vec<(String, Place)> = vec![(root.prefix.clone(), start)];
    let mut running: JoinSet<(String, Place, Result<Page, String>)> = JoinSet::new();
    let mut found: Vec<(String, u64, Place)> = Vec::new();
    let mut listing = Listing::default();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((prefix, place)) = pending.pop() else {
                break;
            };
            if let Some(days) = day_prefixes(&prefix, &place, pruning) {
                pending.extend(days);
                continue;
            }
            let (client, bucket) = (client.clone(), root.bucket.clone());
            running.spawn(async move {
                let page = list_prefix(&client, &bucket, &prefix).await;
                (prefix, place, page)
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (prefix, place, page) = joined.map_err(|e| LocalError::List {
            prefix: root.uri(),
            detail: format!("a listing task failed: {e}"),
        })?;
        let page = page.map_err(|detail| LocalError::List {
            prefix: format!("s3://{}/{prefix}", root.bucket),
            detail,
        })?;
        listing.counts.list_requests += page.requests;
        for sub in page.prefixes {
            let name = sub[prefix.len()..].trim_end_matches('/');
            enter_prefix(&place, name, &sub, pruning, &mut pending, &mut listing);
        }
        for (key, size) in page.objects {
            listing.counts.listed += 1;
            found.push((key, size, place.clone()));
        }
    }
    judge_objects(root, found, pruning, &mut listing);
    Ok(listing)
}

/// The day prefixes of the partition range below a region's prefix, when
/// the range is short enough to list them one by one.
fn day_prefixes(prefix: &str, place: &Place, pruning: &Pruning) -> Option<Vec<(String, Place)>> {
    if !place.next_is_year() {
        return None;
    }
    let days = pruning.days(MAX_LISTED_DAYS)?;
    let mut prefixes = Vec::with_capacity(days.len());
    // Popped from the end: the last day is pushed first.
    for day in days.into_iter().rev() {
        let mut inner = place.clone();
        let mut path = prefix.to_string();
        for name in place.day_folders(day) {
            inner = match inner.enter(&name) {
                Entered::Folder(inner) => inner,
                Entered::OtherService => return None,
            };
            path.push_str(&name);
            path.push('/');
        }
        if pruning.allows(&inner) {
            prefixes.push((path, inner));
        }
    }
    Some(prefixes)
}

/// A sub-prefix met in a listing: listed later when it is a level of the
/// layout the query allows, not listed when the query rules it out, and
/// counted (and named) when it is not a level of the layout.
fn enter_prefix(
    place: &Place,
    name: &str,
    full: &str,
    pruning: &Pruning,
    pending: &mut Vec<(String, Place)>,
    listing: &mut Listing,
) {
    let inner = match place.enter(name) {
        Entered::Folder(inner) => inner,
        // Another service's logs (`AWSLogs/<account>/elasticloadbalancing/`)
        // are not flow logs: not listed, not counted, as in a folder.
        Entered::OtherService => return,
    };
    if place.has_levels_below() && inner.fits_layout() {
        if pruning.allows(&inner) {
            pending.push((full.to_string(), inner));
        }
        return;
    }
    listing.counts.prefixes_outside_layout += 1;
    if listing.counts.outside_examples.len() < OUTSIDE_EXAMPLES {
        listing.counts.outside_examples.push(full.to_string());
    }
}

/// Prunes the listed objects by name, in key order (the order a folder's
/// files are read in), and counts what the partitions hold.
fn judge_objects(
    root: &S3Prefix,
    mut found: Vec<(String, u64, Place)>,
    pruning: &Pruning,
    listing: &mut Listing,
) {
    found.sort_by(|a, b| Path::new(&a.0).cmp(Path::new(&b.0)));
    let mut partitions = std::collections::BTreeSet::new();
    for (key, size, place) in found {
        let (folder, name) = key.rsplit_once('/').unwrap_or(("", &key));
        let verdict = layout::judge_file(name, &place, pruning);
        if verdict != Verdict::Ignored {
            partitions.insert(folder.to_string());
        }
        match verdict {
            Verdict::Read {
                compression,
                account,
                region,
            } => {
                listing.counts.bytes_in_partitions += size;
                listing.plan.files.push(FileEntry {
                    path: root.object_path(&key),
                    size,
                    compression,
                    account,
                    region,
                });
                listing.keys.push(key);
            }
            Verdict::Skipped => {
                listing.counts.bytes_in_partitions += size;
                listing.plan.skipped.files += 1;
                listing.plan.skipped.bytes += size;
            }
            Verdict::Ignored => listing.plan.ignored += 1,
        }
    }
    listing.partitions = partitions.len() as u64;
}

/// Every page of one prefix's listing, with `/` as the delimiter.
async fn list_prefix(client: &Client, bucket: &str, prefix: &str) -> Result<Page, String> {
    list_pages(client, bucket, prefix, true, u64::MAX)
        .await
        .map(|(page, _)| page)
}

/// Lists `prefix` page by page, folder by folder (a `/` delimiter) when
/// `by_folder`, at most `max_pages` pages; and whether it got to the end.
async fn list_pages(
    client: &Client,
    bucket: &str,
    prefix: &str,
    by_folder: bool,
    max_pages: u64,
) -> Result<(Page, bool), String> {
    let mut page = Page::default();
    let mut token: Option<String> = None;
    while page.requests < max_pages {
        let response = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(by_folder.then(|| "/".to_string()))
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| fetch::describe_sdk_error("ListObjectsV2", &e))?;
        page.requests += 1;
        page.prefixes.extend(
            response
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
        for object in response.contents() {
            let (Some(key), size) = (object.key(), object.size().unwrap_or(0)) else {
                continue;
            };
            page.objects
                .push((key.to_string(), u64::try_from(size).unwrap_or(0)));
        }
        match response.next_continuation_token() {
            Some(next) if response.is_truncated() == Some(true) => token = Some(next.to_string()),
            _ => return Ok((page, true)),
        }
    }
    Ok((page, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_name_a_bucket_and_a_prefix() {
        let p = S3Prefix::parse("s3://flow-logs/org/").unwrap();
        assert_eq!(
            (p.bucket.as_str(), p.prefix.as_str()),
            ("flow-logs", "org/")
        );
        let p = S3Prefix::parse("s3://flow-logs/org").unwrap();
        assert_eq!(p.prefix, "org/");
        assert_eq!(S3Prefix::parse("s3://flow-logs").unwrap().prefix, "");
        assert_eq!(
            S3Prefix::parse("s3://flow-logs/").unwrap().uri(),
            "s3://flow-logs/"
        );
        for bad in [
            "flow-logs/org",
            "s3://",
            "s3://flow logs/",
            "s3://b",
            "s3://flow-logs/a//b/",
        ] {
            assert!(S3Prefix::parse(bad).is_err(), "{bad}");
        }
    }
}
