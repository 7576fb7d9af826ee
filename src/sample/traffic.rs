//! The simulated network and its traffic: per account and region, one VPC
//! with a public, an application and a data subnet, a NAT gateway and a
//! few instances; records drawn from a mix of kinds of traffic.

use super::options::{Options, FILE_INTERVAL, MAX_AGGREGATION};
use super::rng::{mix, Rng};

/// One flow log: an account and region, its VPC and network interfaces.
pub(super) struct Stream {
    pub(super) seed: u64,
    /// Seeds the outside address pools: the same scanners and servers show
    /// up in every account and region.
    pub(super) pool_seed: u64,
    pub(super) account: String,
    pub(super) region: String,
    pub(super) flow_log_id: String,
    pub(super) vpc_id: String,
    pub(super) enis: Vec<Eni>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    NatGateway,
    Web,
    Bastion,
    App,
    Db,
}

pub(super) struct Eni {
    pub(super) role: Role,
    pub(super) id: String,
    /// `-` for requester-managed interfaces such as a NAT gateway's
    /// (reference §1.4).
    pub(super) instance_id: String,
    pub(super) subnet_id: String,
    pub(super) az_id: String,
    pub(super) ipv4: u32,
    ipv6: Option<u128>,
    /// Nitro instances aggregate over at most 1 minute, others over 10
    /// (reference §1.1).
    nitro: bool,
}

pub(super) fn streams(options: &Options) -> Vec<Stream> {
    let mut streams = Vec::new();
    for (a, account) in options.accounts.iter().enumerate() {
        for (r, region) in options.regions.iter().enumerate() {
            let index = streams.len() as u64;
            streams.push(stream(
                options.seed,
                index,
                account,
                region,
                (a * 16 + r) as u8,
            ));
        }
    }
    streams
}

fn stream(pool_seed: u64, index: u64, account: &str, region: &str, vpc_octet: u8) -> Stream {
    let seed = mix(pool_seed, index);
    let mut rng = Rng::new(seed);
    let vpc_id = format!("vpc-{}", rng.hex(17));
    let vpc = 0x0a00_0000 | u32::from(vpc_octet) << 16;
    let ipv6_prefix: u128 = (0x2600_1f18u128 << 96) | u128::from(rng.next() as u16) << 80;
    let subnets: Vec<(String, String)> = (1..=3)
        .map(|zone| (format!("subnet-{}", rng.hex(17)), az_id(region, zone)))
        .collect();
    let plan: [(Role, usize, u32, bool); 9] = [
        (Role::NatGateway, 0, 10, true),
        (Role::Web, 0, 21, true),
        (Role::Web, 0, 22, true),
        (Role::Bastion, 0, 5, true),
        (Role::App, 1, 37, true),
        (Role::App, 1, 38, true),
        (Role::App, 1, 39, true),
        (Role::Db, 2, 12, true),
        (Role::Db, 2, 13, false),
    ];
    let enis = plan
        .iter()
        .map(|&(role, subnet, host, nitro)| {
            let (subnet_id, az) = &subnets[subnet];
            Eni {
                role,
                id: format!("eni-{}", rng.hex(17)),
                instance_id: match role {
                    Role::NatGateway => "-".into(),
                    _ => format!("i-{}", rng.hex(17)),
                },
                subnet_id: subnet_id.clone(),
                az_id: az.clone(),
                ipv4: vpc | (subnet as u32) << 8 | host,
                ipv6: (role == Role::Web)
                    .then(|| ipv6_prefix | u128::from(rng.next() & 0xffff_ffff_ffff)),
                nitro,
            }
        })
        .collect();
    Stream {
        seed,
        pool_seed,
        account: account.into(),
        region: region.into(),
        flow_log_id: format!("fl-{}", rng.hex(17)),
        vpc_id,
        enis,
    }
}

