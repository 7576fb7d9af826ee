//! What every AWS client of flowq shares: aws-config's default chain
//! (environment, AWS_PROFILE, SSO, shared config, credential_process,
//! IMDS; the endpoint from AWS_ENDPOINT_URL and its per-service forms) on
//! an HTTPS client of rustls with ring. The SDK's default HTTPS client
//! would build aws-lc from C source, minutes on a small machine. Athena
//! (`athena/connect.rs`) and EC2 (`ec2.rs`) both start here.

use aws_config::{BehaviorVersion, ConfigLoader, Region};

/// The default chain, with the region and profile the user gave (the
/// chain's own otherwise). Retry settings stay the chain's
/// (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, the profile): standard mode with 3
/// attempts by default.
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
