//! The differential suite: the compiled SQL on a real Trino against the
//! local engine, over the same `flowq sample` files (issue 6).
//!
//! For each partition scheme, `flowq::sample::generate` writes a few hours
//! across midnight in the scheme's folder layout under the Trino server's
//! file root (`FLOWQ_TRINO_FILES`); `flowq::sql::ddl_trino` creates the table
//! over it. Every shipped saved search and a few hundred generated queries
//! are checked once against that table, and the one checked query runs
//! twice: as `flowq::sql::render::render`'s SQL on Trino, and with
//! `flowq::engine::local::run` over the table's folder. The rows must be equal.
//!
//! Exactness: rows compare in order when the query sorts (the checked
//! query carries tie-breaks on every grouping or output column, so a
//! sorted result is fully determined), and as multisets otherwise. The
//! generator adds a `limit` only together with a sort, and the tables'
//! default limit is far above the sample's size, so no engine ever picks
//! which rows to keep. `avg` compares with a relative tolerance.
//!
//! The generator is a fixed-seed splitmix64, so a failure repeats; the
//! report names the scheme, the query and its SQL.

mod common;

use common::{trino_client as client, trino_server as trino, TrinoServer as Trino};

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use flowq::engine::output::Cell;
use flowq::engine::trino::{Client, Rows};
use flowq::lang::check::CheckContext;
use flowq::lang::ir::{CheckedQuery, Params};
use flowq::sample::{self, FileFormat as SampleFormat, FormatVersion, Layout};
use flowq::sql::ddl_trino::{self, Location};
use flowq::table::{FileFormat, Partitioning, Scheme, Table};

