//! The checked query: the IR every backend reads (the SQL renderer, the
//! partition planner, the local engine, the Athena and Trino runners).
//! Names are resolved, values typed, `$params` substituted and the window
//! resolved against a clock, so the backends cannot disagree about what a
//! query means. Semantic rules that more than one backend must apply the
//! same way live here too (which addresses compare as text, how an IPv6
//! network treats IPv4 addresses).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::{IpNet, Ipv4Net};

use crate::lang::ast::{AggFn, CmpOp, Value};
use crate::schema::Field;
use crate::table::PartitionKey;
use crate::time::Time;

#[derive(Clone, Debug, PartialEq)]
pub struct CheckedQuery {
    pub filter: Option<Filter>,
    pub window: ResolvedWindow,
    pub output: Output,
    /// Parameters the query used, for "declared but unused" warnings.
    pub params_used: BTreeSet<String>,
    /// Named lists the query used (`@name`) and their entry counts, so
    /// that an error about the SQL's size can say which list made it big.
    pub lists_used: BTreeMap<String, usize>,
}

/// A boolean filter with SQL's three-valued logic: a test on a NULL (`-`)
/// field is unknown, `not unknown` is unknown, and only true rows match.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Test(Test),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The address is in any of the networks (a single address is a /32
    /// or /128 network).
    Address {
        field: &'static Field,
        nets: Vec<IpNet>,
    },
    /// The integer is in any of the inclusive ranges.
    IntIn {
        column: Column,
        ranges: Vec<(i64, i64)>,
    },
    Compare {
        column: Column,
        op: CmpOp,
        value: i64,
    },
    /// The string equals any of the values.
    TextIn {
        field: &'static Field,
        values: Vec<String>,
    },
    /// Every bit of `mask` is set.
    Flags { field: &'static Field, mask: i64 },
    /// The record's account or region, known from where its file lies (a
    /// partition column), is any of the values. Used when the log format
    /// has no such field but the table is partitioned by it.
    Partition {
        key: PartitionKey,
        values: Vec<String>,
    },
}

/// A value a record has: a field, or the derived `duration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Field(&'static Field),
    /// `end - start`, in seconds.
    Duration,
}

impl Column {
    /// The output column name: the Athena column name, or `duration`.
    pub fn name(self) -> &'static str {
        match self {
            Column::Field(f) => f.column,
            Column::Duration => "duration",
        }
    }

    pub fn is_integer(self) -> bool {
        match self {
            Column::Field(f) => f.ty.is_integer(),
            Column::Duration => true,
        }
    }
}

/// The time window, half-open: `[start, end)`. A record
/// matches when its interval overlaps it: `end >= start_w and start < end_w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedWindow {
    pub start: Option<Time>,
    pub end: Option<Time>,
    /// True when the query gave no window and the source's default applied.
    pub is_default: bool,
}

impl ResolvedWindow {
    /// A window with no start scans every partition up to its end.
    pub fn is_unbounded(&self) -> bool {
        self.start.is_none()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub columns: Vec<OutputColumn>,
    /// Indices of the grouping columns when the query aggregates; `None`
    /// when it returns records.
    pub group_by: Option<Vec<usize>>,
    pub order: Vec<OrderKey>,
    pub limit: Option<u64>,
    /// The limit is the source's `default_limit`, not one the query set.
    pub limit_is_default: bool,
    /// Set for a `timechart` stage. `columns` are then `bucket`, the
    /// series (when there is a `by`) and the aggregates; `group_by` names
    /// the first one or two, and the rows are every bucket (of every
    /// series), zero-filled, in bucket then series order.
    pub timechart: Option<TimeChart>,
    /// `lookup` stages, in order: each adds its table's columns to every
    /// row of the output above (after its order and limit), joined on a
    /// key column of it. Never set with `timechart`.
    pub lookups: Vec<Lookup>,
    /// A `sort` or `limit` after the lookups: the joined rows (the rows
    /// `order` and `limit` picked, with the added columns) sorted again
    /// and cut. Only with lookups.
    pub reorder: Option<Reorder>,
}

/// The order and limit of the joined rows: `order` indexes the columns
/// followed by every lookup's added ones, and ends with tie-breaks on
/// every column of `columns`, so the order is total on every engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Reorder {
    pub order: Vec<OrderKey>,
    pub limit: Option<u64>,
}

