//! The sample's network interfaces as a lookup table (`lookups/enis.csv`,
//! docs/catalog.md "Lookups"): the columns `flowq lookup sync enis` writes
//! from an account, for the interfaces the sample's flow logs are written
//! for, so that `| lookup enis on interface-id` has names to show on a
//! sample. The NAT gateway's interface is requester-managed and has no
//! `Name` tag, as in an account.

use super::options::Options;
use super::traffic::{streams, Eni, Role};

use crate::schema::ENI_COLUMNS;

/// The CSV text of the interfaces of every account and region of
/// `options` (the seed decides the ids), with a first-line comment that
/// says how it was made.
pub fn interfaces_csv(options: &Options) -> String {
    let mut out = format!(
        "# written by flowq sample --enis-csv: the interfaces of its flow logs (accounts {}, regions {}, seed {})\n",
        options.accounts.join(" "),
        options.regions.join(" "),
        options.seed
    );
    out.push_str(&ENI_COLUMNS.join(","));
    out.push('\n');
    for stream in streams(options) {
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        let count = |role: Role| stream.enis.iter().filter(|e| e.role == role).count();
        for eni in &stream.enis {
            let n = seen.entry(role_name(eni.role)).or_default();
            *n += 1;
            let name = match eni.role {
                Role::NatGateway => String::new(),
                role if count(role) == 1 => role_name(role).to_string(),
                role => format!("{}-{n}", role_name(role)),
            };
            let row = row(eni, name, &stream.vpc_id, &stream.region);
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::NatGateway => "nat-gateway",
        Role::Web => "web",
        Role::Bastion => "bastion",
        Role::App => "app",
        Role::Db => "db",
    }
}

/// One interface's fields, in [`ENI_COLUMNS`] order. No field holds a
/// comma, so none needs quotes.
fn row(eni: &Eni, name: String, vpc_id: &str, region: &str) -> Vec<String> {
    let nat = eni.role == Role::NatGateway;
    let zone = eni
        .az_id
        .rsplit("az")
        .next()
        .and_then(|z| z.parse::<u8>().ok())
        .unwrap_or(1);
    let letter = char::from(b'a' + zone.saturating_sub(1).min(25));
    let [a, b, c, d] = eni.ipv4.to_be_bytes();
    vec![
        eni.id.clone(),
        if nat {
            String::new()
        } else {
            eni.instance_id.clone()
        },
        name,
        if nat {
            format!("Interface for NAT Gateway nat-{}", &eni.id[4..])
        } else {
            String::new()
        },
        if nat { "nat_gateway" } else { "interface" }.to_string(),
        if nat { "AROAEXAMPLENATGATEWAY" } else { "" }.to_string(),
        nat.to_string(),
        eni.subnet_id.clone(),
        vpc_id.to_string(),
        format!("{region}{letter}"),
        format!("{a}.{b}.{c}.{d}"),
    ]
}
