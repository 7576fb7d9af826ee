//! The generated SQL on a real Trino (the engine Athena v3 is built on).
//!
//! tests/run starts Trino 476 (tests/trino/server.sh) and exports
//! FLOWQ_TRINO_URL and FLOWQ_TRINO_FILES, the folder its `hive` catalog sees
//! as `local:///`. These tests write a handful of hand-made flow-log
//! records as gzipped files in the AWS folder layout of every partition
//! scheme, create each table with flowq's Trino DDL, run the SQL that
//! `flowq::sql::compile` produces, and compare the rows with answers worked out
//! by hand from the records below, not by running flowq.
//!
//! The records sit around midnight of 2025-06-30 (also a month edge), some
//! delivered into the next day's and hour's folder, with NODATA and
//! SKIPDATA rows full of `-`, IPv6 addresses, and one record two days
//! earlier that only an unpruned scan reads.

mod common;

use common::{trino_client as client, trino_server as trino, TrinoServer as Trino};

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use flowq::engine::output::Cell;
use flowq::engine::trino::{Client, QueryStats, Rows};
use flowq::lang::check::CheckContext;
use flowq::lang::ir::Params;
use flowq::schema::LogFormat;
use flowq::sql::ddl_trino::{self, Location};
use flowq::table::{Partitioning, Scheme, Table};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

// ------------------------------------------------------------ the records

/// One flow-log record (v5 format) and when its file was delivered, which
/// decides the folder it lies in.
#[derive(Clone)]
struct Record {
    eni: &'static str,
    src: &'static str,
    dst: &'static str,
    sport: &'static str,
    dport: &'static str,
    proto: &'static str,
    packets: &'static str,
    bytes: &'static str,
    start: &'static str,
    end: &'static str,
    action: &'static str,
    status: &'static str,
    flags: &'static str,
    ty: &'static str,
    pkt_src: &'static str,
    pkt_dst: &'static str,
    instance: &'static str,
    az: &'static str,
    dst_service: &'static str,
    direction: &'static str,
    path: &'static str,
    delivered: &'static str,
}

#[allow(clippy::too_many_arguments)]
fn flow(
    eni: &'static str,
    (src, sport): (&'static str, &'static str),
    (dst, dport): (&'static str, &'static str),
    proto: &'static str,
    (packets, bytes): (&'static str, &'static str),
    (start, end): (&'static str, &'static str),
    action: &'static str,
    flags: &'static str,
    delivered: &'static str,
) -> Record {
    Record {
        eni,
        src,
        dst,
        sport,
        dport,
        proto,
        packets,
        bytes,
        start,
        end,
        action,
        status: "OK",
        flags,
        ty: if src.contains(':') { "IPv6" } else { "IPv4" },
        pkt_src: src,
        pkt_dst: dst,
        instance: "i-0123abcd",
        az: "use1-az2",
        dst_service: "-",
        direction: "ingress",
        path: "-",
        delivered,
    }
}

/// A NODATA or SKIPDATA record: `-` wherever there was no traffic
/// (reference §1.3).
fn no_data(
    eni: &'static str,
    status: &'static str,
    (start, end): (&'static str, &'static str),
    delivered: &'static str,
) -> Record {
    Record {
        status,
        action: "-",
        flags: "-",
        ty: "-",
        direction: "-",
        ..flow(
            eni,
            ("-", "-"),
            ("-", "-"),
            "-",
            ("-", "-"),
            (start, end),
            "-",
            "-",
            delivered,
        )
    }
}

