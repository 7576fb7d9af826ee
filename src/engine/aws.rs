//! What the AWS clients share: one way to load the SDK's configuration
//! (Athena in engine/athena/connect.rs, S3 sources in
//! engine/local/objects.rs), and the S3 request prices the cost estimates
//! use.
//!
//! Credentials and region come from aws-config's default chain
//! (environment, AWS_PROFILE, SSO, shared config, credential_process,
//! IMDS); the endpoint from AWS_ENDPOINT_URL or the service's own
//! AWS_ENDPOINT_URL_<SERVICE>. Retries are the chain's too (AWS_MAX_ATTEMPTS,
//! AWS_RETRY_MODE, the profile): standard mode, 3 attempts by default, with
//! exponential backoff and jitter on throttling, 5xx and timeouts.

use aws_config::{BehaviorVersion, ConfigLoader, Region};

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