/// AWS's zone ids: `us-east-1` zone 2 is `use1-az2`, `ap-southeast-2`
/// zone 1 is `apse2-az1`.
fn az_id(region: &str, zone: u8) -> String {
    const COMPASS: [&str; 5] = ["north", "south", "east", "west", "central"];
    let parts: Vec<&str> = region.split('-').collect();
    let mut id = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 || i == parts.len() - 1 {
            id.push_str(part);
        } else if let Some(compass) = COMPASS.iter().find(|c| part.starts_with(*c)) {
            // "southeast" is "se", "central" is "c".
            id.push_str(&compass[..1]);
            id.extend(part[compass.len()..].chars().next());
        } else {
            id.extend(part.chars().next());
        }
    }
    format!("{id}-az{zone}")
}

// ---------------------------------------------------------------------------
// Records.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Addr {
    V4(u32),
    V6(u128),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Ok,
    NoData,
    SkipData,
}

const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;

/// One flow-log record, as seen on one network interface.
pub(super) struct Record {
    pub(super) eni: usize,
    pub(super) status: Status,
    pub(super) src: Addr,
    pub(super) dst: Addr,
    pub(super) pkt_src: Addr,
    pub(super) pkt_dst: Addr,
    pub(super) srcport: u16,
    pub(super) dstport: u16,
    pub(super) protocol: u8,
    pub(super) packets: u64,
    pub(super) bytes: u64,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) accept: bool,
    pub(super) tcp_flags: u8,
    pub(super) src_service: &'static str,
    pub(super) dst_service: &'static str,
    pub(super) egress: bool,
    /// 0 when the field is `-`: ingress, or no path applies.
    pub(super) traffic_path: u8,
}

/// A connection from the interface's point of view: `local` is the
/// interface's side. `pkt_local` is what the packets carry for the local
/// side when it differs (a NAT gateway forwarding for an instance).
struct Conn {
    eni: usize,
    local: Addr,
    local_port: u16,
    pkt_local: Addr,
    remote: Addr,
    remote_port: u16,
    protocol: u8,
    local_initiates: bool,
    /// The traffic-path code of the egress records (reference §1.5).
    egress_path: u8,
    remote_service: &'static str,
}

#[derive(Clone, Copy)]
enum Kind {
    WebClient,
    WebClientV6,
    AppToInternet,
    NatForward,
    NatToInternet,
    EastWest,
    S3Endpoint,
    Scan,
    Ssh,
    Dns,
    Ntp,
    Icmp,
    LateReject,
    NoData,
    SkipData,
}

/// How often each kind of record appears, per thousand records.
const MIX: [(Kind, u32); 15] = [
    (Kind::WebClient, 300),
    (Kind::WebClientV6, 40),
    (Kind::AppToInternet, 170),
    (Kind::NatForward, 60),
    (Kind::NatToInternet, 60),
    (Kind::EastWest, 120),
    (Kind::S3Endpoint, 40),
    (Kind::Scan, 90),
    (Kind::Ssh, 8),
    (Kind::Dns, 45),
    (Kind::Ntp, 15),
    (Kind::Icmp, 25),
    (Kind::LateReject, 10),
    (Kind::NoData, 14),
    (Kind::SkipData, 3),
];

const MIX_TOTAL: u32 = {
    let mut total = 0;
    let mut i = 0;
    while i < MIX.len() {
        total += MIX[i].1;
        i += 1;
    }
    total
};

fn draw_kind(rng: &mut Rng) -> Kind {
    let mut ticket = rng.below(u64::from(MIX_TOTAL)) as u32;
    for (kind, weight) in MIX {
        if ticket < weight {
            return kind;
        }
        ticket -= weight;
    }
    unreachable!("tickets are drawn below the total weight")
}

