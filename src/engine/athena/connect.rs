//! The Athena client: credentials and region from aws-config's default
//! chain (environment, AWS_PROFILE, SSO, shared config, credential_process,
//! IMDS), the endpoint from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ATHENA when
//! set, and a note of every retry the SDK makes.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use aws_config::ConfigLoader;
use aws_sdk_athena::error::ProvideErrorMetadata;
use aws_sdk_athena::Client;
use aws_smithy_runtime_api::client::interceptors::context::Error as OperationError;

pub(crate) use crate::engine::aws::RetryLog;
use crate::engine::aws::RetryNotice;

use super::settings::AthenaTarget;
use super::summary::AthenaError;

/// An Athena client and the record of the retries it made.
#[derive(Clone, Debug)]
pub struct Athena {
    client: Client,
    retries: Arc<RetryLog>,
}

impl Athena {
    /// A client for `target`'s region and profile, with credentials and
    /// endpoint from the default chain.
    pub async fn connect(target: &AthenaTarget) -> Result<Athena, AthenaError> {
        Athena::connect_with(config_loader(target)).await
    }

    /// A client from a loader the caller has adjusted (tests set an
    /// endpoint and static credentials here).
    pub async fn connect_with(loader: ConfigLoader) -> Result<Athena, AthenaError> {
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(AthenaError::Refused(
                "no AWS region: Athena is regional\n  = help: pass --region, set AWS_REGION, or give the profile a region".into(),
            ));
        }
        let retries = Arc::new(RetryLog::default());
        let athena_config = aws_sdk_athena::config::Builder::from(&config)
            .interceptor(RetryNotice::new(Arc::clone(&retries), service_error_code))
            .build();
        Ok(Athena {
            client: Client::from_conf(athena_config),
            retries,
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn retries(&self) -> &RetryLog {
        &self.retries
    }
}

/// The default chain with `target`'s region and profile
/// (engine/aws.rs, shared with the S3 sources). Retry settings stay the
/// chain's (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, the profile), standard mode
/// with 3 attempts by default.
pub fn config_loader(target: &AthenaTarget) -> ConfigLoader {
    crate::engine::aws::config_loader(target.region.as_deref(), target.profile.as_deref())
}

/// A ClientRequestToken (32 to 128 characters, reference §4.6): 128 random
/// bits from the standard library's hasher keys, which the OS seeds.
pub fn request_token() -> String {
    let random = || {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish()
    };
    format!("flowq-{:016x}{:016x}", random(), random())
}

/// The error code ("ThrottlingException") of a failed Athena call. The
/// error arrives type-erased; each operation flowq calls has its own type.
fn service_error_code(error: &OperationError) -> Option<String> {
    use aws_sdk_athena::operation::{
        batch_get_named_query::BatchGetNamedQueryError, create_named_query::CreateNamedQueryError,
        get_query_execution::GetQueryExecutionError, get_query_results::GetQueryResultsError,
        list_named_queries::ListNamedQueriesError, start_query_execution::StartQueryExecutionError,
        stop_query_execution::StopQueryExecutionError,
    };
    fn code<E>(error: &OperationError) -> Option<String>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        error
            .downcast_ref::<E>()
            .and_then(|e| e.code())
            .map(str::to_string)
    }
    code::<GetQueryExecutionError>(error)
        .or_else(|| code::<GetQueryResultsError>(error))
        .or_else(|| code::<StartQueryExecutionError>(error))
        .or_else(|| code::<StopQueryExecutionError>(error))
        .or_else(|| code::<ListNamedQueriesError>(error))
        .or_else(|| code::<BatchGetNamedQueryError>(error))
        .or_else(|| code::<CreateNamedQueryError>(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_are_long_enough_and_differ() {
        let (a, b) = (request_token(), request_token());
        assert!((32..=128).contains(&a.len()), "{a}");
        assert_ne!(a, b);
    }
}