/// Times: `A` is 2025-06-30, `B` is 2025-07-01, `P` is 2025-06-28.
fn records() -> Vec<Record> {
    vec![
        flow(
            "eni-01",
            ("10.0.1.5", "49152"),
            ("10.0.2.9", "443"),
            "6",
            ("10", "5000"),
            ("A23:01:00", "A23:01:50"),
            "ACCEPT",
            "19",
            "A23:05",
        ),
        flow(
            "eni-02",
            ("203.0.113.7", "51000"),
            ("10.0.2.9", "22"),
            "6",
            ("1", "40"),
            ("A23:40:00", "A23:40:30"),
            "REJECT",
            "2",
            "A23:45",
        ),
        // Ends before midnight, delivered into the next day's (and month's) folder.
        flow(
            "eni-03",
            ("203.0.113.7", "51001"),
            ("10.0.2.9", "3389"),
            "6",
            ("1", "40"),
            ("A23:58:00", "A23:59:30"),
            "REJECT",
            "2",
            "B00:05",
        ),
        // Spans midnight.
        flow(
            "eni-04",
            ("10.0.1.5", "53000"),
            ("10.0.0.2", "53"),
            "17",
            ("2", "150"),
            ("A23:59:50", "B00:00:20"),
            "ACCEPT",
            "0",
            "B00:05",
        ),
        Record {
            direction: "egress",
            path: "8",
            ..flow(
                "eni-05",
                ("2001:db8::10", "443"),
                ("2001:db8:1::20", "50000"),
                "6",
                ("15000", "20000000"),
                ("B00:10:00", "B00:11:00"),
                "ACCEPT",
                "18",
                "B00:15",
            )
        },
        no_data("eni-06", "NODATA", ("B00:20:00", "B00:30:00"), "B00:35"),
        no_data("eni-07", "SKIPDATA", ("B00:20:00", "B00:30:00"), "B00:35"),
        Record {
            az: "use1-az1",
            ..flow(
                "eni-08",
                ("198.51.100.9", "0"),
                ("10.0.2.9", "0"),
                "1",
                ("3", "252"),
                ("B00:40:00", "B00:41:00"),
                "REJECT",
                "-",
                "B00:45",
            )
        },
        // Lasts 15 minutes, into the next hour.
        Record {
            direction: "egress",
            path: "1",
            ..flow(
                "eni-09",
                ("10.0.2.9", "22"),
                ("10.0.1.5", "60000"),
                "6",
                ("800", "1048576"),
                ("B00:50:00", "B01:05:00"),
                "ACCEPT",
                "1",
                "B01:10",
            )
        },
        // Behind a NAT gateway, to S3.
        Record {
            pkt_src: "10.0.3.3",
            pkt_dst: "172.16.4.4",
            dst_service: "S3",
            ..flow(
                "eni-10",
                ("10.0.1.5", "60001"),
                ("192.168.5.5", "5432"),
                "6",
                ("4", "600"),
                ("B01:20:00", "B01:21:00"),
                "ACCEPT",
                "4",
                "B01:25",
            )
        },
        flow(
            "eni-11",
            ("fe80::1", "1234"),
            ("2001:db8::1", "23"),
            "6",
            ("1", "80"),
            ("B02:10:00", "B02:11:00"),
            "REJECT",
            "2",
            "B02:15",
        ),
        flow(
            "eni-12",
            ("10.0.1.5", "40001"),
            ("10.0.2.9", "443"),
            "6",
            ("5", "500"),
            ("A21:00:00", "A21:01:00"),
            "ACCEPT",
            "3",
            "A21:05",
        ),
        // Starts before the 23:00 window, ends inside it.
        Record {
            instance: "-",
            ..flow(
                "eni-13",
                ("10.0.1.7", "40000"),
                ("10.0.2.9", "8080"),
                "6",
                ("7", "700"),
                ("A22:50:00", "A23:00:30"),
                "ACCEPT",
                "3",
                "A23:05",
            )
        },
        flow(
            "eni-14",
            ("10.0.1.5", "40002"),
            ("10.0.2.9", "443"),
            "6",
            ("5", "500"),
            ("P12:00:00", "P12:01:00"),
            "ACCEPT",
            "3",
            "P12:05",
        ),
    ]
}

fn instant(short: &str) -> i64 {
    let (day, time) = short.split_at(1);
    let date = match day {
        "P" => "2025-06-28",
        "A" => "2025-06-30",
        "B" => "2025-07-01",
        other => panic!("unknown day {other}"),
    };
    let time = if time.len() == 5 {
        format!("{time}:00")
    } else {
        time.to_string()
    };
    flowq::time::parse_now(&format!("{date}T{time}Z"))
        .unwrap()
        .unix()
}

const HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path";