/// Draws one record for the file at `file_time`, or `None` when the drawn
/// record would start outside the window (the file then holds fewer).
pub(super) fn draw_record(
    stream: &Stream,
    file_time: i64,
    options: &Options,
    rng: &mut Rng,
) -> Option<Record> {
    let kind = draw_kind(rng);
    let end = file_time - 1 - rng.below(FILE_INTERVAL as u64) as i64;
    let conn = match kind {
        Kind::NoData | Kind::SkipData => {
            let eni = rng.below(stream.enis.len() as u64) as usize;
            // One aggregation interval of an idle interface.
            let start = end - 60 + rng.below(3) as i64;
            if start < options.start || start >= options.end {
                return None;
            }
            let status = match kind {
                Kind::NoData => Status::NoData,
                _ => Status::SkipData,
            };
            return Some(idle_record(eni, status, start, end));
        }
        _ => connection(stream, kind, rng),
    };
    let eni = &stream.enis[conn.eni];
    let max_duration = if eni.nitro { 60 } else { MAX_AGGREGATION } as u64;
    let duration = match kind {
        Kind::Scan | Kind::LateReject => rng.below(3),
        _ => rng.below(max_duration),
    } as i64;
    let start = end - duration;
    if start < options.start || start >= options.end {
        return None;
    }
    Some(traffic_record(kind, &conn, start, end, rng))
}

fn idle_record(eni: usize, status: Status, start: i64, end: i64) -> Record {
    let none = Addr::V4(0);
    Record {
        eni,
        status,
        src: none,
        dst: none,
        pkt_src: none,
        pkt_dst: none,
        srcport: 0,
        dstport: 0,
        protocol: 0,
        packets: 0,
        bytes: 0,
        start,
        end,
        accept: false,
        tcp_flags: 0,
        src_service: "-",
        dst_service: "-",
        egress: false,
        traffic_path: 0,
    }
}

/// Picks who talks to whom for a kind of traffic.
fn connection(stream: &Stream, kind: Kind, rng: &mut Rng) -> Conn {
    let pick = |rng: &mut Rng, role: Role| -> usize {
        let candidates = stream.enis.iter().filter(|e| e.role == role).count() as u64;
        let nth = rng.below(candidates) as usize;
        stream
            .enis
            .iter()
            .enumerate()
            .filter(|(_, e)| e.role == role)
            .nth(nth)
            .expect("every role has an interface")
            .0
    };
    let v4 = |eni: usize| Addr::V4(stream.enis[eni].ipv4);
    let seed = stream.pool_seed;
    let ephemeral = |rng: &mut Rng| 32768 + rng.below(28232) as u16;
    let conn = |eni: usize, remote: Addr, remote_port: u16, local_port: u16| Conn {
        eni,
        local: v4(eni),
        local_port,
        pkt_local: v4(eni),
        remote,
        remote_port,
        protocol: TCP,
        local_initiates: true,
        egress_path: 1,
        remote_service: "-",
    };
    match kind {
        Kind::WebClient => {
            let web = pick(rng, Role::Web);
            let port = if rng.chance(850) { 443 } else { 80 };
            Conn {
                local_initiates: false,
                egress_path: 8,
                ..conn(web, internet_client(seed, rng), ephemeral(rng), port)
            }
        }
        Kind::WebClientV6 => {
            let web = pick(rng, Role::Web);
            let local = Addr::V6(stream.enis[web].ipv6.expect("web servers have IPv6"));
            Conn {
                local,
                pkt_local: local,
                local_initiates: false,
                egress_path: 8,
                ..conn(web, internet_client_v6(seed, rng), ephemeral(rng), 443)
            }
        }
        Kind::AppToInternet => {
            let app = pick(rng, Role::App);
            // Through the NAT gateway: "another resource in the same VPC".
            conn(app, web_server(seed, rng), 443, ephemeral(rng))
        }
        Kind::NatForward => {
            // The NAT gateway receives an instance's packet for the
            // internet: the packet's destination is not the interface's
            // address (reference §1.4, pkt-dstaddr).
            let nat = pick(rng, Role::NatGateway);
            let app = pick(rng, Role::App);
            Conn {
                pkt_local: web_server(seed, rng),
                local_initiates: false,
                ..conn(nat, v4(app), ephemeral(rng), 443)
            }
        }
        Kind::NatToInternet => {
            let nat = pick(rng, Role::NatGateway);
            let port = 1024 + rng.below(64511) as u16;
            Conn {
                egress_path: 2,
                ..conn(nat, web_server(seed, rng), 443, port)
            }
        }
        Kind::EastWest => {
            let app = pick(rng, Role::App);
            let db = pick(rng, Role::Db);
            let port = *rng.pick(&[5432, 5432, 3306, 6379]);
            if rng.chance(500) {
                conn(app, v4(db), port, ephemeral(rng))
            } else {
                Conn {
                    local_initiates: false,
                    ..conn(db, v4(app), ephemeral(rng), port)
                }
            }
        }
        Kind::S3Endpoint => {
            let app = pick(rng, Role::App);
            let s3 = Addr::V4(0x34d8_0000 | rng.below(0x2_0000) as u32); // 52.216.0.0/15
            Conn {
                egress_path: 7,
                remote_service: "S3",
                ..conn(app, s3, 443, ephemeral(rng))
            }
        }
        Kind::Scan => {
            let public = if rng.chance(500) {
                Role::Web
            } else {
                Role::Bastion
            };
            let target = pick(rng, public);
            let port = *rng.pick(&[22, 22, 22, 3389, 3389, 23, 23, 445, 1433, 5900, 8080]);
            Conn {
                local_initiates: false,
                ..conn(target, scanner(seed, rng), ephemeral(rng), port)
            }
        }
        Kind::Ssh => {
            let bastion = pick(rng, Role::Bastion);
            let office = Addr::V4(0xc633_6400 | (1 + rng.below(14) as u32)); // 198.51.100.0/28
            Conn {
                local_initiates: false,
                egress_path: 8,
                ..conn(bastion, office, ephemeral(rng), 22)
            }
        }
        Kind::Dns | Kind::Ntp => {
            let app = pick(rng, Role::App);
            let (server, port) = match kind {
                Kind::Dns => (
                    Addr::V4(*rng.pick(&[0x0101_0101, 0x0808_0808, 0x0808_0404, 0x0909_0909])),
                    53,
                ),
                _ => (pooled(seed, Pool::NtpServers, rng.below(8)), 123),
            };
            Conn {
                protocol: UDP,
                ..conn(app, server, port, ephemeral(rng))
            }
        }
        Kind::Icmp => {
            if rng.chance(500) {
                let web = pick(rng, Role::Web);
                Conn {
                    protocol: ICMP,
                    local_initiates: false,
                    egress_path: 8,
                    ..conn(web, internet_client(seed, rng), 0, 0)
                }
            } else {
                let app = pick(rng, Role::App);
                let db = pick(rng, Role::Db);
                Conn {
                    protocol: ICMP,
                    ..conn(app, v4(db), 0, 0)
                }
            }
        }
        Kind::LateReject => {
            let web = pick(rng, Role::Web);
            Conn {
                local_initiates: false,
                ..conn(web, internet_client(seed, rng), ephemeral(rng), 443)
            }
        }
        Kind::NoData | Kind::SkipData => unreachable!("idle records have no connection"),
    }
}

