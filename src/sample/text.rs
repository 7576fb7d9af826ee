//! Records as text, in the order of the format's fields.

use std::io::Write as _;
use std::net::Ipv6Addr;

use super::traffic::{Addr, Record, Status, Stream};

/// A field of the format, resolved once per run instead of once per value.
#[derive(Clone, Copy)]
pub(super) enum Slot {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
}

impl Slot {
    pub(super) fn named(name: &str) -> Slot {
        match name {
            "version" => Slot::Version,
            "account-id" => Slot::AccountId,
            "interface-id" => Slot::InterfaceId,
            "srcaddr" => Slot::SrcAddr,
            "dstaddr" => Slot::DstAddr,
            "srcport" => Slot::SrcPort,
            "dstport" => Slot::DstPort,
            "protocol" => Slot::Protocol,
            "packets" => Slot::Packets,
            "bytes" => Slot::Bytes,
            "start" => Slot::Start,
            "end" => Slot::End,
            "action" => Slot::Action,
            "log-status" => Slot::LogStatus,
            "vpc-id" => Slot::VpcId,
            "subnet-id" => Slot::SubnetId,
            "instance-id" => Slot::InstanceId,
            "tcp-flags" => Slot::TcpFlags,
            "type" => Slot::Type,
            "pkt-srcaddr" => Slot::PktSrcAddr,
            "pkt-dstaddr" => Slot::PktDstAddr,
            "region" => Slot::Region,
            "az-id" => Slot::AzId,
            "sublocation-type" => Slot::SublocationType,
            "sublocation-id" => Slot::SublocationId,
            "pkt-src-aws-service" => Slot::PktSrcAwsService,
            "pkt-dst-aws-service" => Slot::PktDstAwsService,
            "flow-direction" => Slot::FlowDirection,
            "traffic-path" => Slot::TrafficPath,
            other => unreachable!("the sample formats have only v2-v5 fields, not {other}"),
        }
    }

    /// Fields that come from the packets, `-` on NODATA and SKIPDATA rows
    /// (reference §1.3). The interface's own metadata is still written.
    fn is_from_packets(self) -> bool {
        !matches!(
            self,
            Slot::Version
                | Slot::AccountId
                | Slot::InterfaceId
                | Slot::Start
                | Slot::End
                | Slot::LogStatus
                | Slot::VpcId
                | Slot::SubnetId
                | Slot::InstanceId
                | Slot::Region
                | Slot::AzId
                | Slot::SublocationType
                | Slot::SublocationId
        )
    }
}

pub(super) fn write_record(
    out: &mut Vec<u8>,
    slots: &[Slot],
    stream: &Stream,
    version: u8,
    r: &Record,
) {
    let eni = &stream.enis[r.eni];
    for (i, &slot) in slots.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if r.status != Status::Ok && slot.is_from_packets() {
            out.push(b'-');
            continue;
        }
        match slot {
            Slot::Version => push_int(out, u64::from(version)),
            Slot::AccountId => out.extend_from_slice(stream.account.as_bytes()),
            Slot::InterfaceId => out.extend_from_slice(eni.id.as_bytes()),
            Slot::SrcAddr => push_addr(out, r.src),
            Slot::DstAddr => push_addr(out, r.dst),
            Slot::SrcPort => push_int(out, u64::from(r.srcport)),
            Slot::DstPort => push_int(out, u64::from(r.dstport)),
            Slot::Protocol => push_int(out, u64::from(r.protocol)),
            Slot::Packets => push_int(out, r.packets),
            Slot::Bytes => push_int(out, r.bytes),
            Slot::Start => push_int(out, r.start as u64),
            Slot::End => push_int(out, r.end as u64),
            Slot::Action => out.extend_from_slice(if r.accept { b"ACCEPT" } else { b"REJECT" }),
            Slot::LogStatus => out.extend_from_slice(match r.status {
                Status::Ok => b"OK",
                Status::NoData => b"NODATA",
                Status::SkipData => b"SKIPDATA",
            }),
            Slot::VpcId => out.extend_from_slice(stream.vpc_id.as_bytes()),
            Slot::SubnetId => out.extend_from_slice(eni.subnet_id.as_bytes()),
            Slot::InstanceId => out.extend_from_slice(eni.instance_id.as_bytes()),
            Slot::TcpFlags => push_int(out, u64::from(r.tcp_flags)),
            Slot::Type => out.extend_from_slice(match r.src {
                Addr::V4(_) => b"IPv4",
                Addr::V6(_) => b"IPv6",
            }),
            Slot::PktSrcAddr => push_addr(out, r.pkt_src),
            Slot::PktDstAddr => push_addr(out, r.pkt_dst),
            Slot::Region => out.extend_from_slice(stream.region.as_bytes()),
            Slot::AzId => out.extend_from_slice(eni.az_id.as_bytes()),
            Slot::SublocationType | Slot::SublocationId => out.push(b'-'),
            Slot::PktSrcAwsService => out.extend_from_slice(r.src_service.as_bytes()),
            Slot::PktDstAwsService => out.extend_from_slice(r.dst_service.as_bytes()),
            Slot::FlowDirection => {
                out.extend_from_slice(if r.egress { b"egress" } else { b"ingress" })
            }
            Slot::TrafficPath => match r.traffic_path {
                0 => out.push(b'-'),
                path => push_int(out, u64::from(path)),
            },
        }
    }
    out.push(b'\n');
}

fn push_int(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_addr(out: &mut Vec<u8>, addr: Addr) {
    match addr {
        Addr::V4(a) => {
            for (i, octet) in a.to_be_bytes().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_int(out, u64::from(octet));
            }
        }
        Addr::V6(a) => {
            write!(out, "{}", Ipv6Addr::from(a)).expect("writing to a Vec");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_addresses_print_like_display() {
        let mut out = Vec::new();
        for n in [0, 7, 10, 443, 65535, u64::MAX] {
            out.clear();
            push_int(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
        out.clear();
        push_addr(&mut out, Addr::V4(0x0a00_0105));
        assert_eq!(out, b"10.0.1.5");
        out.clear();
        push_addr(&mut out, Addr::V6(0x2001_0db8 << 96 | 1));
        assert_eq!(out, b"2001:db8::1");
    }
}