impl Record {
    fn line(&self) -> String {
        let (start, end) = (
            instant(self.start).to_string(),
            instant(self.end).to_string(),
        );
        let fields = [
            "5",
            ACCOUNT,
            self.eni,
            self.src,
            self.dst,
            self.sport,
            self.dport,
            self.proto,
            self.packets,
            self.bytes,
            &start,
            &end,
            self.action,
            self.status,
            "vpc-0abc",
            "subnet-0def",
            self.instance,
            self.flags,
            self.ty,
            self.pkt_src,
            self.pkt_dst,
            REGION,
            self.az,
            "-",
            "-",
            "-",
            self.dst_service,
            self.direction,
            self.path,
        ];
        fields.join(" ")
    }
}

// ------------------------------------------------------------ the layouts

/// The folder of a file delivered at `t`, below the table's location.
fn folder(scheme: Scheme, t: i64) -> String {
    let (y, m, d, h, _) = flowq::time::utc_fields(t);
    match scheme {
        Scheme::Date | Scheme::Day | Scheme::None => format!("{y:04}/{m:02}/{d:02}"),
        Scheme::DateHour => format!("{y:04}/{m:02}/{d:02}/{h:02}"),
        Scheme::Hive => format!("year={y:04}/month={m:02}/day={d:02}"),
        Scheme::HiveHourly => format!("year={y:04}/month={m:02}/day={d:02}/hour={h:02}"),
    }
}

fn location_folder(scheme: Scheme) -> String {
    match scheme {
        Scheme::Hive | Scheme::HiveHourly => {
            format!("AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region={REGION}")
        }
        _ => format!("AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}"),
    }
}

