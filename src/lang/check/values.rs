//! Values: addresses, ports, protocols, flags, strings and the integers
//! of comparisons, each typed from a word of the query.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::lang::ast::{Value, ValueKind};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::*;
use crate::{ports, suggest, time, units};

/// The text of a word or quoted string; a `$param` is already substituted.
pub(super) fn text_of(value: &Value) -> &str {
    match &value.kind {
        ValueKind::Word(w) | ValueKind::Text(w) => w,
        ValueKind::Param(p) => p,
        ValueKind::Set(_) => "",
    }
}

pub(super) fn each<T>(
    members: &[Value],
    parse: impl Fn(&Value) -> Result<T, Diagnostic>,
) -> Result<Vec<T>, Diagnostic> {
    members.iter().map(parse).collect()
}

pub(super) fn addresses(members: &[Value]) -> Result<Vec<IpNet>, Diagnostic> {
    each(members, address)
}

/// An address or CIDR. A CIDR with host bits set is an error, not silently
/// widened: `10.0.0.1/8` may mean the host or the network.
pub fn address(value: &Value) -> Result<IpNet, Diagnostic> {
    let text = text_of(value);
    let bad = |message: String| Diagnostic::error(value.span, message);
    if let Some((addr, prefix)) = text.split_once('/') {
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| bad(format!("invalid address '{addr}' in '{text}'")))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u8 = prefix.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
            bad(format!(
                "invalid prefix length '/{prefix}': {} takes /0 to /{max}",
                if max == 32 { "IPv4" } else { "IPv6" }
            ))
        })?;
        let net = IpNet::new(ip, len).expect("prefix length was checked");
        if net.trunc() != net {
            return Err(
                bad(format!("'{text}' has host bits set")).with_help(format!(
                    "write the network '{}' or the host '{ip}'",
                    net.trunc()
                )),
            );
        }
        return Ok(net);
    }
    let ip: IpAddr = text.parse().map_err(|_| {
        bad(format!("invalid address '{text}'")).with_help(
            "write an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.1, 10.0.0.0/8, 2001:db8::/32",
        )
    })?;
    Ok(IpNet::from(ip))
}

pub(super) fn port_ranges(members: &[Value]) -> Result<Vec<(i64, i64)>, Diagnostic> {
    each(members, port_range)
}

pub fn port_range(value: &Value) -> Result<(i64, i64), Diagnostic> {
    let text = text_of(value);
    let bad = |message: String| Diagnostic::error(value.span, message);
    if let Some(port) = ports::port_named(text) {
        return Ok((port.into(), port.into()));
    }
    let number = |t: &str| -> Result<i64, Diagnostic> {
        t.parse::<u16>().map(i64::from).map_err(|_| {
            let guess = suggest::did_you_mean(t, ports::PORT_NAMES.iter().map(|(n, _)| *n));
            let d = bad(format!(
                "invalid port '{t}': a port is a number 0-65535 or a name like ssh, https"
            ));
            if guess.is_empty() {
                d.with_help("docs/language.md lists the port names")
            } else {
                d.with_help(guess)
            }
        })
    };
    match text.split_once('-') {
        Some((lo, hi)) if !lo.is_empty() && lo.bytes().all(|b| b.is_ascii_digit()) => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo > hi {
                return Err(bad(format!("the range '{text}' is empty"))
                    .with_help(format!("write {hi}-{lo}")));
            }
            Ok((lo, hi))
        }
        _ => number(text).map(|p| (p, p)),
    }
}

pub(super) fn protocol(value: &Value) -> Result<(i64, i64), Diagnostic> {
    let text = text_of(value);
    let number = ports::protocol_named(text).or_else(|| text.parse::<u8>().ok());
    match number {
        Some(n) => Ok((n.into(), n.into())),
        None => Err(
            Diagnostic::error(value.span, format!("unknown protocol '{text}'")).with_help(
                "use tcp, udp, icmp, icmpv6, gre, esp, ah, sctp, igmp or a number 0-255",
            ),
        ),
    }
}

pub(super) fn traffic_path(value: &Value) -> Result<(i64, i64), Diagnostic> {
    let text = text_of(value);
    match text.parse::<i64>() {
        Ok(n) if (1..=8).contains(&n) => Ok((n, n)),
        _ => Err(
            Diagnostic::error(value.span, format!("invalid traffic path '{text}'"))
                .with_help("traffic-path codes are 1 to 8; see docs/language.md"),
        ),
    }
}

