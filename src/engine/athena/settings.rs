//! Where and how a query runs on Athena: the settings a source and the
//! command line give the runner.

use std::time::Duration;

/// Where a query runs: the Athena side of a source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AthenaTarget {
    /// Overrides the region of the default chain (AWS_REGION, the profile).
    pub region: Option<String>,
    /// A named profile of ~/.aws/config, instead of AWS_PROFILE or `default`.
    pub profile: Option<String>,
    pub workgroup: String,
    /// The QueryExecutionContext database.
    pub database: String,
    /// The data catalog; Athena's default is `AwsDataCatalog`.
    pub catalog: Option<String>,
    /// `s3://bucket/prefix/` for results; without it the workgroup's
    /// configured location applies (reference §4.5).
    pub output_location: Option<String>,
}

/// How a query is run, beyond where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Reuse a previous identical query's result up to this old
    /// (ResultReuseConfiguration, whole minutes, 1 minute to 7 days).
    pub reuse_max_age: Option<Duration>,
    /// Stop the query once it has scanned more than this many bytes.
    pub max_scan_bytes: Option<u64>,
    /// Whether the SQL restricts the partitions it reads (the compiled
    /// query's window has a start). `max_scan_bytes` requires it: a query
    /// that reads every partition is refused rather than started and
    /// stopped at the limit.
    pub has_partition_predicate: bool,
    /// How often GetQueryExecution is polled.
    pub poll: Backoff,
}

/// Polling intervals: `initial`, growing by half each time, up to `max`.
/// GetQueryExecution allows 100 calls a second per account (reference
/// §4.3), so a 2 s cap keeps a long query well under it while a short one
/// is seen to finish within a fraction of a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
        }
    }
}

impl Backoff {
    pub(super) fn next(&self, current: Duration) -> Duration {
        (current * 3 / 2).min(self.max)
    }
}