/// Writes one gzipped file per delivery time, named like AWS names them;
/// returns the size of each file by its folder.
fn write_files(root: &Path, scheme: Scheme) -> BTreeMap<String, u64> {
    let mut by_delivery: BTreeMap<&str, Vec<Record>> = BTreeMap::new();
    for record in records() {
        by_delivery
            .entry(record.delivered)
            .or_default()
            .push(record);
    }
    let mut sizes = BTreeMap::new();
    for (delivered, records) in by_delivery {
        let t = instant(delivered);
        let (y, m, d, h, min) = flowq::time::utc_fields(t);
        let dir = root.join(location_folder(scheme)).join(folder(scheme, t));
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!(
            "{ACCOUNT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_{y:04}{m:02}{d:02}T{h:02}{min:02}Z_{:08x}.log.gz",
            t % 0xffff_ffff
        );
        let mut text = format!("{HEADER}\n");
        for record in records {
            text.push_str(&record.line());
            text.push('\n');
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        std::fs::write(dir.join(name), &bytes).unwrap();
        *sizes.entry(folder(scheme, t)).or_insert(0) += bytes.len() as u64;
    }
    sizes
}

// ------------------------------------------------------------ the server

/// A schema and a folder of its own for one test, removed at the end.
struct Fixture {
    trino: Trino,
    schema: String,
    folder: PathBuf,
    tables: Vec<(Table, BTreeMap<String, u64>)>,
}

impl Fixture {
    fn new(trino: Trino, name: &str, schemes: &[Scheme]) -> Fixture {
        let unique = format!(
            "{name}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let folder = trino.files.join(&unique);
        let schema = format!("flowq_{unique}");
        let client = client(&trino, "default");
        run(&client, &format!("CREATE SCHEMA hive.{schema}"));
        let mut tables = Vec::new();
        for &scheme in schemes {
            let root = folder.join(scheme.name());
            let sizes = write_files(&root, scheme);
            let table = Table {
                database: schema.clone(),
                name: format!("flows_{}", scheme.name().replace('-', "_")),
                format: LogFormat::parse(common::V5_FORMAT).unwrap(),
                partitioning: Partitioning::new(scheme),
                ..Table::default()
            };
            let relative = root
                .strip_prefix(&trino.files)
                .unwrap()
                .join(location_folder(scheme));
            let location = Location {
                uri: format!("local:///{}", relative.display()),
                first_day: instant("P00:00"),
                accounts: vec![],
                regions: vec![],
            };
            run(
                &client,
                &ddl_trino::create_table(&table, &location).unwrap(),
            );
            if scheme == Scheme::Date {
                for day in ["P00:00", "A00:00", "B00:00"] {
                    let call =
                        ddl_trino::register_partition(&table, &location, instant(day)).unwrap();
                    run(&client, &call);
                }
            }
            tables.push((table, sizes));
        }
        Fixture {
            trino,
            schema,
            folder,
            tables,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let client = client(&self.trino, &self.schema);
        for (table, _) in &self.tables {
            let _ = client.query(&format!("DROP TABLE IF EXISTS \"{}\"", table.name));
        }
        let _ = client.query(&format!("DROP SCHEMA IF EXISTS hive.{}", self.schema));
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn run(client: &Client, sql: &str) -> (Rows, QueryStats) {
    client
        .query(sql)
        .unwrap_or_else(|e| panic!("Trino refused\n{sql}\n{e}"))
}

fn compile(query: &str, table: &Table, now: &str) -> String {
    let params = Params::default();
    let ctx = CheckContext {
        table,
        now: flowq::time::Time::from_unix(instant(now)).unwrap(),
        params: &params,
    };
    match flowq::sql::compile(query, &ctx) {
        Ok(compiled) => compiled.sql,
        Err(errors) => panic!("{query} does not compile: {errors:?}"),
    }
}

// ------------------------------------------------------------ the queries

/// A window around midnight: 23:00 to 01:00.
const W: &str = "since 2025-06-30T23:00:00Z until 2025-07-01T01:00:00Z";

/// Queries that return records, and the interface IDs of the records that
/// match, worked out from `records()` by hand. With window W the records
/// that overlap are 01-09 and 13 (13 starts before 23:00 and ends after).
fn record_cases() -> Vec<(String, Vec<&'static str>)> {
    let w = |q: &str| format!("{q} {W}");
    let all_w = vec!["01", "02", "03", "04", "05", "06", "07", "08", "09", "13"];
    vec![
        (w(""), all_w.clone()),
        (w("reject"), vec!["02", "03", "08"]),
        (w("action accept"), vec!["01", "04", "05", "09", "13"]),
        // NODATA/SKIPDATA rows have no action: `not accept` is unknown there.
        (w("not accept"), vec!["02", "03", "08"]),
        (w("not not reject"), vec!["02", "03", "08"]),
        (w("src 10.0.0.0/8"), vec!["01", "04", "09", "13"]),
        (w("src 10.0.1.5"), vec!["01", "04"]),
        (w("not dst 10.0.0.0/8"), vec!["05"]),
        (w("dst 2001:db8::/32"), vec!["05"]),
        (w("src 2001:db8::10"), vec!["05"]),
        (
            w("host {203.0.113.7, 2001:db8::10}"),
            vec!["02", "03", "05"],
        ),
        (w("host 10.0.0.2"), vec!["04"]),
        // An IPv6 network holds no IPv4 address, though Trino's contains()
        // finds every IPv4 address in `::/0` (found by tests/differential.rs).
        (w("dst ::/0"), vec!["05"]),
        (w("src {::/64, 203.0.113.7}"), vec!["02", "03"]),
        // A network that holds all of ::ffff:0:0/96 but does not start in
        // it: Trino parses it as IPv6, and it holds no IPv4 address either.
        (w("dst ::fffe:0:0/95"), vec![]),
        (
            w("not dst ::fffe:0:0/95"),
            vec!["01", "02", "03", "04", "05", "08", "09", "13"],
        ),
        // ::ffff:0:0:0/96 (IPv4-translated) is not the IPv4-mapped range.
        (w("host ::ffff:0:0:0/96"), vec![]),
        // A window first or last scopes the whole filter (issue 12): the
        // `or` of {02, 03} and {04}, not `dport ... or (proto udp and W)`.
        (w("dport {ssh, rdp} or proto udp"), vec!["02", "03", "04"]),
        (
            format!("{W} dport ssh or dport rdp or proto udp"),
            vec!["02", "03", "04"],
        ),
        (w("status nodata or status skipdata"), vec!["06", "07"]),
        // dst 10/8 and accept: 01, 04, 09, 13; or IPv6 dst: 05.
        (
            w("dst 2001:db8::/32 or dst 10.0.0.0/8 and action accept"),
            vec!["01", "04", "05", "09", "13"],
        ),
        (
            w("not src ::/0"),
            vec!["01", "02", "03", "04", "08", "09", "13"],
        ),
        (
            w("srcaddr = 203.0.113.0/24 and dstaddr != 10.0.2.9"),
            vec![],
        ),
        (w("dport {ssh, rdp}"), vec!["02", "03"]),
        (w("port 22"), vec!["02", "09"]),
        (w("sport 49152-65535"), vec!["01", "02", "03", "04"]),
        (w("dport {53, 8000-8999}"), vec!["04", "13"]),
        (w("dport >= 1024"), vec!["03", "05", "09", "13"]),
        (
            w("dstport != 22"),
            vec!["01", "03", "04", "05", "08", "09", "13"],
        ),
        (w("proto udp"), vec!["04"]),
        (w("proto {icmp, udp}"), vec!["04", "08"]),
        (w("protocol != {6, 17}"), vec!["08"]),
        (w("flags syn"), vec!["01", "02", "03", "05", "13"]),
        (w("flags synack"), vec!["01", "05"]),
        (w("flags syn and not flags synack"), vec!["02", "03", "13"]),
        // A set is any-of, as everywhere in the language: FIN or SYN.
        (
            w("flags {fin, syn}"),
            vec!["01", "02", "03", "05", "09", "13"],
        ),
        (w("flags fin and flags syn"), vec!["01", "13"]),
        (w("tcp-flags = 2"), vec!["02", "03"]),
        (w("bytes > 10M"), vec!["05"]),
        (w("bytes >= 1MiB and packets >= 100"), vec!["05", "09"]),
        // NODATA and SKIPDATA rows have times, so they have a duration.
        (w("duration > 5m"), vec!["06", "07", "09", "13"]),
        (w("status {nodata, skipdata}"), vec!["06", "07"]),
        (w("log_status != OK"), vec!["06", "07"]),
        (w("type ipv6 and direction egress"), vec!["05"]),
        (w("path {1, 8}"), vec!["05", "09"]),
        (
            w("(dport 22 or dport 3389) and (reject or not src 10.0.0.0/8)"),
            vec!["02", "03"],
        ),
        (w("not (dport 22 or dport 3389) and reject"), vec!["08"]),
        (
            w("!dport 22 && (src 10.0.1.5 || dst 10.0.1.5)"),
            vec!["01", "04", "09"],
        ),
        (
            w("start >= 2025-07-01T00:00:00Z"),
            vec!["05", "06", "07", "08", "09"],
        ),
        (w("eni {eni-02, 'eni-03'}"), vec!["02", "03"]),
        (
            w("account 123456789012 and region us-east-1 and az use1-az2"),
            vec!["01", "02", "03", "04", "05", "06", "07", "09", "13"],
        ),
        (w("not az use1-az2"), vec!["08"]),
        (
            w("vpc vpc-0abc and subnet subnet-0def and instance i-0123abcd"),
            vec!["01", "02", "03", "04", "05", "06", "07", "08", "09"],
        ),
        // 01:00-01:30 holds 09 (ends 01:05) and 10.
        (
            "pkt-src 10.0.3.3 since 2025-07-01T01:00:00Z until 2025-07-01T01:30:00Z".into(),
            vec!["10"],
        ),
        (
            "pkt-dst 172.16.0.0/12 since 2025-07-01T01:00:00Z until 2025-07-01T01:30:00Z".into(),
            vec!["10"],
        ),
        (
            "pkt-host 10.0.1.5 since 2025-07-01T01:00:00Z until 2025-07-01T01:30:00Z".into(),
            vec!["09"],
        ),
        (
            "dst-service s3 since 2025-07-01T01:00:00Z until 2025-07-01T01:30:00Z".into(),
            vec!["10"],
        ),
        (
            "port postgres since 2025-07-01T01:00:00Z until 2025-07-01T01:30:00Z".into(),
            vec!["10"],
        ),
        // Windows on the edges: 03 lies in the next day's folder.
        (
            "since 2025-06-30T23:55:00Z until 2025-07-01T00:05:00Z".into(),
            vec!["03", "04"],
        ),
        (
            "on 2025-06-30".into(),
            vec!["01", "02", "03", "04", "12", "13"],
        ),
        ("on 2025-06-28".into(), vec!["14"]),
        (
            "since 2025-07-01T02:00:00Z until 2025-07-01T03:00:00Z".into(),
            vec!["11"],
        ),
        (
            "dport 23 and type IPv6 since 2025-07-01T02:00:00Z".into(),
            vec!["11"],
        ),
        ("between 2025-06-27 and 2025-06-29".into(), vec!["14"]),
        (
            "since 2025-06-30T23:40:30Z until 2025-06-30T23:40:31Z".into(),
            vec!["02"],
        ),
        // `start < t1` is strict: 04 starts exactly at 23:59:50.
        (
            "since 2025-06-30T23:59:00Z until 2025-06-30T23:59:50Z".into(),
            vec!["03"],
        ),
    ]
}

/// Queries run with "now" at 03:00 on 2025-07-01.
const NOW: &str = "B03:00";

fn last_hour_cases() -> Vec<(String, Vec<&'static str>)> {
    vec![
        ("last 1h".into(), vec!["11"]),
        ("reject last 4h".into(), vec!["02", "03", "08", "11"]),
        ("dport 22 last 4h".into(), vec!["02"]),
    ]
}

fn interface_ids(rows: &Rows) -> Vec<String> {
    let i = rows
        .columns
        .iter()
        .position(|c| c.name == "interface_id")
        .expect("an interface_id column");
    let mut ids: Vec<String> = rows
        .rows
        .iter()
        .map(|r| match &r[i] {
            Cell::Text(s) => s.trim_start_matches("eni-").to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    ids.sort();
    ids
}

fn int(n: i64) -> Cell {
    Cell::Int(n)
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

/// Pipeline stages over window W, with their rows worked out by hand, in
/// order when the query sorts (every sort here has no ties left).
fn stage_cases() -> Vec<(String, Vec<Vec<Cell>>, bool)> {
    let w = |q: &str| format!("{W} {q}");
    let (a2250, b0105) = (instant("A22:50:00"), instant("B01:05:00"));
    vec![
        (w("reject | count"), vec![vec![int(3)]], true),
        (
            w("| count by action"),
            vec![
                vec![text("ACCEPT"), int(5)],
                vec![text("REJECT"), int(3)],
                vec![Cell::Null, int(2)],
            ],
            true,
        ),
        (
            w("| stats sum(bytes) as total, count() as flows by srcaddr"),
            vec![
                vec![text("10.0.1.5"), int(5150), int(2)],
                vec![text("203.0.113.7"), int(80), int(2)],
                vec![text("2001:db8::10"), int(20_000_000), int(1)],
                vec![Cell::Null, Cell::Null, int(2)],
                vec![text("198.51.100.9"), int(252), int(1)],
                vec![text("10.0.2.9"), int(1_048_576), int(1)],
                vec![text("10.0.1.7"), int(700), int(1)],
            ],
            false,
        ),
        (
            w("| top 2 srcaddr by bytes"),
            vec![
                vec![text("2001:db8::10"), int(20_000_000)],
                vec![text("10.0.2.9"), int(1_048_576)],
            ],
            true,
        ),
        (
            w("| fields interface-id, duration | sort duration desc, interface-id | limit 3"),
            vec![
                vec![text("eni-09"), int(900)],
                vec![text("eni-13"), int(630)],
                vec![text("eni-06"), int(600)],
            ],
            true,
        ),
        (
            // avg over the 8 records with packets: 15824 / 8.
            w("| stats min(start), max(end), avg(packets), count_distinct(dstport)"),
            vec![vec![int(a2250), int(b0105), Cell::Float(1978.0), int(8)]],
            true,
        ),
        (
            w("reject | count by dport, proto | sort dport"),
            vec![
                vec![int(0), int(1), int(1)],
                vec![int(22), int(6), int(1)],
                vec![int(3389), int(6), int(1)],
            ],
            true,
        ),
        (
            w("| stats max(duration) as longest by eni | sort longest desc | limit 2"),
            vec![
                vec![text("eni-09"), int(900)],
                vec![text("eni-13"), int(630)],
            ],
            true,
        ),
    ]
}

fn sorted(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

// ------------------------------------------------------------ the tests

/// Every query on every scheme's table; one report of every mismatch.
#[test]
fn compiled_sql_gives_the_hand_worked_answers_on_every_scheme() {
    let Some(trino) = trino() else { return };
    let fixture = Fixture::new(trino, "answers", &Scheme::ALL);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = fixture
            .tables
            .iter()
            .map(|(table, _)| scope.spawn(|| check_table(&fixture, table)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn check_table(fixture: &Fixture, table: &Table) -> Vec<String> {
    let client = client(&fixture.trino, &fixture.schema);
    let mut failures = Vec::new();
    let scheme = table.partitioning.scheme;
    let mut check = |query: &str, now: &str, compare: &dyn Fn(&Rows) -> Result<(), String>| {
        let sql = compile(query, table, now);
        match client.query(&sql) {
            Ok((rows, _)) => {
                if let Err(e) = compare(&rows) {
                    failures.push(format!("[{scheme}] {query}\n{e}\n{sql}"));
                }
            }
            Err(e) => failures.push(format!("[{scheme}] {query}\nTrino refused it: {e}\n{sql}")),
        }
    };
    for (query, expected) in record_cases().into_iter().chain(last_hour_cases()) {
        check(&query, NOW, &|rows| {
            let got = interface_ids(rows);
            (got == expected)
                .then_some(())
                .ok_or(format!("got {got:?}, want {expected:?}"))
        });
    }
    for (query, expected, ordered) in stage_cases() {
        check(&query, NOW, &|rows| {
            let (got, want) = if ordered {
                (rows.rows.clone(), expected.clone())
            } else {
                (sorted(rows.rows.clone()), sorted(expected.clone()))
            };
            (got == want)
                .then_some(())
                .ok_or(format!("got {got:?}\nwant {want:?}"))
        });
    }
    failures
}

/// What a text table reads from `-` in an integer column, and whether the
/// CIDR test holds for IPv6: facts the SQL relies on.
#[test]
fn dashes_in_integer_columns_read_as_null() {
    let Some(trino) = trino() else { return };
    let fixture = Fixture::new(trino, "dashes", &[Scheme::Day]);
    let client = client(&fixture.trino, &fixture.schema);
    let (rows, _) = run(
        &client,
        "SELECT \"srcport\", \"packets\", \"tcp_flags\", \"traffic_path\", \"srcaddr\" FROM \"flows_day\" \
         WHERE \"day\" = '2025/07/01' AND \"interface_id\" = 'eni-06'",
    );
    assert_eq!(
        rows.rows,
        vec![vec![
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
            text("-")
        ]]
    );
}

/// Why flowq refuses IPv4-mapped networks (`::ffff:0:0/96` and inside):
/// engines disagree on them. Trino's `contains()` parses the CIDR's address
/// with Guava, and depending on the version it is read as IPv4 (then a
/// prefix over 32 fails: "Prefix length exceeds address length", as on
/// older engines) or as IPv6 holding every IPv4 address in it (true, on
/// Trino 476). Neither is flowq's rule that an IPv6 network holds no IPv4
/// address (the local engine's answer, false), so flowq's checker refuses
/// them and names the IPv4 form (lang::ir::mapped_v4).
#[test]
fn trino_reads_ipv4_mapped_networks_its_own_way() {
    let Some(trino) = trino() else { return };
    let client = client(&trino, "default");
    for network in ["::ffff:0:0/96", "::ffff:10.0.0.0/104"] {
        let sql = format!(
            "SELECT count(*) FROM (VALUES 1) AS t(x) WHERE contains('{network}', IPADDRESS '10.0.0.1')"
        );
        match client.query(&sql) {
            Ok((rows, _)) => assert_eq!(rows.rows, vec![vec![Cell::Int(1)]], "{network}"),
            Err(e) => assert!(
                e.to_string()
                    .contains("Prefix length exceeds address length"),
                "{network}: {e}"
            ),
        }
    }
    let params = Params::default();
    let table = Table::default();
    let ctx = CheckContext {
        table: &table,
        now: flowq::time::Time::from_unix(instant("A23:00")).unwrap(),
        params: &params,
    };
    for (query, ipv4) in [
        ("dst ::ffff:0:0/96 last 1h", "0.0.0.0/0"),
        ("dst ::ffff:10.0.0.0/104 last 1h", "10.0.0.0/8"),
    ] {
        let errors = flowq::sql::compile(query, &ctx).unwrap_err();
        assert!(
            errors[0].help.as_deref().unwrap_or("").contains(ipv4),
            "{query}: {errors:?}"
        );
    }
}

/// Pruning: the bytes Trino reads for a windowed query with flowq's
/// partition predicates, against the same query without them, and against
/// the files in the partitions the range covers. Prints the table that
/// docs/benchmarks.md starts from.
#[test]
fn partition_predicates_prune_what_trino_reads() {
    let Some(trino) = trino() else { return };
    let fixture = Fixture::new(trino, "pruning", &Scheme::ALL);
    let client = client(&fixture.trino, &fixture.schema);
    let query = "reject since 2025-06-30T23:55:00Z until 2025-07-01T00:05:00Z";
    let mut report = vec![format!(
        "{query}\n{:<12} {:>8} {:>10} {:>12}",
        "scheme", "pruned", "unpruned", "in-range"
    )];
    for (table, sizes) in &fixture.tables {
        let scheme = table.partitioning.scheme;
        let (rows, pruned) = run(&client, &compile(query, table, NOW));
        assert_eq!(interface_ids(&rows), ["03"], "[{scheme}]");
        // The same query compiled for a table without time partitions:
        // no partition predicates, so Trino reads every folder.
        let unpartitioned = Table {
            partitioning: Partitioning::new(Scheme::None),
            ..table.clone()
        };
        let (rows, unpruned) = run(&client, &compile(query, &unpartitioned, NOW));
        assert_eq!(interface_ids(&rows), ["03"], "[{scheme}] unpruned");
        let all: u64 = sizes.values().sum();
        let in_range = bytes_in_range(scheme, sizes, query);
        report.push(format!(
            "{:<12} {:>8} {:>10} {:>12}",
            scheme.name(),
            pruned.physical_input_bytes,
            unpruned.physical_input_bytes,
            in_range
        ));
        assert_eq!(
            unpruned.physical_input_bytes, all,
            "[{scheme}] the unpruned query reads every file"
        );
        assert_eq!(
            pruned.physical_input_bytes, in_range,
            "[{scheme}] the pruned query reads exactly the partitions in range"
        );
        if scheme != Scheme::None {
            assert!(
                pruned.physical_input_bytes < unpruned.physical_input_bytes,
                "[{scheme}]"
            );
        }
    }
    eprintln!("{}", report.join("\n"));
}

/// The bytes of the files in the partitions that flowq's partition range
/// covers for `query` (window start - 5 min to end + 30 min lateness).
fn bytes_in_range(scheme: Scheme, sizes: &BTreeMap<String, u64>, query: &str) -> u64 {
    if scheme == Scheme::None {
        return sizes.values().sum();
    }
    let table = Table {
        partitioning: Partitioning::new(scheme),
        ..Table::default()
    };
    let params = Params::default();
    let ctx = CheckContext {
        table: &table,
        now: flowq::time::Time::from_unix(instant(NOW)).unwrap(),
        params: &params,
    };
    let compiled = flowq::sql::compile(query, &ctx).unwrap();
    let range = flowq::sql::partition::range(&compiled.checked.window, table.lateness);
    let step = if scheme.is_hourly() { 3600 } else { 86_400 };
    let (first, last) = (range.first.unwrap().unix(), range.last.unwrap().unix());
    let mut folders = std::collections::BTreeSet::new();
    let mut t = first - first.rem_euclid(step);
    while t <= last {
        folders.insert(folder(scheme, t));
        t += step;
    }
    folders.iter().filter_map(|f| sizes.get(f)).sum()
}
