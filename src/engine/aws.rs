//! What the AWS clients share: one way to load the SDK's configuration
//! (Athena in engine/athena/connect.rs, S3 sources in
//! engine/local/objects.rs, EC2 in engine/ec2.rs), Ctrl-C while waiting on
//! AWS, and the S3 request prices the cost estimates use.
//!
//! Credentials and region come from aws-config's default chain
//! (environment, AWS_PROFILE, SSO, shared config, credential_process,
//! IMDS); the endpoint from AWS_ENDPOINT_URL or the service's own
//! AWS_ENDPOINT_URL_<SERVICE>. Retries are the chain's too (AWS_MAX_ATTEMPTS,
//! AWS_RETRY_MODE, the profile): standard mode, 3 attempts by default, with
//! exponential backoff and jitter on throttling, 5xx and timeouts.

use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, Error as OperationError, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// The default chain with a region and profile that override it, on
/// rustls with ring: the SDK's default HTTPS client would build aws-lc
/// from C source, minutes on a small machine.
pub fn config_loader(region: Option<&str>, profile: Option<&str>) -> ConfigLoader {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader
}

/// The retries of one client, in order: "GetQueryExecution after
/// ThrottlingException", "GetObject after SlowDown". The runners pass new
/// ones on as progress notes, and list them all in the summary.
#[derive(Default)]
pub struct RetryLog {
    entries: Mutex<Vec<String>>,
}

impl RetryLog {
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn since(&self, start: usize) -> Vec<String> {
        lock(&self.entries)[start..].to_vec()
    }

    fn record(&self, entry: String) {
        lock(&self.entries).push(entry);
    }
}

impl std::fmt::Debug for RetryLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryLog")
            .field("entries", &*lock(&self.entries))
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The service's error code of a failed attempt ("SlowDown"), read from
/// the type-erased error of one of the client's operations.
pub type ErrorCode = fn(&OperationError) -> Option<String>;

/// Notes each attempt the SDK's retry strategy makes after a failed one,
/// in a client's [`RetryLog`].
#[derive(Debug)]
pub struct RetryNotice {
    log: Arc<RetryLog>,
    code: ErrorCode,
}

impl RetryNotice {
    pub fn new(log: Arc<RetryLog>, code: ErrorCode) -> RetryNotice {
        RetryNotice { log, code }
    }
}

/// Why the previous attempt of a call failed, kept in the call's own
/// config bag: the next attempt, if the retry strategy makes one, reports it.
#[derive(Debug)]
struct FailedAttempt(String);

impl Storable for FailedAttempt {
    type Storer = StoreReplace<Self>;
}

impl Intercept for RetryNotice {
    fn name(&self) -> &'static str {
        "flowq::RetryNotice"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(FailedAttempt(failure)) = cfg.load::<FailedAttempt>() {
            let operation = cfg.load::<Metadata>().map_or("a call", |m| m.name());
            self.log.record(format!("{operation} after {failure}"));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match context.output_or_error() {
            Some(Err(error)) => {
                let failure = match error.as_operation_error() {
                    Some(error) => (self.code)(error).unwrap_or_else(|| "an error".into()),
                    None => error.to_string(),
                };
                cfg.interceptor_state().store_put(FailedAttempt(failure));
            }
            _ => {
                cfg.interceptor_state().unset::<FailedAttempt>();
            }
        }
        Ok(())
    }
}

/// S3 request list prices, S3 Standard in us-east-1 (aws.amazon.com/s3/pricing,
/// December 2026): what a direct S3 source's GETs and LISTs cost. Other
/// regions and storage classes differ by a little; the estimate says
/// which prices it used. Transfer out of AWS is not counted: inside the
/// region it is free, and outside it depends on the network path.
pub mod s3_prices {
    /// GET (and SELECT) requests, dollars per 1,000.
    pub const GET_PER_1000: f64 = 0.0004;
    /// LIST (and PUT, COPY, POST) requests, dollars per 1,000.
    pub const LIST_PER_1000: f64 = 0.005;
    /// How the estimate names the prices it used.
    pub const BASIS: &str = "S3 Standard us-east-1 list prices";

    /// The dollars of `gets` GET and `lists` LIST requests.
    pub fn requests_cost(gets: u64, lists: u64) -> f64 {
        gets as f64 / 1000.0 * GET_PER_1000 + lists as f64 / 1000.0 * LIST_PER_1000
    }
}

/// The single-threaded async runtime a run on AWS waits on (Athena's
/// polling, EC2's pages, an S3 source's listing and GETs), or why there
/// is none.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Ctrl-C, listened for from the moment it is created (tokio's `ctrl_c()`
/// only installs its handler when first polled), so that a run that waits
/// on AWS (Athena's polling, an S3 source's GETs) can stop what it
/// started. Created inside a runtime.
pub(crate) struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    pub fn listen() -> std::io::Result<Interrupt> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c();
        signal.map(|signal| Interrupt { signal })
    }

    pub async fn recv(&mut self) {
        self.signal.recv().await;
    }
}