/// A `lookup <table> on <key> [= <column>]` stage: a left join of the
/// output rows to a lookup table of the catalog on one text column. A row
/// whose key is NULL or not in the table gets NULL in every added column.
/// The table side is the table's first column (its key, unique: the
/// catalog refuses duplicates) or the named `column`, whose cells may list
/// several values separated by spaces (`private_ips`); each value matches,
/// and a value in two rows matches the first of them, so rows are never
/// repeated. [`Lookup::entries`] is that rule, for both back ends.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    pub table: String,
    /// Index of the key in [`Output::columns`].
    pub key: usize,
    /// Index of the table column the key is matched against (0: the key).
    pub column: usize,
    pub data: std::sync::Arc<LookupTable>,
}

impl Lookup {
    /// The names of the columns the lookup adds: `<table>.<column>` for
    /// every column of the table but the one joined on. The dot keeps them
    /// apart from every flow-log field and `as` alias (neither has one), so
    /// `enis.instance_id` never collides with the `instance_id` field.
    pub fn added_columns(&self) -> Vec<String> {
        self.added(&self.data.columns)
            .map(|c| format!("{}.{c}", self.table))
            .collect()
    }

    /// The cells of `row` (a table row or the header) the lookup adds.
    pub fn added<'r>(&self, row: &'r [String]) -> impl Iterator<Item = &'r String> + 'r {
        let column = self.column;
        row.iter()
            .enumerate()
            .filter(move |(i, _)| *i != column)
            .map(|(_, cell)| cell)
    }

    /// Every value a key may match, with the index of its table row, in
    /// table order: the first column's keys, or each space-separated value
    /// of `column`'s cells, a value seen before being left to its first
    /// row.
    pub fn entries(&self) -> Vec<(&str, usize)> {
        let mut seen = std::collections::HashSet::new();
        let mut entries = Vec::new();
        for (i, row) in self.data.rows.iter().enumerate() {
            let cell = row[self.column].as_str();
            let values: Vec<&str> = if self.column == 0 {
                vec![cell]
            } else {
                cell.split_ascii_whitespace().collect()
            };
            for value in values {
                if !value.is_empty() && seen.insert(value) {
                    entries.push((value, i));
                }
            }
        }
        entries
    }
}

/// A lookup table of the catalog (`lookups/<name>.csv`, docs/catalog.md),
/// checked: a header of at least two distinct column names, the key first;
/// every row as long as the header, with a unique, non-empty key. An empty
/// field is NULL in the output.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Lookup tables by name, for `lookup <name>`.
#[derive(Clone, Debug, Default)]
pub struct Lookups {
    tables: BTreeMap<String, std::sync::Arc<LookupTable>>,
}

impl Lookups {
    pub fn insert(&mut self, name: &str, table: LookupTable) {
        self.tables
            .insert(name.to_string(), std::sync::Arc::new(table));
    }

    pub fn get(&self, name: &str) -> Option<&std::sync::Arc<LookupTable>> {
        self.tables.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }
}

/// A `timechart` stage, resolved against the window. Buckets are keyed on
/// the record's `start` and aligned to multiples of `interval` since the
/// epoch (UTC); a record that started before the first bucket (it overlaps
/// the window) counts in the first bucket. docs/language.md, "timechart".
#[derive(Clone, Debug, PartialEq)]
pub struct TimeChart {
    /// Seconds, at least 1.
    pub interval: i64,
    /// The start of the first bucket, in epoch seconds: the window's start
    /// rounded down to a multiple of `interval`.
    pub first: i64,
    /// How many buckets, at least 1 and at most
    /// `limits::MAX_TIMECHART_BUCKETS`.
    pub buckets: i64,
    /// The `by` column: one series per value (as text), the largest
    /// [`crate::lang::limits::MAX_TIMECHART_SERIES`] by the first
    /// aggregate's total kept and the rest summed into [`OTHER_SERIES`].
    pub series: Option<Column>,
}

/// The series that sums every series past the largest few.
pub const OTHER_SERIES: &str = "other";

impl TimeChart {
    /// The start of the last bucket.
    pub fn last(&self) -> i64 {
        self.first + (self.buckets - 1) * self.interval
    }