/// TCP flag bits as VPC flow logs record them (reference §1.5).
pub const TCP_FLAGS: &[(&str, i64)] = &[("fin", 1), ("syn", 2), ("rst", 4), ("synack", 18)];

pub(super) fn tcp_flag(value: &Value) -> Result<i64, Diagnostic> {
    let text = text_of(value).to_ascii_lowercase();
    TCP_FLAGS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, bit)| *bit)
        .ok_or_else(|| {
            Diagnostic::error(value.span, format!("unknown TCP flag '{text}'"))
                .with_help("flow logs record syn, synack, fin and rst")
        })
}

/// String values, spelled the way flow logs write them for fields with a
/// closed set of values (`ACCEPT`, `NODATA`, `IPv6`, `ingress`).
pub(super) fn text_values(members: &[Value], field: &str) -> Result<Vec<String>, Diagnostic> {
    each(members, |v| text_value(v, field))
}

pub(super) fn text_value(value: &Value, field: &str) -> Result<String, Diagnostic> {
    let text = text_of(value);
    let one_of = |allowed: &[&str]| -> Result<String, Diagnostic> {
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(text))
            .map(|a| a.to_string())
            .ok_or_else(|| {
                let names: Vec<String> = allowed.iter().map(|a| a.to_ascii_lowercase()).collect();
                Diagnostic::error(value.span, format!("'{text}' is not a value of {field}"))
                    .with_help(format!("use one of: {}", names.join(", ")))
            })
    };
    let shaped = |ok: bool, example: &str| -> Result<String, Diagnostic> {
        if ok {
            Ok(text.to_string())
        } else {
            Err(
                Diagnostic::error(value.span, format!("'{text}' is not a valid {field}"))
                    .with_help(format!("write it like {example}")),
            )
        }
    };
    let id = |prefix: &str| {
        text.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    match field {
        "action" => one_of(&["ACCEPT", "REJECT"]),
        "log-status" => one_of(&["OK", "NODATA", "SKIPDATA"]),
        "type" => one_of(&["IPv4", "IPv6", "EFA"]),
        "flow-direction" => one_of(&["ingress", "egress"]),
        "pkt-src-aws-service" | "pkt-dst-aws-service" => {
            let ok =
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            shaped(ok, "S3 or ROUTE53_RESOLVER").map(|t| t.to_ascii_uppercase())
        }
        "account-id" => shaped(
            text == "unknown" || (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())),
            "123456789012 (12 digits) or unknown",
        ),
        "interface-id" => shaped(id("eni-"), "eni-0123456789abcdef0"),
        "vpc-id" => shaped(id("vpc-"), "vpc-0abc1234"),
        "subnet-id" => shaped(id("subnet-"), "subnet-0abc1234"),
        "instance-id" => shaped(id("i-"), "i-0123456789abcdef0"),
        "region" => shaped(
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "us-east-1",
        ),
        "az-id" => shaped(
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "use1-az1",
        ),
        _ => Ok(text.to_string()),
    }
}

/// An integer for a comparison with `column`: a size for counters
/// (`10M`), a duration for `duration` (`5m`), a time for `start`/`end`.
pub(super) fn integer_for(column: Column, value: &Value) -> Result<i64, Diagnostic> {
    let text = text_of(value);
    let parsed = match column {
        Column::Duration => units::parse_duration(text, false),
        Column::Field(f) if f.name == "start" || f.name == "end" => text
            .parse::<i64>()
            .or_else(|_| time::parse_instant(text).map(|i| i.time.unix())),
        Column::Field(f) if f.name == "protocol" => {
            protocol(value).map(|(n, _)| n).map_err(|d| d.message)
        }
        Column::Field(f) if f.name == "tcp-flags" => text
            .parse::<i64>()
            .or_else(|_| tcp_flag(value).map_err(|d| d.message)),
        Column::Field(f) if matches!(f.name, "srcport" | "dstport") => port_range(value)
            .map_err(|d| d.message)
            .and_then(|(lo, hi)| {
                if lo == hi {
                    Ok(lo)
                } else {
                    Err("a comparison takes one port, not a range".into())
                }
            }),
        Column::Field(_) => units::parse_size(text),
    };
    parsed.map_err(|message| Diagnostic::error(value.span, message))
}
