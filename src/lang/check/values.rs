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
        ValueKind::Param(p) | ValueKind::List(p) => p,
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
        return not_mapped(net, value);
    }
    let ip: IpAddr = text.parse().map_err(|_| {
        bad(format!("invalid address '{text}'")).with_help(
            "write an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.1, 10.0.0.0/8, 2001:db8::/32",
        )
    })?;
    not_mapped(IpNet::from(ip), value)
}

/// Refuses an IPv4-mapped IPv6 address or network (see ir::mapped_v4),
/// naming its IPv4 form.
fn not_mapped(net: IpNet, value: &Value) -> Result<IpNet, Diagnostic> {
    let Some(v4) = mapped_v4(&net) else {
        return Ok(net);
    };
    let (what, ipv4) = if v4.prefix_len() == 32 {
        ("address", v4.addr().to_string())
    } else {
        ("network", v4.to_string())
    };
    Err(Diagnostic::error(
        value.span,
        format!("'{}' is an IPv4-mapped IPv6 {what}", text_of(value)),
    )
    .with_help(format!(
        "write the IPv4 form '{ipv4}': flow logs write IPv4 addresses as IPv4"
    )))
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
    let is_time = matches!(column, Column::Field(f) if f.name == "start" || f.name == "end");
    if text.starts_with('-') && !is_time {
        // Said here, before a size parser reads the `-` as a unit.
        return Err(Diagnostic::error(
            value.span,
            format!("'{text}' is negative: {} is never below 0", column.name()),
        ));
    }
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

#[cfg(test)]
mod tests {
    //! Expected values are worked out by hand from the flow-log reference
    //! and docs/language.md, not taken from the parsers' output.

    use super::*;
    use crate::lang::ast::Span;
    use crate::schema;

    fn word(text: &str) -> Value {
        Value::word(text, Span::new(3, 3 + text.len()))
    }

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    /// The message (and help) of an error, which must point at the value.
    fn error<T: std::fmt::Debug>(result: Result<T, Diagnostic>) -> (String, Option<String>) {
        let d = result.unwrap_err();
        assert_eq!(d.span.start, 3, "{d:?}");
        (d.message, d.help)
    }

    fn column(name: &str) -> Column {
        Column::Field(schema::field_named(name).unwrap())
    }

    #[test]
    fn addresses_and_networks() {
        assert_eq!(address(&word("10.0.0.1")).unwrap(), net("10.0.0.1/32"));
        assert_eq!(address(&word("10.0.0.0/8")).unwrap(), net("10.0.0.0/8"));
        assert_eq!(address(&word("0.0.0.0/0")).unwrap(), net("0.0.0.0/0"));
        assert_eq!(
            address(&word("2001:db8::1")).unwrap(),
            net("2001:db8::1/128")
        );
        assert_eq!(
            address(&word("2001:DB8::/32")).unwrap(),
            net("2001:db8::/32")
        );
        assert_eq!(address(&word("::/0")).unwrap(), net("::/0"));
        // A quoted address is the same address.
        let quoted = Value {
            kind: ValueKind::Text("10.1.2.3".into()),
            span: Span::new(3, 13),
        };
        assert_eq!(address(&quoted).unwrap(), net("10.1.2.3/32"));
    }

    #[test]
    fn host_bits_are_an_error_that_offers_both_readings() {
        let (message, help) = error(address(&word("10.0.0.1/8")));
        assert_eq!(message, "'10.0.0.1/8' has host bits set");
        assert_eq!(
            help.as_deref(),
            Some("write the network '10.0.0.0/8' or the host '10.0.0.1'")
        );
        let (message, help) = error(address(&word("2001:db8::1/32")));
        assert_eq!(message, "'2001:db8::1/32' has host bits set");
        assert_eq!(
            help.as_deref(),
            Some("write the network '2001:db8::/32' or the host '2001:db8::1'")
        );
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        let (message, _) = error(address(&word("10.0.0.0/33")));
        assert_eq!(message, "invalid prefix length '/33': IPv4 takes /0 to /32");
        let (message, _) = error(address(&word("2001:db8::/129")));
        assert_eq!(
            message,
            "invalid prefix length '/129': IPv6 takes /0 to /128"
        );
        let (message, _) = error(address(&word("10.0.0.0/x")));
        assert_eq!(message, "invalid prefix length '/x': IPv4 takes /0 to /32");
        let (message, _) = error(address(&word("300.1.1.1/8")));
        assert_eq!(message, "invalid address '300.1.1.1' in '300.1.1.1/8'");
        let (message, help) = error(address(&word("300.1.1.1")));
        assert_eq!(message, "invalid address '300.1.1.1'");
        assert!(help.unwrap().starts_with("write an IPv4 or IPv6 address"));
    }

    /// Trino reads `::ffff:0:0/96` as an IPv4 network of prefix 96 and
    /// fails; flowq refuses every IPv4-mapped form and names the IPv4 one.
    #[test]
    fn ipv4_mapped_addresses_are_refused_with_their_ipv4_form() {
        for (text, what, ipv4) in [
            ("::ffff:0:0/96", "network", "0.0.0.0/0"),
            ("::ffff:10.0.0.0/104", "network", "10.0.0.0/8"),
            ("::ffff:a00:0/104", "network", "10.0.0.0/8"),
            ("::ffff:192.0.2.0/120", "network", "192.0.2.0/24"),
            ("::ffff:10.0.0.1", "address", "10.0.0.1"),
            ("::FFFF:10.0.0.1/128", "address", "10.0.0.1"),
        ] {
            let (message, help) = error(address(&word(text)));
            assert_eq!(message, format!("'{text}' is an IPv4-mapped IPv6 {what}"));
            assert_eq!(
                help.as_deref(),
                Some(
                    format!("write the IPv4 form '{ipv4}': flow logs write IPv4 addresses as IPv4")
                        .as_str()
                )
            );
        }
        // Networks around the mapped range, and the IPv4-translated range
        // ::ffff:0:0:0/96, are IPv6 networks like any other.
        assert_eq!(
            address(&word("::fffe:0:0/95")).unwrap(),
            net("::fffe:0:0/95")
        );
        assert_eq!(address(&word("::/64")).unwrap(), net("::/64"));
        assert_eq!(
            address(&word("::ffff:0:0:0/96")).unwrap(),
            net("::ffff:0:0:0/96")
        );
        assert_eq!(address(&word("::10.0.0.1")).unwrap(), net("::a00:1/128"));
    }

    #[test]
    fn ports_ranges_and_names() {
        assert_eq!(port_range(&word("22")).unwrap(), (22, 22));
        assert_eq!(port_range(&word("0")).unwrap(), (0, 0));
        assert_eq!(port_range(&word("65535")).unwrap(), (65535, 65535));
        assert_eq!(port_range(&word("1024-65535")).unwrap(), (1024, 65535));
        assert_eq!(port_range(&word("80-80")).unwrap(), (80, 80));
        assert_eq!(port_range(&word("ssh")).unwrap(), (22, 22));
        assert_eq!(port_range(&word("HTTPS")).unwrap(), (443, 443));
        assert_eq!(port_range(&word("rdp")).unwrap(), (3389, 3389));
        // A name with a hyphen is a name, not a range.
        assert_eq!(port_range(&word("winrm-https")).unwrap(), (5986, 5986));
        let (message, help) = error(port_range(&word("10-5")));
        assert_eq!(message, "the range '10-5' is empty");
        assert_eq!(help.as_deref(), Some("write 5-10"));
        let (message, _) = error(port_range(&word("65536")));
        assert_eq!(
            message,
            "invalid port '65536': a port is a number 0-65535 or a name like ssh, https"
        );
        let (message, _) = error(port_range(&word("1-70000")));
        assert!(message.starts_with("invalid port '70000'"), "{message}");
        let (_, help) = error(port_range(&word("shh")));
        assert!(help.unwrap().contains("ssh"));
    }

    #[test]
    fn protocols_by_name_or_number() {
        assert_eq!(protocol(&word("icmp")).unwrap(), (1, 1));
        assert_eq!(protocol(&word("TCP")).unwrap(), (6, 6));
        assert_eq!(protocol(&word("udp")).unwrap(), (17, 17));
        assert_eq!(protocol(&word("icmpv6")).unwrap(), (58, 58));
        assert_eq!(protocol(&word("0")).unwrap(), (0, 0));
        assert_eq!(protocol(&word("255")).unwrap(), (255, 255));
        let (message, _) = error(protocol(&word("256")));
        assert_eq!(message, "unknown protocol '256'");
        let (message, _) = error(protocol(&word("tpc")));
        assert_eq!(message, "unknown protocol 'tpc'");
    }

    #[test]
    fn tcp_flags_are_the_bits_flow_logs_record() {
        // FIN 1, SYN 2, RST 4, and SYN-ACK as SYN|ACK = 2 + 16.
        assert_eq!(tcp_flag(&word("fin")).unwrap(), 1);
        assert_eq!(tcp_flag(&word("SYN")).unwrap(), 2);
        assert_eq!(tcp_flag(&word("rst")).unwrap(), 4);
        assert_eq!(tcp_flag(&word("synack")).unwrap(), 18);
        let (message, help) = error(tcp_flag(&word("ack")));
        assert_eq!(message, "unknown TCP flag 'ack'");
        assert_eq!(
            help.as_deref(),
            Some("flow logs record syn, synack, fin and rst")
        );
    }

    #[test]
    fn traffic_paths_are_1_to_8() {
        assert_eq!(traffic_path(&word("1")).unwrap(), (1, 1));
        assert_eq!(traffic_path(&word("8")).unwrap(), (8, 8));
        assert_eq!(
            error(traffic_path(&word("0"))).0,
            "invalid traffic path '0'"
        );
        assert_eq!(
            error(traffic_path(&word("9"))).0,
            "invalid traffic path '9'"
        );
    }

    #[test]
    fn text_values_are_spelled_as_flow_logs_write_them() {
        let ok = |field: &str, text: &str| text_value(&word(text), field).unwrap();
        assert_eq!(ok("action", "accept"), "ACCEPT");
        assert_eq!(ok("action", "Reject"), "REJECT");
        assert_eq!(ok("log-status", "nodata"), "NODATA");
        assert_eq!(ok("type", "ipv6"), "IPv6");
        assert_eq!(ok("type", "EFA"), "EFA");
        assert_eq!(ok("flow-direction", "INGRESS"), "ingress");
        assert_eq!(ok("pkt-src-aws-service", "s3"), "S3");
        assert_eq!(
            ok("pkt-dst-aws-service", "route53_resolver"),
            "ROUTE53_RESOLVER"
        );
        assert_eq!(ok("account-id", "123456789012"), "123456789012");
        assert_eq!(ok("account-id", "unknown"), "unknown");
        assert_eq!(ok("interface-id", "eni-0abc123"), "eni-0abc123");
        assert_eq!(ok("vpc-id", "vpc-1"), "vpc-1");
        assert_eq!(ok("subnet-id", "subnet-0def"), "subnet-0def");
        assert_eq!(ok("instance-id", "i-0123abcd"), "i-0123abcd");
        assert_eq!(ok("region", "eu-west-1"), "eu-west-1");
        assert_eq!(ok("az-id", "use1-az2"), "use1-az2");
        // Free-text fields take any text, quotes and all.
        assert_eq!(ok("sublocation-id", "x' OR '1'='1"), "x' OR '1'='1");

        let bad = |field: &str, text: &str| error(text_value(&word(text), field));
        let (message, help) = bad("action", "allow");
        assert_eq!(message, "'allow' is not a value of action");
        assert_eq!(help.as_deref(), Some("use one of: accept, reject"));
        assert_eq!(
            bad("log-status", "ok!").0,
            "'ok!' is not a value of log-status"
        );
        assert_eq!(
            bad("account-id", "12345").0,
            "'12345' is not a valid account-id"
        );
        assert_eq!(
            bad("account-id", "1234567890123").0,
            "'1234567890123' is not a valid account-id"
        );
        assert_eq!(
            bad("interface-id", "eni-").0,
            "'eni-' is not a valid interface-id"
        );
        assert_eq!(bad("vpc-id", "eni-1").0, "'eni-1' is not a valid vpc-id");
        assert_eq!(
            bad("instance-id", "i-0a_b").0,
            "'i-0a_b' is not a valid instance-id"
        );
        assert_eq!(
            bad("region", "US-EAST-1").0,
            "'US-EAST-1' is not a valid region"
        );
        assert_eq!(
            bad("pkt-src-aws-service", "s3.aws").0,
            "'s3.aws' is not a valid pkt-src-aws-service"
        );
    }

    #[test]
    fn integers_are_sizes_durations_or_times_by_column() {
        let int = |c: &str, text: &str| integer_for(column(c), &word(text)).unwrap();
        // Sizes: K, M, G, T are powers of 1000; KiB... powers of 1024.
        assert_eq!(int("bytes", "5"), 5);
        assert_eq!(int("bytes", "10M"), 10_000_000);
        assert_eq!(int("bytes", "1KiB"), 1024);
        assert_eq!(int("bytes", "2MiB"), 2 * 1024 * 1024);
        assert_eq!(int("bytes", "1.5K"), 1500);
        assert_eq!(int("packets", "3G"), 3_000_000_000);
        assert_eq!(int("bytes", "9223372036854775807"), i64::MAX);
        // `duration` is seconds, and a bare number is seconds too.
        let duration = |text: &str| integer_for(Column::Duration, &word(text)).unwrap();
        assert_eq!(duration("90"), 90);
        assert_eq!(duration("5m"), 300);
        assert_eq!(duration("1h30m"), 5_400);
        assert_eq!(duration("2d"), 172_800);
        // Times: RFC 3339 or a date (UTC midnight), or epoch seconds.
        assert_eq!(int("start", "2026-11-27T03:00:00Z"), 1_795_748_400);
        assert_eq!(int("start", "2026-11-27T04:00:00+01:00"), 1_795_748_400);
        assert_eq!(int("end", "2026-11-27"), 1_795_737_600);
        assert_eq!(int("end", "1795748400"), 1_795_748_400);
        // Ports, protocols and flags by name, in comparisons too.
        assert_eq!(int("dstport", "ssh"), 22);
        assert_eq!(int("srcport", "8080"), 8080);
        assert_eq!(int("protocol", "udp"), 17);
        assert_eq!(int("tcp-flags", "synack"), 18);
        assert_eq!(int("tcp-flags", "3"), 3);
    }

    #[test]
    fn integers_that_do_not_fit_their_column_are_errors() {
        let bad = |c: Column, text: &str| error(integer_for(c, &word(text))).0;
        assert_eq!(
            bad(column("dstport"), "1-2"),
            "a comparison takes one port, not a range"
        );
        assert_eq!(
            bad(column("bytes"), "1.0001K"),
            "'1.0001K' is 1000.1 bytes, not a whole number: write 1000 or 1001"
        );
        assert_eq!(
            bad(column("bytes"), "99999999999999999999"),
            "'99999999999999999999' is too large: a size is at most 9223372036854775807 bytes"
        );
        assert_eq!(
            bad(column("bytes"), "10Q").split(" (").next().unwrap(),
            "unknown size unit 'Q'"
        );
        assert_eq!(
            bad(Column::Duration, "5x"),
            "unknown duration unit 'x' (use s, m, h, d or w)"
        );
        assert!(bad(column("start"), "yesterday").starts_with("'yesterday' is not a time"));
    }

    #[test]
    fn negative_numbers_say_so() {
        let bad = |c: Column, text: &str| error(integer_for(c, &word(text))).0;
        assert_eq!(
            bad(column("bytes"), "-5"),
            "'-5' is negative: bytes is never below 0"
        );
        assert_eq!(
            bad(column("packets"), "-1K"),
            "'-1K' is negative: packets is never below 0"
        );
        assert_eq!(
            bad(Column::Duration, "-5m"),
            "'-5m' is negative: duration is never below 0"
        );
        assert_eq!(
            bad(column("dstport"), "-22"),
            "'-22' is negative: dstport is never below 0"
        );
        assert_eq!(
            bad(column("tcp_flags"), "-2"),
            "'-2' is negative: tcp_flags is never below 0"
        );
    }
}