    /// The bucket of a record that started at `start`, which is before the
    /// window's end: records that started before the first bucket count
    /// in the first one. In i128 so that no `start` can overflow.
    pub fn bucket_of(&self, start: i64) -> i64 {
        let offset = i128::from(start.max(self.first)) - i128::from(self.first);
        let index = offset / i128::from(self.interval);
        let bucket = i128::from(self.first) + index * i128::from(self.interval);
        i64::try_from(bucket).unwrap_or(i64::MAX)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub value: OutputValue,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutputValue {
    Column(Column),
    Aggregate {
        function: AggFn,
        argument: Option<Column>,
    },
}

impl OutputValue {
    pub fn is_numeric(self) -> bool {
        match self {
            OutputValue::Column(c) => c.is_integer(),
            OutputValue::Aggregate {
                function: AggFn::Min | AggFn::Max,
                argument: Some(c),
            } => c.is_integer(),
            OutputValue::Aggregate { .. } => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderKey {
    /// Index into `Output::columns`.
    pub column: usize,
    pub descending: bool,
}

/// Parameter values given for a run, as values of the language, and the
/// named lists (`@name`) and lookup tables (`lookup name`) the query may
/// use. The catalog loads the lists
/// (catalog/lists.rs); the language never reads a file.
#[derive(Clone, Debug, Default)]
pub struct Params {
    values: BTreeMap<String, Value>,
    lists: Lists,
    lookups: Lookups,
}

impl Params {
    /// Adds `name=text`; the text is read as a value of the language
    /// (`{22, 23}` is a set), or else as a plain string. Refuses a value
    /// that names another parameter (`$other`), saying why.
    pub fn insert(&mut self, name: &str, text: &str) -> Result<(), String> {
        let value = crate::lang::parse::parse_value(text)?;
        self.values.insert(name.to_string(), value);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// The named lists `@name` resolves against.
    pub fn lists(&self) -> &Lists {
        &self.lists
    }

    pub fn set_lists(&mut self, lists: Lists) {
        self.lists = lists;
    }

    /// The lookup tables `lookup <name>` resolves against.
    pub fn lookups(&self) -> &Lookups {
        &self.lookups
    }

    pub fn set_lookups(&mut self, lookups: Lookups) {
        self.lookups = lookups;
    }
}

/// Named lists by name: sets of addresses or of ports kept in the catalog
/// (`lists/<name>.txt`, docs/catalog.md) and used as `@name`.
#[derive(Clone, Debug, Default)]
pub struct Lists {
    lists: BTreeMap<String, std::sync::Arc<NamedList>>,
}

impl Lists {
    pub fn insert(&mut self, name: &str, list: NamedList) {
        self.lists
            .insert(name.to_string(), std::sync::Arc::new(list));
    }

    pub fn get(&self, name: &str) -> Option<&NamedList> {
        self.lists.get(name).map(|l| l.as_ref())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.keys().map(String::as_str)
    }
}

/// The entries of one named list, typed: a list holds addresses and
/// networks, or ports and port ranges, never both.
#[derive(Clone, Debug, PartialEq)]
pub enum NamedList {
    Addresses(Vec<IpNet>),
    Ports(Vec<(i64, i64)>),
}

impl NamedList {
    pub fn len(&self) -> usize {
        match self {
            NamedList::Addresses(nets) => nets.len(),
            NamedList::Ports(ranges) => ranges.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the list holds, for messages: "addresses" or "ports".
    pub fn kind(&self) -> &'static str {
        match self {
            NamedList::Addresses(_) => "addresses",
            NamedList::Ports(_) => "ports",
        }
    }
}

/// Whether an address test compares this network as text (an exact IPv4
/// address) rather than as a parsed address. Flow logs print IPv4
/// addresses in one canonical dotted form, so text equality is exact and
/// cheaper; the SQL and the local engine make the same split, as the two
/// readings differ on values that are not addresses.
pub fn is_exact_v4(net: &IpNet) -> bool {
    matches!(net, IpNet::V4(n) if n.prefix_len() == 32)
}

/// Whether an IPv6 network contains the IPv4-mapped range `::ffff:0:0/96`
/// (`::/0`, `::/64`, ...). In flowq an IPv6 network holds no IPv4 address;
/// a backend that stores IPv4 addresses as IPv4-mapped IPv6 ones (Trino)
/// must exclude them explicitly for such networks.
pub fn holds_mapped_v4(net: &IpNet) -> bool {
    const MAPPED: std::net::Ipv6Addr = std::net::Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0);
    matches!(net, IpNet::V6(n) if n.prefix_len() <= 96 && n.contains(&MAPPED))
}

/// The IPv4 network an IPv4-mapped IPv6 network (inside `::ffff:0:0/96`)
/// stands for: `::ffff:10.0.0.0/104` is `10.0.0.0/8`. None for any other
/// network. Such networks are refused by the checker: Trino reads
/// `contains('::ffff:0:0/96', x)` as an IPv4 network with a prefix of 96
/// and fails ("Prefix length exceeds address length"), and flow logs
/// write IPv4 addresses in IPv4 form, so the IPv4 form is what to write.
pub fn mapped_v4(net: &IpNet) -> Option<Ipv4Net> {
    match net {
        IpNet::V6(n) if n.prefix_len() >= 96 => {
            let v4 = n.addr().to_ipv4_mapped()?;
            Ipv4Net::new(v4, n.prefix_len() - 96).ok()
        }
        _ => None,
    }
}
