//! `flowq sample` writes what the flow-log service writes: the S3 layout and
//! file names of reference §2, the header line and fields of reference
//! §1.2-§1.4, `-` only where AWS writes it, and the same bytes for the
//! same seed. The expectations here are written from the reference, not
//! from the generator's code.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flowq::sample::{self, FormatVersion, Layout, Options};

const V2_HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
protocol packets bytes start end action log-status";

const V5_HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type \
pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service \
pkt-dst-aws-service flow-direction traffic-path";

/// 2026-11-26T23:00:00Z: windows around it cross an hour and a day.
const LATE_EVENING: i64 = 1_795_734_000;
const HOUR: i64 = 3600;

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("flowq-sample-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(out: &Path) -> Options {
    Options {
        flows_per_minute: 40,
        ..Options::new(out, LATE_EVENING - HOUR / 2, LATE_EVENING + 2 * HOUR)
    }
}

/// Every file under `root`: its path relative to `root`, and its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    common::files_below(root)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path.strip_prefix(root).unwrap().to_path_buf(), bytes)
        })
        .collect()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    MultiGzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// What a file's key says about it.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    account: String,
    region: String,
    flow_log_id: String,
    /// The file name's timestamp, Unix seconds.
    time: i64,
}

/// Parses a key of any of the four layouts of reference §2, checking that
/// the folders agree with the file name.
fn parse_key(key: &Path, layout: Layout, hourly: bool) -> Key {
    let parts: Vec<&str> = key.iter().map(|p| p.to_str().unwrap()).collect();
    let folders = if hourly { 8 } else { 7 };
    assert_eq!(parts.len(), folders + 1, "{key:?}");
    assert_eq!(parts[0], "AWSLogs");
    let strip = |part: &str, prefix: &str| -> String {
        match layout {
            Layout::Default => part.to_string(),
            Layout::Hive => part
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{part} lacks {prefix} in {key:?}"))
                .to_string(),
        }
    };
    let account = strip(parts[1], "aws-account-id=");
    assert_eq!(strip(parts[2], "aws-service="), "vpcflowlogs");
    let region = strip(parts[3], "aws-region=");
    let year = strip(parts[4], "year=");
    let month = strip(parts[5], "month=");
    let day = strip(parts[6], "day=");
    let hour = hourly.then(|| strip(parts[7], "hour="));

    let name = parts[folders];
    let rest = name
        .strip_prefix(&format!("{account}_vpcflowlogs_{region}_"))
        .unwrap_or_else(|| panic!("{name} does not start with account and region"));
    let rest = rest.strip_suffix(".log.gz").expect(".log.gz");
    let fields: Vec<&str> = rest.split('_').collect();
    assert_eq!(fields.len(), 3, "{name}");
    let (flow_log_id, stamp, hash) = (fields[0], fields[1], fields[2]);
    assert!(
        flow_log_id.starts_with("fl-") && flow_log_id.len() > 3,
        "{name}"
    );
    assert!(
        hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    // YYYYMMDDTHHmmZ
    assert_eq!(stamp.len(), 14, "{name}");
    assert_eq!((&stamp[8..9], &stamp[13..]), ("T", "Z"), "{name}");
    assert_eq!(&stamp[0..4], year, "year folder of {name}");
    assert_eq!(&stamp[4..6], month, "month folder of {name}");
    assert_eq!(&stamp[6..8], day, "day folder of {name}");
    if let Some(hour) = hour {
        assert_eq!(&stamp[9..11], hour, "hour folder of {name}");
    }
    let num = |range: std::ops::Range<usize>| stamp[range].parse::<i8>().unwrap();
    let minute = num(11..13);
    assert_eq!(minute % 5, 0, "files are per 5 minutes: {name}");
    let time = flowq::time::Time::from_fields(
        stamp[0..4].parse().unwrap(),
        num(4..6),
        num(6..8),
        num(9..11),
        minute,
    )
    .unwrap()
    .unix();
    Key {
        account,
        region,
        flow_log_id: flow_log_id.to_string(),
        time,
    }
}

/// The files of a run, parsed: key, header line, records split in fields.
fn read(root: &Path, layout: Layout, hourly: bool) -> Vec<(Key, String, Vec<Vec<String>>)> {
    tree(root)
        .into_iter()
        .map(|(path, bytes)| {
            let key = parse_key(&path, layout, hourly);
            let text = gunzip(&bytes);
            let mut lines = text.lines();
            let header = lines.next().unwrap().to_string();
            let records = lines
                .map(|l| l.split(' ').map(str::to_string).collect())
                .collect();
            (key, header, records)
        })
        .collect()
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_does_not() {
    let (a, b, c, d) = (
        Scratch::new("seed-a"),
        Scratch::new("seed-b"),
        Scratch::new("seed-c"),
        Scratch::new("seed-d"),
    );
    sample::generate(&options(&a.0)).unwrap();
    // Another thread count schedules the files differently.
    sample::generate(&Options {
        threads: 1,
        ..options(&b.0)
    })
    .unwrap();
    sample::generate(&Options {
        seed: 2,
        ..options(&c.0)
    })
    .unwrap();
    sample::generate(&Options {
        threads: 3,
        ..options(&d.0)
    })
    .unwrap();
    let (ta, tb, tc, td) = (tree(&a.0), tree(&b.0), tree(&c.0), tree(&d.0));
    assert!(ta.len() > 20, "{} files", ta.len());
    assert!(ta == tb, "same seed, one thread: trees differ");
    assert!(ta == td, "same seed, three threads: trees differ");
    let names = |t: &BTreeMap<PathBuf, Vec<u8>>| t.keys().cloned().collect::<BTreeSet<_>>();
    assert!(
        names(&ta).is_disjoint(&names(&tc)),
        "seed 2 reused a file name"
    );
    let content =
        |t: &BTreeMap<PathBuf, Vec<u8>>| t.values().map(|b| gunzip(b)).collect::<Vec<_>>();
    assert_ne!(content(&ta), content(&tc));
}

#[test]
fn every_layout_names_files_like_the_service() {
    for layout in [Layout::Default, Layout::Hive] {
        for hourly in [false, true] {
            let dir = Scratch::new(&format!("layout-{layout:?}-{hourly}"));
            let opts = Options {
                layout,
                hourly,
                accounts: vec!["111122223333".into(), "444455556666".into()],
                regions: vec!["us-east-1".into(), "eu-west-1".into()],
                ..options(&dir.0)
            };
            sample::generate(&opts).unwrap();
            let files = read(&dir.0, layout, hourly);
            let mut flow_logs: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
            let mut times: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
            for (key, _, records) in &files {
                assert!(!records.is_empty(), "the service writes no empty files");
                for record in records {
                    assert_eq!(record[1], key.account, "account-id matches the path");
                }
                let stream = (key.account.clone(), key.region.clone());
                flow_logs
                    .entry(stream.clone())
                    .or_default()
                    .insert(key.flow_log_id.clone());
                times.entry(stream).or_default().insert(key.time);
            }
            assert_eq!(flow_logs.len(), 4, "every account and region is written");
            assert!(
                flow_logs.values().all(|ids| ids.len() == 1),
                "{flow_logs:?}"
            );
            let ids: BTreeSet<_> = flow_logs.values().flatten().collect();
            assert_eq!(ids.len(), 4, "each account and region has its own flow log");
            // A file every 5 minutes from the first interval of the window
            // to its end, then at most two for the last records' ends.
            let every_interval: BTreeSet<i64> =
                (opts.start + 300..=opts.end).step_by(300).collect();
            for stream_times in times.values() {
                assert!(
                    stream_times.is_superset(&every_interval),
                    "{stream_times:?}"
                );
                assert!(stream_times.len() <= every_interval.len() + 2);
                assert!(*stream_times.last().unwrap() <= opts.end + sample::MAX_DELIVERY_LAG);
            }
        }
    }
}

/// Which fields AWS may leave `-`, and when (reference §1.3, §1.4).
fn check_dashes(header: &[&str], record: &[String]) {
    let value = |name: &str| -> &str {
        let i = header.iter().position(|h| *h == name).unwrap();
        &record[i]
    };
    let ok = value("log-status") == "OK";
    let egress = header.contains(&"flow-direction") && value("flow-direction") == "egress";
    for (name, v) in header.iter().zip(record) {
        let dash_allowed = match *name {
            "version" | "account-id" | "interface-id" | "start" | "end" | "log-status"
            | "vpc-id" | "subnet-id" | "region" | "az-id" => false,
            "sublocation-type" | "sublocation-id" => {
                assert_eq!(v, "-", "no sublocations are simulated");
                true
            }
            // Requester-managed interfaces, AWS-owned addresses only.
            "instance-id" | "pkt-src-aws-service" | "pkt-dst-aws-service" => true,
            "traffic-path" => {
                assert_eq!(
                    v == "-",
                    !(ok && egress),
                    "traffic-path is egress only: {record:?}"
                );
                true
            }
            _ => {
                assert_eq!(
                    v == "-",
                    !ok,
                    "{name} is '-' exactly on NODATA/SKIPDATA: {record:?}"
                );
                true
            }
        };
        assert!(dash_allowed || v != "-", "{name} is never '-': {record:?}");
    }
}

fn check_values(header: &[&str], record: &[String]) {
    let value = |name: &str| -> &str {
        let i = header.iter().position(|h| *h == name).unwrap();
        &record[i]
    };
    assert!(["OK", "NODATA", "SKIPDATA"].contains(&value("log-status")));
    if value("log-status") != "OK" {
        return;
    }
    assert!(
        ["ACCEPT", "REJECT"].contains(&value("action")),
        "{record:?}"
    );
    let src: IpAddr = value("srcaddr").parse().unwrap();
    let dst: IpAddr = value("dstaddr").parse().unwrap();
    assert_eq!(src.is_ipv4(), dst.is_ipv4(), "{record:?}");
    for port in ["srcport", "dstport"] {
        value(port).parse::<u16>().unwrap();
    }
    let protocol = value("protocol");
    assert!(["1", "6", "17"].contains(&protocol), "{record:?}");
    let packets: u64 = value("packets").parse().unwrap();
    let bytes: u64 = value("bytes").parse().unwrap();
    assert!(packets >= 1 && bytes >= 40 * packets, "{record:?}");
    if header.contains(&"type") {
        assert_eq!(value("type"), if src.is_ipv4() { "IPv4" } else { "IPv6" });
        value("pkt-srcaddr").parse::<IpAddr>().unwrap();
        value("pkt-dstaddr").parse::<IpAddr>().unwrap();
        let flags: u8 = value("tcp-flags").parse().unwrap();
        assert!(
            protocol == "6" || flags == 0,
            "tcp-flags on non-TCP: {record:?}"
        );
        assert!(["ingress", "egress"].contains(&value("flow-direction")));
        // The interface's own address is the source of egress records
        // and the destination of ingress ones.
        let local = if value("flow-direction") == "egress" {
            src
        } else {
            dst
        };
        let in_vpc = match local {
            IpAddr::V4(a) => a.octets()[0] == 10,
            IpAddr::V6(a) => a.segments()[..2] == [0x2600, 0x1f18],
        };
        assert!(in_vpc, "the interface side is the VPC's: {record:?}");
        let path = value("traffic-path");
        if path != "-" {
            assert!((1..=8).contains(&path.parse::<u8>().unwrap()), "{record:?}");
        }
    }
}

#[test]
fn records_have_the_format_fields_and_dashes_only_where_aws_writes_them() {
    for (version, expected) in [
        (FormatVersion::V2, V2_HEADER),
        (FormatVersion::V5, V5_HEADER),
    ] {
        let dir = Scratch::new(&format!("fields-{version:?}"));
        let opts = Options {
            version,
            ..options(&dir.0)
        };
        sample::generate(&opts).unwrap();
        let header: Vec<&str> = expected.split(' ').collect();
        let mut count = 0;
        for (_, file_header, records) in read(&dir.0, Layout::Default, false) {
            assert_eq!(file_header, expected);
            for record in records {
                assert_eq!(record.len(), header.len(), "{record:?}");
                let want_version = match version {
                    FormatVersion::V2 => "2",
                    FormatVersion::V5 => "5",
                };
                assert_eq!(record[0], want_version);
                check_dashes(&header, &record);
                check_values(&header, &record);
                count += 1;
            }
        }
        // 40 a minute for 2.5 hours, less the ones drawn outside the window.
        assert!((5_500..=6_000).contains(&count), "{count} records");
    }
}

#[test]
fn records_start_in_the_window_and_land_in_the_file_of_their_end() {
    let dir = Scratch::new("times");
    let opts = Options {
        hourly: true,
        ..options(&dir.0)
    };
    sample::generate(&opts).unwrap();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut next_day = 0;
    let mut next_hour = 0;
    for (key, _, records) in read(&dir.0, Layout::Default, true) {
        for record in records {
            let start: i64 = record[10].parse().unwrap();
            let end: i64 = record[11].parse().unwrap();
            assert!(opts.start <= start && start < opts.end, "{record:?}");
            assert!(
                end >= start && end - start < sample::MAX_AGGREGATION,
                "{record:?}"
            );
            // The 5 minutes of ends before the file's timestamp (reference §2).
            assert!(
                key.time - 300 <= end && end < key.time,
                "{key:?} {record:?}"
            );
            assert!(key.time - start <= sample::MAX_DELIVERY_LAG);
            first = first.min(start);
            last = last.max(start);
            if start < LATE_EVENING + HOUR && key.time >= LATE_EVENING + HOUR {
                next_day += 1;
            }
            if start / HOUR != key.time / HOUR {
                next_hour += 1;
            }
        }
    }
    assert!(
        first - opts.start < 60 && opts.end - last < 60,
        "{first} {last}"
    );
    assert!(
        next_day > 0,
        "no record started before midnight in the next day's folder"
    );
    assert!(
        next_hour > next_day,
        "records cross every hour, not just midnight"
    );
}

#[test]
fn the_mix_has_every_kind_of_traffic() {
    let dir = Scratch::new("mix");
    let opts = Options {
        version: FormatVersion::V5,
        ..options(&dir.0)
    };
    sample::generate(&opts).unwrap();
    let header: Vec<&str> = V5_HEADER.split(' ').collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for (_, _, records) in read(&dir.0, Layout::Default, false) {
        for r in records {
            total += 1;
            let field = |name: &str| r[header.iter().position(|h| *h == name).unwrap()].as_str();
            let (action, proto) = (field("action"), field("protocol"));
            // The service's side of a connection has the low port, in
            // requests (dstport) and replies (srcport) alike.
            let port = |name: &str| field(name).parse::<u16>().unwrap_or(0);
            let service = port("srcport").min(port("dstport"));
            let mut see = |what| *seen.entry(what).or_default() += 1;
            match (action, proto, service) {
                ("ACCEPT", "6", 443 | 80) => see("accept tcp 443/80"),
                ("REJECT", "6", _)
                    if [22, 3389, 23].contains(&port("dstport")) && field("tcp-flags") == "2" =>
                {
                    see("rejected SYN on 22/3389/23")
                }
                (_, "17", 53) => see("udp 53"),
                (_, "17", 123) => see("udp 123"),
                (_, "1", _) => see("icmp"),
                _ => {}
            }
            match field("log-status") {
                "NODATA" => see("nodata"),
                "SKIPDATA" => see("skipdata"),
                _ => {}
            }
            if field("type") == "IPv6" {
                see("ipv6");
            }
            if field("pkt-dstaddr") != field("dstaddr") || field("pkt-srcaddr") != field("srcaddr")
            {
                see("nat");
            }
            if field("pkt-dst-aws-service") == "S3" {
                see("s3");
            }
            if field("instance-id") == "-" {
                see("requester-managed");
            }
            if field("flow-direction") == "egress" {
                see("egress");
            }
        }
    }
    let share = |what: &str| seen.get(what).copied().unwrap_or(0) as f64 / total as f64;
    assert!(share("accept tcp 443/80") > 0.5, "{seen:?}");
    for what in [
        "rejected SYN on 22/3389/23",
        "udp 53",
        "udp 123",
        "icmp",
        "nodata",
        "skipdata",
        "ipv6",
        "nat",
        "s3",
        "requester-managed",
    ] {
        assert!(share(what) > 0.0 && share(what) < 0.2, "{what}: {seen:?}");
    }
    assert!((0.3..0.7).contains(&share("egress")), "{seen:?}");
}

#[test]
fn bad_options_say_which_flag_is_wrong() {
    let base = options(Path::new("/nonexistent"));
    let cases = [
        (
            Options {
                end: base.start,
                ..base.clone()
            },
            "--end",
        ),
        (
            Options {
                accounts: vec!["12345".into()],
                ..base.clone()
            },
            "--accounts",
        ),
        (
            Options {
                regions: vec!["us_east_1".into()],
                ..base.clone()
            },
            "--regions",
        ),
        (
            Options {
                flows_per_minute: 0,
                ..base.clone()
            },
            "--flows-per-minute",
        ),
        (
            Options {
                flows_per_minute: u32::MAX,
                end: base.start + 365 * 24 * HOUR,
                ..base.clone()
            },
            "--flows-per-minute",
        ),
    ];
    for (opts, flag) in cases {
        let error = opts.validate().unwrap_err();
        assert!(error.contains(flag), "{error}");
        assert!(sample::generate(&opts).is_err());
    }
    assert!(
        !Path::new("/nonexistent").exists(),
        "nothing written on error"
    );
}