/// A record of a connection in one direction.
fn traffic_record(kind: Kind, conn: &Conn, start: i64, end: i64, rng: &mut Rng) -> Record {
    // Scans and late packets only ever go one way: towards the interface.
    let from_initiator = matches!(kind, Kind::Scan | Kind::LateReject) || rng.chance(550);
    let egress = from_initiator == conn.local_initiates;
    // The packet addresses differ from the interface's view only on the
    // local side, when the interface forwards for someone (a NAT gateway).
    let (src, pkt_src, srcport, dst, pkt_dst, dstport) = if egress {
        (
            conn.local,
            conn.pkt_local,
            conn.local_port,
            conn.remote,
            conn.remote,
            conn.remote_port,
        )
    } else {
        (
            conn.remote,
            conn.remote,
            conn.remote_port,
            conn.local,
            conn.pkt_local,
            conn.local_port,
        )
    };
    let (accept, tcp_flags, packets, packet_size) = match kind {
        Kind::Scan => (false, 2, 1 + rng.below(2), 40 + 4 * rng.below(6)),
        Kind::LateReject => (
            false,
            *rng.pick(&[1, 4, 4, 0]),
            1 + rng.below(3),
            40 + rng.below(20),
        ),
        Kind::Dns | Kind::Ntp => (true, 0, 1 + rng.below(4), 60 + rng.below(200)),
        Kind::Icmp => (rng.chance(900), 0, 1 + rng.below(10), 84),
        _ => {
            let flags = if from_initiator {
                *rng.pick(&[2, 3, 3, 0, 0, 1, 4])
            } else {
                *rng.pick(&[18, 19, 19, 0, 0, 1, 4])
            };
            // Heavy-tailed: as many flows of 1-2 packets as of thousands.
            let magnitude = rng.below(15);
            let packets = 1 + rng.below(1 << magnitude);
            (true, flags, packets, 52 + rng.below(1400))
        }
    };
    let (src_service, dst_service) = if egress {
        ("-", conn.remote_service)
    } else {
        (conn.remote_service, "-")
    };
    Record {
        eni: conn.eni,
        status: Status::Ok,
        src,
        dst,
        pkt_src,
        pkt_dst,
        srcport,
        dstport,
        protocol: conn.protocol,
        packets,
        bytes: packets * packet_size,
        start,
        end,
        accept,
        tcp_flags: if conn.protocol == TCP { tcp_flags } else { 0 },
        src_service,
        dst_service,
        egress,
        traffic_path: if egress { conn.egress_path } else { 0 },
    }
}

