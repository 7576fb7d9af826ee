//! The Athena client: credentials and region from aws-config's default
//! chain (environment, AWS_PROFILE, SSO, shared config, credential_process,
//! IMDS), the endpoint from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ATHENA when
//! set (the loader is `engine/aws.rs`'s, shared with EC2), and a note of
//! every retry the SDK makes.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use aws_config::ConfigLoader;
use aws_sdk_athena::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_athena::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_athena::error::{BoxError, ProvideErrorMetadata};
use aws_sdk_athena::Client;
use aws_smithy_runtime_api::client::interceptors::context::Error as OperationError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

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
            .interceptor(RetryNotice {
                log: Arc::clone(&retries),
            })
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

/// The default chain with `target`'s region and profile, on flowq's
/// rustls client (`engine/aws.rs`).
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

/// The retries of one client, in order: "GetQueryExecution after
/// ThrottlingException". The runner passes new ones on as progress notes
/// at each poll, and lists them all in the summary.
#[derive(Default)]
pub(crate) struct RetryLog {
    entries: Mutex<Vec<String>>,
}

impl RetryLog {
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
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

/// Notes each attempt the SDK's retry strategy makes after a failed one.
#[derive(Debug)]
struct RetryNotice {
    log: Arc<RetryLog>,
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
                    Some(error) => service_error_code(error).unwrap_or_else(|| "an error".into()),
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

/// The error code ("ThrottlingException") of a failed attempt. The error
/// arrives type-erased; each operation flowq calls has its own type.
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
