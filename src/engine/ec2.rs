//! The account's network interfaces, from EC2's DescribeNetworkInterfaces,
//! as the rows of the `enis` lookup table (`flowq lookup sync enis`,
//! docs/catalog.md "Lookups"). Credentials, region and endpoint come from
//! the shared loader (`engine/aws.rs`): AWS_ENDPOINT_URL and
//! AWS_ENDPOINT_URL_EC2 are honoured. The pages are followed by their
//! NextToken until there is none.

use aws_config::ConfigLoader;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_ec2::types::NetworkInterface;
use aws_sdk_ec2::Client;

use crate::engine::shape::EngineError;
use crate::lang::ir::LookupTable;

pub use crate::schema::ENI_COLUMNS;

/// Interfaces per page: DescribeNetworkInterfaces' largest MaxResults.
const PAGE_SIZE: i32 = 1000;

/// More pages than this (a million interfaces at full pages) means the
/// service keeps answering with a token: stop rather than loop.
const MAX_PAGES: usize = 10_000;

/// What a sync read: the table (rows sorted by interface id) and how many
/// pages it took.
#[derive(Debug)]
pub struct Interfaces {
    pub table: LookupTable,
    pub pages: usize,
    /// The region they are in.
    pub region: String,
}

/// Every network interface the account has in the region, with the
/// default chain's settings and `region` and `profile` when given.
pub fn interfaces(region: Option<&str>, profile: Option<&str>) -> Result<Interfaces, EngineError> {
    let runtime = crate::engine::aws::runtime().map_err(EngineError::refused)?;
    runtime.block_on(interfaces_with(crate::engine::aws::config_loader(
        region, profile,
    )))
}

/// [`interfaces`] from a loader the caller has adjusted (tests set an
/// endpoint and static credentials here).
pub async fn interfaces_with(loader: ConfigLoader) -> Result<Interfaces, EngineError> {
    let config = loader.load().await;
    let Some(region) = config.region().map(|r| r.to_string()) else {
        return Err(
            EngineError::refused("no AWS region: network interfaces are regional")
                .with_help("pass --region, set AWS_REGION, or give the profile a region"),
        );
    };
    let client = Client::new(&config);
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = client
            .describe_network_interfaces()
            .max_results(PAGE_SIZE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                let code = e.code().unwrap_or("an error").to_string();
                EngineError::failed(format!(
                    "DescribeNetworkInterfaces failed: {code}: {}",
                    DisplayErrorContext(&e)
                ))
                .with_help("the caller needs ec2:DescribeNetworkInterfaces in the region; check the credentials, --region and --source")
            })?;
        pages += 1;
        rows.extend(page.network_interfaces().iter().filter_map(row));
        let next = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        match next {
            None => break,
            Some(t) if Some(&t) == token.as_ref() || pages >= MAX_PAGES => {
                return Err(EngineError::failed(format!(
                    "DescribeNetworkInterfaces kept answering with a next page after {pages} pages"
                )));
            }
            Some(t) => token = Some(t),
        }
    }
    rows.sort();
    rows.dedup_by(|a, b| a[0] == b[0]);
    Ok(Interfaces {
        table: LookupTable {
            columns: ENI_COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows,
        },
        pages,
        region,
    })
}

/// One interface's fields in [`ENI_COLUMNS`] order; None without an id.
/// Line breaks and other control characters in tags and descriptions
/// become spaces: a lookup field holds one line.
fn row(eni: &NetworkInterface) -> Option<Vec<String>> {
    let id = eni.network_interface_id().filter(|id| !id.is_empty())?;
    let text = |s: Option<&str>| -> String {
        s.unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let name = eni
        .tag_set()
        .iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value());
    let ips: Vec<&str> = eni
        .private_ip_addresses()
        .iter()
        .filter_map(|a| a.private_ip_address())
        .collect();
    Some(vec![
        text(Some(id)),
        text(eni.attachment().and_then(|a| a.instance_id())),
        text(name),
        text(eni.description()),
        text(eni.interface_type().map(|t| t.as_str())),
        text(eni.requester_id()),
        eni.requester_managed()
            .map_or(String::new(), |m| m.to_string()),
        text(eni.subnet_id()),
        text(eni.vpc_id()),
        text(eni.availability_zone()),
        text(Some(&ips.join(" "))),
    ])
}