// ---------------------------------------------------------------------------
// Outside addresses: drawn from fixed pools, so that some of them recur
// (and top-talker queries have something to find), with a skew towards
// the first ones.

/// First octets of public unicast IPv4 space, away from private, shared,
/// documentation and multicast ranges.
const PUBLIC_FIRST_OCTETS: [u8; 24] = [
    3, 13, 18, 23, 31, 34, 35, 44, 45, 52, 54, 62, 66, 72, 81, 89, 91, 103, 104, 141, 151, 157,
    185, 212,
];

fn public_ipv4(hash: u64) -> Addr {
    let first = PUBLIC_FIRST_OCTETS[(hash % PUBLIC_FIRST_OCTETS.len() as u64) as usize];
    let middle = ((hash >> 8) & 0xffff) as u32;
    let last = 1 + ((hash >> 24) % 254) as u32;
    Addr::V4(u32::from(first) << 24 | middle << 8 | last)
}

/// An index below `n`, small ones far likelier than large ones.
fn skewed(rng: &mut Rng, n: u64) -> u64 {
    let bound = 1 + rng.below(n);
    rng.below(bound)
}

/// Sets of outside addresses, each derived from the seed.
#[derive(Clone, Copy)]
enum Pool {
    Clients = 1,
    WebServers,
    Scanners,
    NtpServers,
    ClientsV6,
}

/// The `index`th address of a pool.
fn pooled(seed: u64, pool: Pool, index: u64) -> Addr {
    public_ipv4(pool_hash(seed, pool, index))
}

fn pool_hash(seed: u64, pool: Pool, index: u64) -> u64 {
    mix(mix(seed, pool as u64), index)
}

fn internet_client(seed: u64, rng: &mut Rng) -> Addr {
    pooled(seed, Pool::Clients, skewed(rng, 20_000))
}

fn web_server(seed: u64, rng: &mut Rng) -> Addr {
    pooled(seed, Pool::WebServers, skewed(rng, 2_000))
}

fn scanner(seed: u64, rng: &mut Rng) -> Addr {
    pooled(seed, Pool::Scanners, skewed(rng, 300))
}

/// Global unicast IPv6 prefixes of large networks, with random host bits.
fn internet_client_v6(seed: u64, rng: &mut Rng) -> Addr {
    const PREFIXES: [u128; 4] = [0x2a00_1450, 0x2a02_8108, 0x2607_f8b0, 0x2001_0db9];
    let hash = pool_hash(seed, Pool::ClientsV6, skewed(rng, 5_000));
    let prefix = PREFIXES[(hash % 4) as usize] << 96;
    Addr::V6(prefix | u128::from(hash >> 8) << 32 | u128::from(hash as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_follow_aws_naming() {
        assert_eq!(az_id("us-east-1", 1), "use1-az1");
        assert_eq!(az_id("ap-southeast-2", 3), "apse2-az3");
        assert_eq!(az_id("eu-central-1", 2), "euc1-az2");
        assert_eq!(az_id("us-gov-west-1", 1), "usgw1-az1");
    }
}
