//! S3 helpers for the tests of S3 sources on moto (tests/s3_moto.rs),
//! apart from tests/common so that the other test binaries do not compile
//! the S3 SDK's calls. Include with
//! `#[path = "common/s3.rs"] mod s3_stand_in;` beside `mod common;`.

#![allow(dead_code)]

/// An S3 client of the stand-in at `endpoint` (moto, or a test's stub),
/// with dummy credentials and path-style addressing, and its runtime.
pub fn s3_client(endpoint: &str) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
    let runtime = flowq::engine::athena::runtime().unwrap();
    let config = runtime.block_on(
        flowq::engine::aws::config_loader(Some("us-east-1"), None)
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load(),
    );
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    (runtime, aws_sdk_s3::Client::from_conf(s3))
}

/// Uploads every file below `folder` to `bucket` (created first, unless
/// this test already did) under
/// `prefix`, keyed by its path below `folder`; returns the keys.
pub fn upload_folder(
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    folder: &std::path::Path,
) -> Vec<String> {
    let (runtime, client) = s3_client(endpoint);
    runtime.block_on(async {
        if let Err(error) = client.create_bucket().bucket(bucket).send().await {
            let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&error);
            assert_eq!(
                code,
                Some("BucketAlreadyOwnedByYou"),
                "CreateBucket {bucket}: {error:?}"
            );
        }
        let mut keys = Vec::new();
        for file in crate::common::files_below(folder) {
            let relative = file.strip_prefix(folder).unwrap().to_str().unwrap();
            let key = format!("{prefix}{relative}");
            client
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(std::fs::read(&file).unwrap().into())
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutObject {key}: {e:?}"));
            keys.push(key);
        }
        keys
    })
}