/// The sample: 22:00 to 02:00 UTC across the midnight of a month's end.
const DATA_START: &str = "2026-10-31T22:00:00Z";
const DATA_END: &str = "2026-11-01T02:00:00Z";
/// "Now" for `last` windows: after the last files are delivered.
const NOW: &str = "2026-11-01T02:40:00Z";
const ACCOUNTS: [&str; 2] = ["111122223333", "444455556666"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Per account and region: 4 x 240 minutes x 4 streams = 3,840 records.
const FLOWS_PER_MINUTE: u32 = 4;
/// Far above the sample's size: no query is cut by the default limit.
const DEFAULT_LIMIT: u64 = 1_000_000;
/// Generated queries per scheme (each with its own seed).
const GENERATED_PER_SCHEME: usize = 60;

// ------------------------------------------------------------ the tables

/// One scheme's table: the sample's layout and format, and whether the
/// table has account and region partition columns (its location is then
/// the `AWSLogs/` folder; otherwise one account and region's folder).
#[derive(Clone, Copy)]
struct Setup {
    scheme: Scheme,
    version: FormatVersion,
    partition_columns: bool,
    /// The files: gzip text, or Parquet (the table `STORED AS PARQUET`).
    parquet: bool,
}

/// The mix covers: projected account and region columns (and, with the
/// v2 format, which has no `region` field, `region X` as a partition
/// test); registered partitions (`date`); a table over the whole
/// `AWSLogs/` tree read recursively (`none`); tables over one folder.
const SETUPS: [Setup; 6] = [
    Setup {
        scheme: Scheme::Date,
        version: FormatVersion::V5,
        partition_columns: false,
        parquet: false,
    },
    Setup {
        scheme: Scheme::Day,
        version: FormatVersion::V5,
        partition_columns: true,
        parquet: false,
    },
    Setup {
        scheme: Scheme::DateHour,
        version: FormatVersion::V2,
        partition_columns: true,
        parquet: false,
    },
    Setup {
        scheme: Scheme::Hive,
        version: FormatVersion::V5,
        partition_columns: true,
        parquet: false,
    },
    Setup {
        scheme: Scheme::HiveHourly,
        version: FormatVersion::V5,
        partition_columns: false,
        parquet: false,
    },
    Setup {
        scheme: Scheme::None,
        version: FormatVersion::V5,
        partition_columns: false,
        parquet: false,
    },
];

/// Parquet tables (issue 13): over one folder and over `AWSLogs/` with
/// partition columns, daily and hourly, Hive and default layouts, v2 (no
/// v3-v5 columns in the files) and v5.
const PARQUET_SETUPS: [Setup; 3] = [
    Setup {
        scheme: Scheme::Day,
        version: FormatVersion::V5,
        partition_columns: false,
        parquet: true,
    },
    Setup {
        scheme: Scheme::DateHour,
        version: FormatVersion::V2,
        partition_columns: true,
        parquet: true,
    },
    Setup {
        scheme: Scheme::HiveHourly,
        version: FormatVersion::V5,
        partition_columns: true,
        parquet: true,
    },
];

fn t(text: &str) -> i64 {
    flowq::time::parse_now(text).unwrap().unix()
}

/// A table over sample files, and the folder the local engine reads.
struct Prepared {
    table: Table,
    folder: PathBuf,
    values: Values,
}

/// A schema and folder of this run, removed at the end.
struct Fixture {
    trino: Trino,
    schema: String,
    root: PathBuf,
    tables: Vec<String>,
}

impl Fixture {
    fn new(trino: Trino) -> Fixture {
        let unique = format!(
            "differential_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let root = trino.files.join(&unique);
        let schema = format!("flowq_{unique}");
        run_sql(
            &client(&trino, "default"),
            &format!("CREATE SCHEMA hive.{schema}"),
        );
        Fixture {
            trino,
            schema,
            root,
            tables: Vec::new(),
        }
    }

    fn prepare(&mut self, setup: Setup) -> Prepared {
        let scheme = setup.scheme;
        let suffix = if setup.parquet { "_parquet" } else { "" };
        let out = self.root.join(format!("{}{suffix}", scheme.name()));
        let hive = matches!(scheme, Scheme::Hive | Scheme::HiveHourly);
        let options = sample::Options {
            flows_per_minute: FLOWS_PER_MINUTE,
            accounts: ACCOUNTS.iter().map(|s| s.to_string()).collect(),
            regions: REGIONS.iter().map(|s| s.to_string()).collect(),
            layout: if hive { Layout::Hive } else { Layout::Default },
            hourly: scheme.is_hourly(),
            version: setup.version,
            seed: 6,
            threads: 1,
            file_format: if setup.parquet {
                SampleFormat::Parquet
            } else {
                SampleFormat::Text
            },
            ..sample::Options::new(&out, t(DATA_START), t(DATA_END))
        };
        sample::generate(&options).unwrap();
        // The values generated predicates pick from are read from the
        // same records as text, written beside the table's folder.
        let text_out = self.root.join(format!("{}{suffix}_values", scheme.name()));
        if setup.parquet {
            let as_text = sample::Options {
                out: text_out.clone(),
                file_format: SampleFormat::Text,
                ..options.clone()
            };
            sample::generate(&as_text).unwrap();
        }
        let account_folder = |account: &str, region: &str| {
            if hive {
                format!(
                    "AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}"
                )
            } else {
                format!("AWSLogs/{account}/vpcflowlogs/{region}")
            }
        };
        let below = if setup.partition_columns || scheme == Scheme::None {
            "AWSLogs".to_string()
        } else {
            account_folder(ACCOUNTS[0], REGIONS[0])
        };
        let folder = out.join(&below);
        let mut partitioning = Partitioning::new(scheme);
        if setup.partition_columns {
            partitioning.account_column = Some("accid".into());
            partitioning.region_column = Some("aws_region".into());
        }
        let table = Table {
            database: self.schema.clone(),
            name: format!("flows_{}{suffix}", scheme.name().replace('-', "_")),
            format: setup.version.format(),
            partitioning,
            default_limit: DEFAULT_LIMIT,
            file_format: if setup.parquet {
                FileFormat::Parquet
            } else {
                FileFormat::Text
            },
            ..Table::default()
        };
        let relative = folder.strip_prefix(&self.trino.files).unwrap();
        let location = Location {
            uri: format!("local:///{}", relative.display()),
            first_day: t(DATA_START) - 86_400,
            accounts: ACCOUNTS.iter().map(|s| s.to_string()).collect(),
            regions: REGIONS.iter().map(|s| s.to_string()).collect(),
        };
        let client = client(&self.trino, &self.schema);
        run_sql(
            &client,
            &ddl_trino::create_table(&table, &location).unwrap(),
        );
        self.tables.push(table.name.clone());
        if scheme == Scheme::Date {
            for day in ["2026-10-31T00:00:00Z", "2026-11-01T00:00:00Z"] {
                let call = ddl_trino::register_partition(&table, &location, t(day)).unwrap();
                run_sql(&client, &call);
            }
        }
        let values = if setup.parquet {
            Values::read(&text_out.join(&below))
        } else {
            Values::read(&folder)
        };
        Prepared {
            table,
            values,
            folder,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let client = client(&self.trino, &self.schema);
        for table in &self.tables {
            let _ = client.query(&format!("DROP TABLE IF EXISTS \"{table}\""));
        }
        let _ = client.query(&format!("DROP SCHEMA IF EXISTS hive.{}", self.schema));
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn run_sql(client: &Client, sql: &str) -> Rows {
    client
        .query(sql)
        .unwrap_or_else(|e| panic!("Trino refused\n{sql}\n{e}"))
        .0
}

// ------------------------------------------------------------ the data's values

/// Every value of every field in the sample, so that generated predicates
/// name addresses, ports and IDs that occur (a test on a value that never
/// occurs proves little).
struct Values {
    by_field: BTreeMap<String, Vec<String>>,
}

impl Values {
    fn read(folder: &Path) -> Values {
        let mut by_field: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in common::files_below(folder) {
            let reader = BufReader::new(flate2::read::MultiGzDecoder::new(
                std::fs::File::open(&file).unwrap(),
            ));
            let mut lines = reader.lines();
            let header = lines.next().unwrap().unwrap();
            let names: Vec<String> = header.split(' ').map(String::from).collect();
            for line in lines {
                let line = line.unwrap();
                for (name, value) in names.iter().zip(line.split(' ')) {
                    if value != "-" {
                        by_field.entry(name.clone()).or_default().push(value.into());
                    }
                }
            }
        }
        for values in by_field.values_mut() {
            values.sort();
            values.dedup();
        }
        Values { by_field }
    }

    fn pick(&self, field: &str, rng: &mut Rng) -> Option<String> {
        let values = self.by_field.get(field)?;
        Some(values[rng.below(values.len())].clone())
    }
}

// ------------------------------------------------------------ the generator

/// splitmix64: small, fixed, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn one<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A network around `address`: the address itself or one of its
/// prefixes, written the way users write them.
fn network(address: &str, rng: &mut Rng) -> String {
    let ip: IpAddr = address.parse().unwrap();
    let prefixes: &[u8] = match ip {
        IpAddr::V4(_) => &[32, 24, 16, 8, 0],
        IpAddr::V6(_) => &[128, 64, 48, 32, 0],
    };
    let prefix = prefixes[rng.below(prefixes.len())];
    if prefix == prefixes[0] {
        return address.to_string();
    }
    let net = ipnet::IpNet::new(ip, prefix).unwrap().trunc();
    net.to_string()
}

/// A value of a text field that occurs, quoted or not.
fn text_value(values: &Values, field: &str, rng: &mut Rng) -> Option<String> {
    let value = values.pick(field, rng)?;
    Some(if rng.chance(30) {
        format!("'{value}'")
    } else {
        value
    })
}

fn set_of(items: Vec<String>) -> String {
    if items.len() == 1 {
        items.into_iter().next().unwrap()
    } else {
        format!("{{{}}}", items.join(", "))
    }
}

/// One predicate of any kind; None when the data has no value for it
/// (the caller draws again).
fn predicate(values: &Values, rng: &mut Rng) -> Option<String> {
    let kind = rng.below(12);
    Some(match kind {
        0 | 1 => {
            let (qualifier, field) = *[
                ("src", "srcaddr"),
                ("dst", "dstaddr"),
                ("host", "srcaddr"),
                ("pkt-src", "pkt-srcaddr"),
                ("pkt-dst", "pkt-dstaddr"),
                ("pkt-host", "pkt-dstaddr"),
            ]
            .get(rng.below(6))
            .unwrap();
            let count = 1 + rng.below(3);
            let mut nets = Vec::new();
            for _ in 0..count {
                let address = values.pick(field, rng)?;
                nets.push(network(&address, rng));
            }
            if rng.chance(10) {
                // IPv6 networks that hold the IPv4-mapped range (which
                // flowq itself refuses), and one beside it.
                nets.push(
                    rng.one(&[
                        "10.0.0.0/8",
                        "::/0",
                        "172.16.0.0/12",
                        "::fffe:0:0/95",
                        "::ffff:0:0:0/96",
                    ])
                    .into(),
                );
            }
            format!("{qualifier} {}", set_of(nets))
        }
        2 => {
            let field = rng.one(&["srcaddr", "dstaddr", "pkt-srcaddr"]);
            let op = rng.one(&["=", "!="]);
            let address = values.pick(field, rng)?;
            format!("{field} {op} {}", network(&address, rng))
        }
        3 => {
            let qualifier = rng.one(&["port", "sport", "dport"]);
            let mut items = Vec::new();
            for _ in 0..1 + rng.below(3) {
                items.push(match rng.below(4) {
                    0 => rng.one(&["ssh", "https", "rdp", "dns", "postgres"]).into(),
                    1 => rng.one(&["0-1023", "1024-65535", "8000-8999"]).into(),
                    _ => values.pick(rng.one(&["srcport", "dstport"]), rng)?,
                });
            }
            format!("{qualifier} {}", set_of(items))
        }
        4 => {
            let field = rng.one(&["srcport", "dstport", "protocol", "tcp-flags"]);
            let op = rng.one(&["=", "!=", "<", "<=", ">", ">="]);
            format!("{field} {op} {}", values.pick(field, rng)?)
        }
        5 => match rng.below(4) {
            0 => format!(
                "proto {}",
                rng.one(&["tcp", "udp", "icmp", "{icmp, udp}", "6"])
            ),
            1 => rng
                .one(&[
                    "accept",
                    "reject",
                    "action {accept, reject}",
                    "action reject",
                ])
                .into(),
            2 => format!(
                "status {}",
                rng.one(&["ok", "nodata", "skipdata", "{nodata, skipdata}"])
            ),
            _ => format!(
                "flags {}",
                rng.one(&["syn", "synack", "fin", "rst", "{fin, syn}"])
            ),
        },
        6 | 7 => {
            let (qualifier, field) = *[
                ("eni", "interface-id"),
                ("vpc", "vpc-id"),
                ("subnet", "subnet-id"),
                ("instance", "instance-id"),
                ("az", "az-id"),
                ("account", "account-id"),
                ("region", "region"),
                ("dst-service", "pkt-dst-aws-service"),
                ("src-service", "pkt-src-aws-service"),
                ("service", "pkt-src-aws-service"),
                ("path", "traffic-path"),
            ]
            .get(rng.below(11))
            .unwrap();
            // Region and account values come from the folder names too,
            // so tables whose format lacks the field still get real ones.
            let pick = |rng: &mut Rng| match field {
                "region" => Some(rng.one(&REGIONS).to_string()),
                "account-id" => Some(rng.one(&ACCOUNTS).to_string()),
                _ => text_value(values, field, rng),
            };
            let mut items = vec![pick(rng)?];
            if rng.chance(30) {
                items.push(pick(rng)?);
            }
            format!("{qualifier} {}", set_of(items))
        }
        8 => {
            let field = rng.one(&[
                "interface-id",
                "action",
                "log-status",
                "az-id",
                "type",
                "flow-direction",
                "instance-id",
            ]);
            let op = rng.one(&["=", "!="]);
            format!("{field} {op} {}", text_value(values, field, rng)?)
        }
        9 => {
            let value = rng.one(&[
                "type ipv6",
                "type ipv4",
                "direction egress",
                "direction ingress",
            ]);
            value.to_string()
        }
        10 => {
            let field = rng.one(&["bytes", "packets", "duration"]);
            let op = rng.one(&["=", "!=", "<", "<=", ">", ">="]);
            let value = match field {
                "bytes" => rng.one(&["0", "100", "1K", "10KiB", "1M", "5000"]),
                "packets" => rng.one(&["1", "2", "10", "100"]),
                _ => rng.one(&["0", "30", "59", "60", "1m", "5m"]),
            };
            format!("{field} {op} {value}")
        }
        _ => {
            let field = rng.one(&["start", "end"]);
            let op = rng.one(&["<", "<=", ">", ">="]);
            let at = rng.one(&[
                "2026-10-31T23:59:30Z",
                "2026-11-01T00:00:00Z",
                "2026-11-01T01:00:00Z",
                "1793491200",
            ]);
            format!("{field} {op} {at}")
        }
    })
}

fn filter(values: &Values, rng: &mut Rng, depth: u32) -> String {
    if depth == 0 || rng.chance(40) {
        loop {
            if let Some(p) = predicate(values, rng) {
                return p;
            }
        }
    }
    let a = filter(values, rng, depth - 1);
    let b = filter(values, rng, depth - 1);
    match rng.below(8) {
        0 => format!("{a} and {b}"),
        1 => format!("({a}) or ({b})"),
        2 => format!("not ({a})"),
        3 => format!("{a} {b}"),
        4 => format!("!({a}) && ({b})"),
        5 => format!("({a} || {b})"),
        6 => format!("not ({a} or {b})"),
        _ => format!("({a}) and not ({b})"),
    }
}

/// Windows on the data's edges: across midnight (and the month's end),
/// on and around hour boundaries, whole days, `last`, and arbitrary ones.
fn window(rng: &mut Rng) -> String {
    const FIXED: [&str; 12] = [
        "last 1h",
        "last 30m",
        "last 3h",
        "last 6h",
        "since 2026-10-31T23:55:00Z until 2026-11-01T00:05:00Z",
        "since 2026-10-31T23:00:00Z until 2026-11-01T01:00:00Z",
        "since 2026-11-01T00:59:00Z until 2026-11-01T01:01:00Z",
        "since 2026-11-01T01:00:00Z until 2026-11-01T02:00:00Z",
        "on 2026-10-31",
        "on 2026-11-01",
        "between 2026-10-30 and 2026-11-02",
        "since 2026-10-31T22:30:00Z",
    ];
    if rng.chance(50) {
        return FIXED[rng.below(FIXED.len())].to_string();
    }
    // An edge (hour or midnight) give or take a little, and a length.
    let edges = [
        t("2026-10-31T23:00:00Z"),
        t("2026-11-01T00:00:00Z"),
        t("2026-11-01T01:00:00Z"),
    ];
    let start = edges[rng.below(3)] + [-3600, -600, -61, -1, 0, 1, 59, 300][rng.below(8)];
    let length = [1, 60, 299, 300, 601, 3599, 3600, 7200][rng.below(8)];
    format!(
        "since {} until {}",
        flowq::time::format_rfc3339(start),
        flowq::time::format_rfc3339(start + length)
    )
}

/// Fields to group, output or sort by.
const GROUPS: [&str; 12] = [
    "srcaddr",
    "dstaddr",
    "dstport",
    "protocol",
    "action",
    "log-status",
    "interface-id",
    "az-id",
    "flow-direction",
    "traffic-path",
    "tcp-flags",
    "account-id",
];
const NUMBERS: [&str; 8] = [
    "bytes",
    "packets",
    "start",
    "end",
    "duration",
    "srcport",
    "dstport",
    "tcp-flags",
];

/// One to `most` distinct items.
fn pick_distinct(rng: &mut Rng, items: &[&str], most: usize) -> Vec<String> {
    let n = 1 + rng.below(most);
    let mut chosen: Vec<String> = Vec::new();
    while chosen.len() < n {
        let item = rng.one(items).to_string();
        if !chosen.contains(&item) {
            chosen.push(item);
        }
    }
    chosen
}

fn aggregate(rng: &mut Rng) -> String {
    match rng.below(7) {
        0 => "count()".into(),
        1 => format!("count({})", rng.one(&GROUPS)),
        2 => format!("count_distinct({})", rng.one(&GROUPS)),
        3 => format!("sum({})", rng.one(&NUMBERS)),
        4 => format!("avg({})", rng.one(&NUMBERS)),
        5 => format!(
            "{}({})",
            rng.one(&["min", "max"]),
            rng.one(&["srcaddr", "interface-id", "action"])
        ),
        _ => format!("{}({})", rng.one(&["min", "max"]), rng.one(&NUMBERS)),
    }
}

/// A pipeline: every stage, a `limit` only after a sort.
fn stages(rng: &mut Rng) -> String {
    let limit = |rng: &mut Rng| [1, 3, 10, 50][rng.below(4)];
    let direction = |rng: &mut Rng| rng.one(&["", " asc", " desc"]).to_string();
    match rng.below(8) {
        0 => String::new(),
        1 => format!("| fields {}", pick_distinct(rng, &GROUPS, 3).join(", ")),
        2 => {
            let fields = pick_distinct(rng, &NUMBERS, 3);
            format!(
                "| fields {}, interface-id | sort {}{} | limit {}",
                fields.join(", "),
                fields[0],
                direction(rng),
                limit(rng)
            )
        }
        3 => format!(
            "| sort {}{} | limit {}",
            rng.one(&NUMBERS),
            direction(rng),
            limit(rng)
        ),
        4 => {
            if rng.chance(30) {
                "| count".into()
            } else {
                format!("| count by {}", pick_distinct(rng, &GROUPS, 2).join(", "))
            }
        }
        5 => format!(
            "| top {} {}{}",
            limit(rng),
            pick_distinct(rng, &GROUPS, 2).join(", "),
            rng.one(&["", " by bytes", " by packets", " by flows"])
        ),
        _ => {
            let n = 1 + rng.below(3);
            let aggregates: Vec<String> = (0..n)
                .map(|i| format!("{} as a{i}", aggregate(rng)))
                .collect();
            let mut text = format!("| stats {}", aggregates.join(", "));
            if rng.chance(70) {
                let by = pick_distinct(rng, &GROUPS, 2);
                text.push_str(&format!(" by {}", by.join(", ")));
                if rng.chance(50) {
                    text.push_str(&format!(
                        " | sort a{}{} | limit {}",
                        rng.below(n),
                        direction(rng),
                        limit(rng)
                    ));
                }
            }
            text
        }
    }
}

fn generated_query(values: &Values, rng: &mut Rng) -> String {
    let filter = if rng.chance(85) {
        let depth = 1 + rng.below(3) as u32;
        filter(values, rng, depth)
    } else {
        String::new()
    };
    format!("{filter} {} {}", window(rng), stages(rng))
}

// ------------------------------------------------------------ the comparison

struct Case {
    label: String,
    query: String,
    params: Params,
}

fn check(text: &str, table: &Table, params: &Params) -> Result<(CheckedQuery, String), String> {
    let ctx = CheckContext {
        table,
        now: flowq::time::parse_now(NOW).unwrap(),
        params,
    };
    flowq::sql::compile(text, &ctx)
        .map(|c| (c.checked, c.sql))
        .map_err(|d| {
            d.iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        })
}

/// Runs a case both ways; the reason when they differ.
fn compare(client: &Client, prepared: &Prepared, case: &Case) -> Result<usize, String> {
    let (checked, sql) = check(&case.query, &prepared.table, &case.params)
        .map_err(|e| format!("does not compile: {e}"))?;
    let trino = client
        .query(&sql)
        .map_err(|e| format!("Trino failed: {e}\n{sql}"))?
        .0;
    let mut local = Rows::default();
    let source = flowq::engine::local::LocalSource {
        lateness: prepared.table.lateness,
        threads: Some(1),
        ..flowq::engine::local::LocalSource::new(&prepared.folder)
    };
    flowq::engine::local::run(&checked, &source, &mut local, None)
        .map_err(|e| format!("the local engine failed: {e}\n{sql}"))?;
    let names = |rows: &Rows| {
        rows.columns
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    if names(&trino) != names(&local) {
        return Err(format!(
            "columns differ: Trino {:?}, local {:?}\n{sql}",
            names(&trino),
            names(&local)
        ));
    }
    let ordered = !checked.output.order.is_empty();
    let (mut a, mut b) = (trino.rows, local.rows);
    if !ordered {
        a.sort_by_key(|r| row_key(r));
        b.sort_by_key(|r| row_key(r));
    }
    let equal = a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| same_row(x, y));
    if !equal {
        return Err(format!(
            "rows differ ({}): Trino {} rows, local {} rows\n{}\n{sql}",
            if ordered { "in order" } else { "as sets" },
            a.len(),
            b.len(),
            first_difference(&a, &b)
        ));
    }
    Ok(a.len())
}

/// A sort key for multiset comparison; floats rounded so that the last
/// bits of an `avg` do not reorder rows.
fn row_key(row: &[Cell]) -> String {
    row.iter()
        .map(|c| match c {
            Cell::Float(f) => format!("F{f:.6e}"),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\u{1}")
}

fn same_row(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_cell(x, y))
}

fn same_cell(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Float(x), Cell::Float(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

fn first_difference(a: &[Vec<Cell>], b: &[Vec<Cell>]) -> String {
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x.zip(y).is_none_or(|(x, y)| !same_row(x, y)) {
            return format!("first difference at row {i}:\n  Trino {x:?}\n  local {y:?}");
        }
    }
    String::new()
}

// ------------------------------------------------------------ the cases

/// The shipped searches, with the example values of required parameters
/// (as `flowq check` compiles them) and again with values from the data.
fn search_cases(values: &Values, rng: &mut Rng) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("searches");
    let (searches, errors) = flowq::catalog::search::load_all(&dir);
    assert!(errors.is_empty(), "the shipped catalog has errors");
    assert!(searches.len() >= 20, "found {} searches", searches.len());
    let lists = repo_lists();
    let lookups = repo_lookups();
    let mut cases = Vec::new();
    for search in searches {
        let examples = search.example_params();
        let from_data: Vec<(String, String)> = examples
            .iter()
            .map(|(name, example)| {
                let address = values.pick("srcaddr", rng).unwrap();
                let value = match search.params[name].ty {
                    flowq::catalog::search::ParamType::Ip => address,
                    flowq::catalog::search::ParamType::Cidr
                    | flowq::catalog::search::ParamType::Addresses => network(&address, rng),
                    _ => example.clone(),
                };
                (name.clone(), value)
            })
            .collect();
        let mut variants = vec![("examples", examples.clone())];
        if !examples.is_empty() {
            variants.push(("data values", from_data));
        }
        for (what, given) in variants {
            let mut params = search.params(&given).unwrap();
            params.set_lists(lists.clone());
            params.set_lookups(lookups.clone());
            cases.push(Case {
                label: format!("search {} ({what}: {given:?})", search.name),
                query: search.query.clone(),
                params: params.clone(),
            });
            // The repo's enis.csv names the interfaces of another sample:
            // look this one's up too, so the join has names to add.
            if search.query.contains("lookup") {
                params.set_lookups(sample_lookups());
                cases.push(Case {
                    label: format!("search {} ({what}, this sample's interfaces)", search.name),
                    query: search.query.clone(),
                    params,
                });
            }
        }
    }
    cases.extend(list_cases(values, rng));
    cases.extend(lookup_cases(values, rng));
    cases
}

/// The repo's lookup tables (lookups/), which its searches use.
fn repo_lookups() -> flowq::lang::ir::Lookups {
    use flowq::catalog::lookups;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lookups");
    let (found, files) = lookups::load_lookups(&dir);
    assert!(
        lookups::errors(&files).is_empty(),
        "the repo's lookup tables have errors"
    );
    found
}

/// `enis`: the interfaces of this suite's sample, as `flowq sample
/// --enis-csv` writes them, less every third one (so that some rows find
/// no name and keep NULLs).
fn sample_lookups() -> flowq::lang::ir::Lookups {
    let options = sample::Options {
        accounts: ACCOUNTS.iter().map(|s| s.to_string()).collect(),
        regions: REGIONS.iter().map(|s| s.to_string()).collect(),
        seed: 6,
        ..sample::Options::new("unused", t(DATA_START), t(DATA_END))
    };
    let text = sample::interfaces_csv(&options);
    let (table, problems) = flowq::catalog::lookups::parse_csv(&text);
    assert!(problems.is_empty(), "{problems:?}");
    let mut table = table.unwrap();
    let mut i = 0;
    table.rows.retain(|_| {
        i += 1;
        i % 3 != 0
    });
    let mut lookups = flowq::lang::ir::Lookups::default();
    lookups.insert("enis", table);
    lookups
}

/// Lookups on interfaces and on addresses drawn from the data: after
/// `top`, `count`, `fields` with sort and limit, and on raw records; two
/// tables at once; keys that are not in a table.
fn lookup_cases(values: &Values, rng: &mut Rng) -> Vec<Case> {
    let mut lookups = sample_lookups();
    let mut hosts = vec!["address,label,note".to_string()];
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..30 {
        let address = values.pick("srcaddr", rng).unwrap();
        if seen.insert(address.clone()) {
            let note = if i % 2 == 0 { "" } else { "\"seen, twice\"" };
            hosts.push(format!("{address},host-{i},{note}"));
        }
    }
    let (table, problems) = flowq::catalog::lookups::parse_csv(&hosts.join("\n"));
    assert!(problems.is_empty(), "{problems:?}");
    lookups.insert("hosts", table.unwrap());
    [
        "last 6h | top 10 interface-id by bytes | lookup enis on interface-id",
        "reject last 6h | count by interface-id, srcaddr | lookup enis on eni | lookup hosts on srcaddr",
        "last 6h | fields interface-id, srcaddr, bytes | sort bytes desc | limit 40 | lookup enis on interface_id",
        "dport 22 or dport 443 last 6h | lookup hosts on srcaddr",
        "last 6h | stats sum(packets) as p by srcaddr | sort p desc | limit 25 | lookup hosts on srcaddr",
        // Sorted and cut after the join, on the added columns.
        "last 6h | top 15 interface-id by bytes | lookup enis on interface-id | sort enis.name desc, bytes | limit 8",
        "reject last 6h | count by interface-id, srcaddr | lookup enis on eni | lookup hosts on srcaddr | sort hosts.label, enis.name | limit 30",
        // On another column of the table, several addresses a cell.
        "last 6h | top 10 srcaddr by bytes | lookup enis on srcaddr = private_ips",
        "reject last 6h | count by dstaddr | lookup enis on dstaddr = private_ips | sort enis.name | limit 20",
        // NODATA and SKIPDATA records have no address: NULL keys.
        "status nodata or status skipdata or dport 22 last 6h | count by interface-id, srcaddr | lookup enis on interface-id | lookup hosts on srcaddr",
    ]
    .into_iter()
    .map(|query| {
        let mut params = Params::default();
        params.set_lookups(lookups.clone());
        Case {
            label: "lookups".into(),
            query: query.into(),
            params,
        }
    })
    .collect()
}

/// Timechart queries: windows wider than the data (zero-filled buckets on
/// both sides), intervals that do not divide the hour, series with more
/// values than are kept (`other`), a NULL series (NODATA records have no
/// port), a `by` that matches nothing and an all-zero chart.
const TIMECHART_QUERIES: [&str; 9] = [
    "last 6h | timechart 10m count() by dstport",
    "reject last 5h | timechart 1h count(), sum(bytes) as bytes by action",
    "last 3h | timechart 7m sum(packets)",
    "between 2026-10-31T23:00:00Z and 2026-11-01T01:00:00Z | timechart 15m count() by srcaddr",
    "last 6h | timechart 1h sum(bytes), count() by srcport",
    "status nodata or status skipdata last 6h | timechart 30m count() by dstport",
    "dport 1 last 2h | timechart 30m count()",
    "dport 1 last 2h | timechart 30m count() by protocol",
    "since 2026-10-31T21:59:59Z until 2026-11-01T00:00:01Z | timechart 1h count() by interface-id",
];

fn timechart_cases() -> Vec<Case> {
    TIMECHART_QUERIES
        .iter()
        .map(|query| Case {
            label: "timechart".into(),
            query: query.to_string(),
            params: Params::default(),
        })
        .collect()
}

/// The repo's lists (lists/), which its searches use.
fn repo_lists() -> flowq::lang::ir::Lists {
    use flowq::catalog::lists;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lists");
    let (found, files) = lists::load_lists(&dir);
    assert!(
        lists::errors(&files).is_empty(),
        "the repo's lists have errors"
    );
    found
}

/// Queries on named lists drawn from the data: networks around addresses
/// that occur, some of those addresses exactly, an IPv6 network, and the
/// ports that occur, as `.txt` files read them.
fn list_cases(values: &Values, rng: &mut Rng) -> Vec<Case> {
    let mut entries = vec!["2001:db8::/32".to_string(), "::/0".to_string()];
    for _ in 0..40 {
        let address = values.pick("srcaddr", rng).unwrap();
        entries.push(if rng.chance(50) {
            address
        } else {
            network(&address, rng)
        });
    }
    entries.sort();
    entries.dedup();
    let ports: Vec<String> = (0..8)
        .filter_map(|_| values.pick("dstport", rng))
        .chain(["1024-2048".to_string()])
        .collect();
    let mut lists = flowq::lang::ir::Lists::default();
    for (name, text) in [
        ("seen", entries.join("\n")),
        ("seen-ports", ports.join("\n")),
    ] {
        let (list, problems) = flowq::catalog::lists::parse_txt(&text);
        assert!(
            problems.iter().all(|d| !d.is_error()),
            "{text}: {problems:?}"
        );
        lists.insert(name, list.unwrap());
    }
    [
        "src @seen or dst @seen last 6h | count by srcaddr, dstaddr",
        "not host @seen last 6h | count",
        "srcaddr = @seen and dstaddr != @seen last 6h | count by srcaddr",
        "dport @seen-ports or sport {@seen-ports, 443} last 6h | count by dstport, srcport",
        "dstport != @seen-ports last 6h | count",
    ]
    .into_iter()
    .map(|query| {
        let mut params = Params::default();
        params.set_lists(lists.clone());
        Case {
            label: "named lists".into(),
            query: query.into(),
            params,
        }
    })
    .collect()
}

fn generated_cases(values: &Values, table: &Table, rng: &mut Rng) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut refused = Vec::new();
    while cases.len() < GENERATED_PER_SCHEME {
        let query = generated_query(values, rng);
        // Fields the table's format lacks (v2) are refused: draw again.
        match check(&query, table, &Params::default()) {
            Ok(_) => cases.push(Case {
                label: "generated".into(),
                query,
                params: Params::default(),
            }),
            Err(e) => refused.push(format!("{query}: {e}")),
        }
    }
    assert!(
        refused.len() <= cases.len() * 2,
        "most generated queries do not compile, the generator is broken:\n{}",
        refused.join("\n")
    );
    cases
}

struct Outcome {
    failures: Vec<String>,
    searches_run: Vec<String>,
    cases: usize,
    rows: usize,
    /// Rows of the lookup cases that found their key in a table (the
    /// last added column is not NULL): the joins did join.
    looked_up: usize,
}

fn check_scheme(fixture: &Fixture, prepared: &Prepared, seed: u64) -> Outcome {
    let client = client(&fixture.trino, &fixture.schema);
    let scheme = prepared.table.partitioning.scheme;
    let mut rng = Rng(seed);
    let mut outcome = Outcome {
        failures: Vec::new(),
        searches_run: Vec::new(),
        cases: 0,
        rows: 0,
        looked_up: 0,
    };
    for case in search_cases(&prepared.values, &mut rng) {
        // Searches over fields the v2 format lacks do not apply to v2.
        if check(&case.query, &prepared.table, &case.params).is_err() {
            continue;
        }
        outcome.searches_run.push(case.label.clone());
        if case.label == "lookups" {
            outcome.looked_up += rows_found_in_a_table(prepared, &case);
        }
        record(
            &mut outcome,
            scheme,
            &case,
            compare(&client, prepared, &case),
        );
    }
    for case in timechart_cases() {
        record(
            &mut outcome,
            scheme,
            &case,
            compare(&client, prepared, &case),
        );
    }
    for case in generated_cases(&prepared.values, &prepared.table, &mut rng) {
        record(
            &mut outcome,
            scheme,
            &case,
            compare(&client, prepared, &case),
        );
    }
    outcome
}

/// The rows of a lookup case, on the local engine, whose last column (one
/// a lookup added) is not NULL.
fn rows_found_in_a_table(prepared: &Prepared, case: &Case) -> usize {
    let Ok((checked, _)) = check(&case.query, &prepared.table, &case.params) else {
        return 0;
    };
    let mut local = Rows::default();
    let source = flowq::engine::local::LocalSource {
        lateness: prepared.table.lateness,
        threads: Some(1),
        ..flowq::engine::local::LocalSource::new(&prepared.folder)
    };
    if flowq::engine::local::run(&checked, &source, &mut local, None).is_err() {
        return 0;
    }
    local
        .rows
        .iter()
        .filter(|row| !matches!(row.last(), Some(Cell::Null) | None))
        .count()
}

fn record(outcome: &mut Outcome, scheme: Scheme, case: &Case, result: Result<usize, String>) {
    outcome.cases += 1;
    match result {
        Ok(rows) => outcome.rows += rows,
        Err(e) => outcome
            .failures
            .push(format!("[{scheme}] {}: {}\n{e}", case.label, case.query)),
    }
}

/// Every scheme, every shipped search, a few hundred generated queries:
/// Trino and the local engine give the same rows. One report of every
/// mismatch.
#[test]
fn trino_and_the_local_engine_agree_on_every_scheme() {
    let Some(trino) = trino() else { return };
    agree(trino, &SETUPS, 6000);
}

/// The same over tables of Parquet files: Trino's Parquet reader against
/// the local engine's.
#[test]
fn trino_and_the_local_engine_agree_on_parquet_tables() {
    let Some(trino) = trino() else { return };
    agree(trino, &PARQUET_SETUPS, 6100);
}

fn agree(trino: Trino, setups: &[Setup], seed: u64) {
    let started = std::time::Instant::now();
    let mut fixture = Fixture::new(trino);
    let prepared: Vec<Prepared> = setups.iter().map(|&s| fixture.prepare(s)).collect();
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let fixture = &fixture;
        let handles: Vec<_> = prepared
            .iter()
            .enumerate()
            .map(|(i, p)| scope.spawn(move || check_scheme(fixture, p, seed + i as u64)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let cases: usize = outcomes.iter().map(|o| o.cases).sum();
    let rows: usize = outcomes.iter().map(|o| o.rows).sum();
    let failures: Vec<&String> = outcomes.iter().flat_map(|o| &o.failures).collect();
    eprintln!(
        "differential: {cases} queries on {} tables, {rows} rows compared, {} mismatches, {:.0} s",
        prepared.len(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    // Every shipped search ran somewhere (v2 tables skip v5-only ones).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("searches");
    for (search, _) in flowq::catalog::search::load_all(&dir)
        .0
        .iter()
        .map(|s| (s.name.clone(), ()))
    {
        assert!(
            outcomes.iter().any(|o| o
                .searches_run
                .iter()
                .any(|l| l.starts_with(&format!("search {search} ")))),
            "search {search} ran on no table"
        );
    }
    // The named-list cases ran (none was refused by the check).
    let list_cases = outcomes
        .iter()
        .flat_map(|o| o.searches_run.iter())
        .filter(|l| *l == "named lists")
        .count();
    assert!(list_cases >= 5, "{list_cases} named-list cases ran");
    // The lookup cases ran too, on every table.
    let lookup_cases = outcomes
        .iter()
        .flat_map(|o| o.searches_run.iter())
        .filter(|l| *l == "lookups")
        .count();
    assert!(
        lookup_cases >= 8 * prepared.len(),
        "{lookup_cases} lookup cases ran on {} tables",
        prepared.len()
    );
    for outcome in &outcomes {
        assert!(
            outcome.looked_up > 0,
            "no row of a lookup case found its key in a table"
        );
    }
    // The comparisons saw data: a suite of empty results proves nothing.
    assert!(rows > 10 * cases, "only {rows} rows over {cases} queries");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n\n{}",
        failures.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
