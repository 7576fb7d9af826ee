//! Backend: checked query -> Athena engine v3 SQL (the Trino dialect).
//!
//! Two functions write everything the user influenced: [`ident`] quotes
//! identifiers and [`literal`] renders typed values. Nothing else puts
//! query text into SQL.
//!
//! Rules (reference §4): identifiers are double-quoted; string columns read
//! `-` as NULL through `NULLIF(col, '-')`, so `not action accept` is not
//! true for a NODATA row (text tables created from the AWS docs do not set
//! `serialization.null.format`); addresses are compared as IPADDRESS via
//! TRY_CAST, which turns `-` into NULL instead of failing; the time window
//! is `"end" >= t0 AND "start" < t1` on epoch seconds, always with the
//! partition predicates of src/partition.rs.

use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::lang::ast::{AggFn, CmpOp};
use crate::lang::ir::{
    holds_mapped_v4, is_exact_v4, CheckedQuery, Column, Filter, Lookup, OutputValue, Test,
    TimeChart, OTHER_SERIES,
};
use crate::lang::limits::MAX_TIMECHART_SERIES;
use crate::schema::{Field, FieldType};
use crate::sql::partition::{self, PartValue, PartitionPredicate};
use crate::table::Table;

/// Athena refuses longer query strings (reference §4.3).
pub const MAX_QUERY_BYTES: usize = 262_144;

/// A typed SQL literal.
#[derive(Clone, Copy, Debug)]
pub enum Literal<'a> {
    Text(&'a str),
    Int(i64),
    /// `DATE 'yyyy-mm-dd'`; the text must be a date.
    Date(&'a str),
    Address(IpAddr),
}

/// Renders a literal. Strings are single-quoted with quotes doubled, so no
/// value can end the literal early.
pub fn literal(value: Literal) -> String {
    match value {
        Literal::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Literal::Int(n) => n.to_string(),
        Literal::Date(d) => format!("DATE {}", literal(Literal::Text(d))),
        Literal::Address(ip) => format!("IPADDRESS {}", literal(Literal::Text(&ip.to_string()))),
    }
}

/// Quotes an identifier, doubling any double quote inside it.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(Debug, PartialEq, Eq)]
pub struct TooLong {
    pub bytes: usize,
    /// The named lists the query used and their entry counts: a list is
    /// what usually makes the SQL long.
    pub lists: Vec<(String, usize)>,
    /// The lookup tables the query joined: name, rows, and the bytes of
    /// SQL their `VALUES` took.
    pub lookups: Vec<(String, usize, usize)>,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the SQL is {} bytes, over Athena's limit of {MAX_QUERY_BYTES}",
            self.bytes
        )?;
        if !self.lookups.is_empty() {
            let tables: Vec<String> = self
                .lookups
                .iter()
                .map(|(name, rows, bytes)| {
                    let s = if *rows == 1 { "" } else { "s" };
                    format!("'{name}' ({rows} row{s}, {bytes} bytes of it)")
                })
                .collect();
            write!(
                f,
                "; it looks up the table{} {}",
                if tables.len() == 1 { "" } else { "s" },
                tables.join(", ")
            )?;
            if self.lists.is_empty() {
                return f.write_str(": keep only the rows you need in the table (or drop unneeded columns), or run it on a local source, which joins tables of any size");
            }
        }
        if self.lists.is_empty() {
            return f.write_str("; use fewer or smaller sets");
        }
        let lists: Vec<String> = self
            .lists
            .iter()
            .map(|(name, entries)| {
                let s = if *entries == 1 { "y" } else { "ies" };
                format!("'@{name}' ({entries} entr{s})")
            })
            .collect();
        write!(
            f,
            "; it uses the list{} {}: use a smaller list, split it over several searches, or run it on a local source, which takes lists of any size",
            if lists.len() == 1 { "" } else { "s" },
            lists.join(", ")
        )
    }
}

/// The SQL of a checked query against a table.
pub fn render(query: &CheckedQuery, table: &Table) -> Result<String, TooLong> {
    if let Some(chart) = &query.output.timechart {
        return within_limit(timechart(query, chart, table), query);
    }
    let mut sql = String::new();
    select(&mut sql, query);
    let _ = write!(
        sql,
        "\nFROM {}.{}",
        ident(&table.database),
        ident(&table.name)
    );
    let conditions = conditions(query, table);
    for (i, condition) in conditions.iter().enumerate() {
        let keyword = if i == 0 { "\nWHERE " } else { "\n  AND " };
        sql.push_str(keyword);
        sql.push_str(condition);
    }
    group_order_limit(&mut sql, query);
    let mut lookup_bytes = Vec::new();
    if !query.output.lookups.is_empty() {
        sql = with_lookups(&sql, query, &mut lookup_bytes);
    }
    sql.push('\n');
    if sql.len() > MAX_QUERY_BYTES {
        let mut too_long = too_long(&sql, query);
        too_long.lookups = lookup_bytes;
        return Err(too_long);
    }
    Ok(sql)
}

fn within_limit(sql: String, query: &CheckedQuery) -> Result<String, TooLong> {
    if sql.len() > MAX_QUERY_BYTES {
        return Err(too_long(&sql, query));
    }
    Ok(sql)
}

fn too_long(sql: &str, query: &CheckedQuery) -> TooLong {
    TooLong {
        bytes: sql.len(),
        lists: query
            .lists_used
            .iter()
            .map(|(name, n)| (name.clone(), *n))
            .collect(),
        lookups: Vec::new(),
    }
}

/// The query `base` with its lookups: `base` as the CTE `rows`, each
/// lookup table as a `VALUES` CTE, and the rows left-joined to them on
/// their keys, so a row whose key is not in a table keeps NULLs. A join
/// may reorder rows (Trino keeps no order through one), so the order of
/// `base` is applied again outside, by position; its limit stays inside,
/// where it picks the rows. A `sort` or `limit` after the lookups is the
/// outer ORDER BY (ending with the order of `base`) and LIMIT. `sizes` gets each table's name, rows and
/// bytes of SQL. docs/language.md, "lookup".
fn with_lookups(
    base: &str,
    query: &CheckedQuery,
    sizes: &mut Vec<(String, usize, usize)>,
) -> String {
    let output = &query.output;
    let rows = ident("rows");
    let r = ident("r");
    let mut sql = format!("WITH {rows} AS (\n{base}\n)");
    for (i, lookup) in output.lookups.iter().enumerate() {
        let before = sql.len();
        let entries = lookup.entries();
        lookup_values(&mut sql, i, lookup, &entries);
        sizes.push((lookup.table.clone(), entries.len(), sql.len() - before));
    }
    sql.push_str("\nSELECT");
    let mut select = Vec::new();
    for column in &output.columns {
        select.push(format!("{r}.{}", ident(&column.name)));
    }
    for (i, lookup) in output.lookups.iter().enumerate() {
        let alias = ident(&format!("l{i}"));
        for (c, name) in lookup.added_columns().iter().enumerate() {
            let value = ident(&format!("c{}", c + 1));
            // An empty field of the table is NULL, as in the local engine.
            select.push(format!(
                "NULLIF({alias}.{value}, {}) AS {}",
                literal(Literal::Text("")),
                ident(name)
            ));
        }
    }
    let _ = write!(sql, "\n  {}", select.join(",\n  "));
    let _ = write!(sql, "\nFROM {rows} AS {r}");
    for (i, lookup) in output.lookups.iter().enumerate() {
        let alias = ident(&format!("l{i}"));
        let _ = write!(
            sql,
            "\nLEFT JOIN {} AS {alias} ON {r}.{} = {alias}.{}",
            ident(&format!("lookup{i}")),
            ident(&output.columns[lookup.key].name),
            ident("k"),
        );
    }
    // By position: the joined columns are the output's, then the added.
    let (order, limit) = match &output.reorder {
        Some(reorder) => (&reorder.order, reorder.limit),
        None => (&output.order, None),
    };
    if !order.is_empty() {
        let keys: Vec<String> = order
            .iter()
            .map(|k| {
                let direction = if k.descending { "DESC" } else { "ASC" };
                format!("{} {direction} NULLS LAST", k.column + 1)
            })
            .collect();
        let _ = write!(sql, "\nORDER BY {}", keys.join(", "));
    }
    if let Some(limit) = limit {
        let _ = write!(sql, "\nLIMIT {limit}");
    }
    sql
}

/// `,\n"lookup<i>" AS (SELECT * FROM (VALUES ...) AS "t"("k", "c1", ...))`:
/// a row per value a key may match ([`Lookup::entries`]) and the columns
/// the lookup adds, as text literals, under column names of flowq's own
/// (the table's header names only the output columns).
fn lookup_values(sql: &mut String, i: usize, lookup: &Lookup, entries: &[(&str, usize)]) {
    let added = lookup.data.columns.len() - 1;
    let names: Vec<String> = std::iter::once(ident("k"))
        .chain((1..=added).map(|c| ident(&format!("c{c}"))))
        .collect();
    let _ = write!(
        sql,
        ",\n{} AS (\nSELECT * FROM (\nVALUES",
        ident(&format!("lookup{i}"))
    );
    for (n, &(key, row)) in entries.iter().enumerate() {
        let values: Vec<String> = std::iter::once(key)
            .chain(lookup.added(&lookup.data.rows[row]).map(String::as_str))
            .map(|v| literal(Literal::Text(v)))
            .collect();
        let separator = if n == 0 { "" } else { "," };
        let _ = write!(sql, "{separator}\n  ({})", values.join(", "));
    }
    let _ = write!(sql, "\n) AS {}({})\n)", ident("t"), names.join(", "));
}

/// A timechart: the records grouped by bucket (and series), the series
/// past the largest few folded into `other`, then every bucket of the
/// window (for every series) from `sequence`, left-joined to the groups
/// so that an empty bucket reads 0. Aggregates are counts and sums, so
/// the fold and the zeros are sums too. docs/language.md, "timechart".
fn timechart(query: &CheckedQuery, chart: &TimeChart, table: &Table) -> String {
    let columns = &query.output.columns;
    let aggregates = &columns[if chart.series.is_some() { 2 } else { 1 }..];
    let int = |n: i64| literal(Literal::Int(n));
    let first = int(chart.first);
    let step = int(chart.interval);
    let inner: Vec<String> = (0..aggregates.len())
        .map(|i| ident(&format!("a{i}")))
        .collect();
    let mut sql = String::from("WITH ");
    let bucket = ident("bucket");
    let series = ident("series");
    let _ = write!(
        sql,
        "{} AS (\nSELECT\n  {first} + (greatest({}, {first}) - {first}) / {step} * {step} AS {bucket}",
        ident("grouped"),
        ident("start"),
    );
    if let Some(by) = chart.series {
        let _ = write!(sql, ",\n  CAST({} AS VARCHAR) AS {series}", column(by));
    }
    for (a, name) in aggregates.iter().zip(&inner) {
        let _ = write!(sql, ",\n  {} AS {name}", output_value(a.value));
    }
    let _ = write!(
        sql,
        "\nFROM {}.{}",
        ident(&table.database),
        ident(&table.name)
    );
    for (i, condition) in conditions(query, table).iter().enumerate() {
        let keyword = if i == 0 { "\nWHERE " } else { "\n  AND " };
        sql.push_str(keyword);
        sql.push_str(condition);
    }
    let keys = if chart.series.is_some() { "1, 2" } else { "1" };
    let _ = write!(sql, "\nGROUP BY {keys}\n),\n");
    let groups = if chart.series.is_some() {
        fold_series(&mut sql, &inner);
        ident("folded")
    } else {
        ident("grouped")
    };
    let _ = write!(
        sql,
        "{} AS (\nSELECT {bucket} FROM UNNEST(sequence({first}, {}, {step})) AS {}({bucket})\n)",
        ident("buckets"),
        int(chart.last()),
        ident("t"),
    );
    let _ = write!(sql, "\nSELECT\n  {}.{bucket}", ident("b"));
    if chart.series.is_some() {
        let _ = write!(
            sql,
            ",\n  {}.{series} AS {}",
            ident("s"),
            ident(&columns[1].name)
        );
    }
    for (a, name) in aggregates.iter().zip(&inner) {
        let _ = write!(
            sql,
            ",\n  COALESCE({}.{name}, 0) AS {}",
            ident("g"),
            ident(&a.name)
        );
    }
    let _ = write!(sql, "\nFROM {} AS {}", ident("buckets"), ident("b"));
    if chart.series.is_some() {
        let _ = write!(
            sql,
            "\nCROSS JOIN {} AS {}\nLEFT JOIN {groups} AS {} ON {}.{bucket} = {}.{bucket} AND {}.{series} IS NOT DISTINCT FROM {}.{series}",
            ident("chart_series"),
            ident("s"),
            ident("g"),
            ident("g"),
            ident("b"),
            ident("g"),
            ident("s"),
        );
        let _ = write!(sql, "\nORDER BY 1 ASC, 2 ASC NULLS LAST\n");
    } else {
        let _ = write!(
            sql,
            "\nLEFT JOIN {groups} AS {} ON {}.{bucket} = {}.{bucket}",
            ident("g"),
            ident("g"),
            ident("b"),
        );
        let _ = write!(sql, "\nORDER BY 1 ASC\n");
    }
    sql
}

/// The CTEs that rank the series by the first aggregate's total (ties by
/// the series' text, NULL last), keep the largest
/// `limits::MAX_TIMECHART_SERIES` and sum the rest into `other`; and the
/// list of series the chart shows.
fn fold_series(sql: &mut String, inner: &[String]) {
    let bucket = ident("bucket");
    let series = ident("series");
    let rank = ident("rank");
    let (g, r) = (ident("g"), ident("r"));
    let _ = write!(
        sql,
        "{} AS (\nSELECT {series}, row_number() OVER (ORDER BY COALESCE(sum({}), 0) DESC, {series} ASC NULLS LAST) AS {rank}\nFROM {}\nGROUP BY {series}\n),\n",
        ident("ranked"),
        inner[0],
        ident("grouped"),
    );
    let sums: Vec<String> = inner
        .iter()
        .map(|name| format!(",\n  sum({g}.{name}) AS {name}"))
        .collect();
    let _ = write!(
        sql,
        "{} AS (\nSELECT\n  {g}.{bucket},\n  CASE WHEN {r}.{rank} <= {} THEN {g}.{series} ELSE {} END AS {series}{}\nFROM {} AS {g}\nJOIN {} AS {r} ON {g}.{series} IS NOT DISTINCT FROM {r}.{series}\nGROUP BY 1, 2\n),\n",
        ident("folded"),
        literal(Literal::Int(MAX_TIMECHART_SERIES as i64)),
        literal(Literal::Text(OTHER_SERIES)),
        sums.concat(),
        ident("grouped"),
        ident("ranked"),
    );
    let _ = write!(
        sql,
        "{} AS (\nSELECT DISTINCT {series} FROM {}\n),\n",
        ident("chart_series"),
        ident("folded"),
    );
}

fn select(sql: &mut String, query: &CheckedQuery) {
    sql.push_str("SELECT");
    let columns = &query.output.columns;
    for (i, column) in columns.iter().enumerate() {
        let separator = if i + 1 < columns.len() { "," } else { "" };
        let value = output_value(column.value);
        let name = ident(&column.name);
        if value == name {
            let _ = write!(sql, "\n  {value}{separator}");
        } else {
            let _ = write!(sql, "\n  {value} AS {name}{separator}");
        }
    }
}

fn group_order_limit(sql: &mut String, query: &CheckedQuery) {
    let output = &query.output;
    if let Some(keys) = &output.group_by {
        if !keys.is_empty() {
            let keys: Vec<String> = keys
                .iter()
                .map(|&i| output_value(output.columns[i].value))
                .collect();
            let _ = write!(sql, "\nGROUP BY {}", keys.join(", "));
        }
    }
    if !output.order.is_empty() {
        let keys: Vec<String> = output
            .order
            .iter()
            .map(|k| {
                let direction = if k.descending { "DESC" } else { "ASC" };
                format!(
                    "{} {direction} NULLS LAST",
                    ident(&output.columns[k.column].name)
                )
            })
            .collect();
        let _ = write!(sql, "\nORDER BY {}", keys.join(", "));
    }
    if let Some(limit) = output.limit {
        let _ = write!(sql, "\nLIMIT {limit}");
    }
}

fn output_value(value: OutputValue) -> String {
    match value {
        OutputValue::Column(c) => column(c),
        OutputValue::Aggregate { function, argument } => {
            let arg = argument.map(column);
            match (function, arg) {
                (AggFn::Count, None) => "count(*)".to_string(),
                (AggFn::CountDistinct, Some(a)) => format!("count(DISTINCT {a})"),
                (f, Some(a)) => format!("{}({a})", f.name()),
                (f, None) => unreachable!("{f:?} without an argument passed the check"),
            }
        }
    }
}

/// A column as an expression whose value is NULL where the file has `-`.
fn column(c: Column) -> String {
    match c {
        Column::Field(f) => field(f),
        Column::Duration => format!("({} - {})", ident("end"), ident("start")),
    }
}

fn field(f: &Field) -> String {
    match f.ty {
        FieldType::Text | FieldType::Address => format!("NULLIF({}, '-')", ident(f.column)),
        FieldType::Int | FieldType::BigInt => ident(f.column),
    }
}

/// WHERE conditions: partition predicates, the window, then the filter's
/// top-level conjuncts, one per line.
fn conditions(query: &CheckedQuery, table: &Table) -> Vec<String> {
    let mut out: Vec<String> = partition::predicates(query, table)
        .iter()
        .map(partition_predicate)
        .collect();
    if let Some(t0) = query.window.start {
        out.push(format!(
            "{} >= {}",
            ident("end"),
            literal(Literal::Int(t0.unix()))
        ));
    }
    if let Some(t1) = query.window.end {
        out.push(format!(
            "{} < {}",
            ident("start"),
            literal(Literal::Int(t1.unix()))
        ));
    }
    match &query.filter {
        Some(Filter::And(parts)) => out.extend(parts.iter().map(|f| atom(f, table))),
        Some(other) => out.push(atom(other, table)),
        None => {}
    }
    out
}

fn partition_predicate(p: &PartitionPredicate) -> String {
    match p {
        PartitionPredicate::Bounds { column, low, high } => {
            let c = ident(column);
            match (low, high) {
                (Some(lo), Some(hi)) if lo == hi => format!("{c} = {}", part_value(lo)),
                (Some(lo), Some(hi)) => {
                    format!("{c} BETWEEN {} AND {}", part_value(lo), part_value(hi))
                }
                (Some(lo), None) => format!("{c} >= {}", part_value(lo)),
                (None, Some(hi)) => format!("{c} <= {}", part_value(hi)),
                (None, None) => "TRUE".to_string(),
            }
        }
        PartitionPredicate::Tuple {
            columns,
            values,
            at_least,
        } => format!("({})", tuple(columns, values, *at_least)),
        PartitionPredicate::In { column, values } => in_list(&ident(column), values),
    }
}

/// `(a, b) >= (x, y)` spelled with per-column comparisons, which every
/// engine can evaluate on partition values: `a > x OR (a = x AND b >= y)`.
fn tuple(columns: &[String], values: &[PartValue], at_least: bool) -> String {
    let c = ident(&columns[0]);
    let v = part_value(&values[0]);
    if columns.len() == 1 {
        let op = if at_least { ">=" } else { "<=" };
        return format!("{c} {op} {v}");
    }
    let strict = if at_least { ">" } else { "<" };
    let rest = tuple(&columns[1..], &values[1..], at_least);
    let rest = if columns.len() > 2 {
        format!("({rest})")
    } else {
        rest
    };
    format!("{c} {strict} {v} OR ({c} = {v} AND {rest})")
}

fn part_value(v: &PartValue) -> String {
    match v {
        PartValue::Date(d) => literal(Literal::Date(d)),
        PartValue::Text(t) => literal(Literal::Text(t)),
    }
}

fn in_list(expr: &str, values: &[String]) -> String {
    match values {
        [one] => format!("{expr} = {}", literal(Literal::Text(one))),
        many => {
            let list: Vec<String> = many.iter().map(|v| literal(Literal::Text(v))).collect();
            format!("{expr} IN ({})", list.join(", "))
        }
    }
}

/// A filter as a SQL boolean expression, parenthesised wherever it is
/// not a single comparison.
fn filter(f: &Filter, table: &Table) -> String {
    match f {
        Filter::And(parts) => join(parts, " AND ", table),
        Filter::Or(parts) => join(parts, " OR ", table),
        Filter::Not(inner) => format!("NOT ({})", filter(inner, table)),
        Filter::Test(t) => test(t, table),
    }
}

fn join(parts: &[Filter], separator: &str, table: &Table) -> String {
    parts
        .iter()
        .map(|p| atom(p, table))
        .collect::<Vec<_>>()
        .join(separator)
}

/// A filter that can stand next to AND/OR/NOT without changing meaning.
fn atom(f: &Filter, table: &Table) -> String {
    let text = filter(f, table);
    let simple = match f {
        Filter::Test(t) => !test_has_top_level_or(t),
        Filter::Not(_) => true,
        _ => false,
    };
    if simple {
        text
    } else {
        format!("({text})")
    }
}

fn test_has_top_level_or(t: &Test) -> bool {
    match t {
        Test::Address { nets, .. } => address_groups(nets) > 1,
        Test::IntIn { ranges, .. } => {
            let singles = ranges.iter().filter(|(lo, hi)| lo == hi).count();
            let spans = ranges.len() - singles;
            spans + usize::from(singles > 0) > 1
        }
        _ => false,
    }
}

fn test(t: &Test, table: &Table) -> String {
    match t {
        Test::Address { field, nets } => address_test(field, nets),
        Test::IntIn { column: c, ranges } => int_in(&column(*c), ranges),
        Test::Compare {
            column: c,
            op,
            value,
        } => {
            format!(
                "{} {} {}",
                column(*c),
                cmp(*op),
                literal(Literal::Int(*value))
            )
        }
        Test::TextIn { field: f, values } => in_list(&field(f), values),
        Test::Flags { field: f, mask } => format!(
            "bitwise_and({}, {}) = {}",
            field(f),
            literal(Literal::Int(*mask)),
            literal(Literal::Int(*mask))
        ),
        Test::Partition { key, values } => {
            let column = table
                .partitioning
                .column(*key)
                .expect("partition tests are only made for tables with the column");
            in_list(&ident(column), values)
        }
    }
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Ne => "<>",
        other => other.symbol(),
    }
}

fn int_in(expr: &str, ranges: &[(i64, i64)]) -> String {
    let singles: Vec<String> = ranges
        .iter()
        .filter(|(lo, hi)| lo == hi)
        .map(|(lo, _)| literal(Literal::Int(*lo)))
        .collect();
    let mut parts = Vec::new();
    match singles.as_slice() {
        [] => {}
        [one] => parts.push(format!("{expr} = {one}")),
        many => parts.push(format!("{expr} IN ({})", many.join(", "))),
    }
    for (lo, hi) in ranges.iter().filter(|(lo, hi)| lo != hi) {
        parts.push(format!(
            "{expr} BETWEEN {} AND {}",
            literal(Literal::Int(*lo)),
            literal(Literal::Int(*hi))
        ));
    }
    parts.join(" OR ")
}

/// How many OR-ed parts an address test renders as: exact IPv4 addresses
/// share one IN list; each IPv6 address and each network is its own test.
fn address_groups(nets: &[IpNet]) -> usize {
    let exact_v4 = nets.iter().filter(|n| is_exact_v4(n)).count();
    nets.len() - exact_v4 + usize::from(exact_v4 > 0)
}

/// Exact IPv4 addresses compare as strings (flow logs print them in one
/// canonical dotted form, and a string compare is cheaper); IPv6 textual
/// forms vary, so they compare as IPADDRESS; networks use `contains`.
fn address_test(f: &Field, nets: &[IpNet]) -> String {
    let as_ip = format!("TRY_CAST({} AS IPADDRESS)", ident(f.column));
    let exact_v4: Vec<String> = nets
        .iter()
        .filter(|n| is_exact_v4(n))
        .map(|n| n.addr().to_string())
        .collect();
    let mut parts = Vec::new();
    if !exact_v4.is_empty() {
        parts.push(in_list(&field(f), &exact_v4));
    }
    for net in nets.iter().filter(|n| !is_exact_v4(n)) {
        if net.prefix_len() == net.max_prefix_len() {
            parts.push(format!(
                "{as_ip} = {}",
                literal(Literal::Address(net.addr()))
            ));
        } else {
            let contains = format!(
                "contains({}, {as_ip})",
                literal(Literal::Text(&net.to_string()))
            );
            parts.push(if holds_mapped_v4(net) {
                // Trino stores IPv4 addresses as IPv4-mapped IPv6 ones, so
                // its contains('::/0', x) is true for every IPv4 x; in
                // flowq an IPv6 network holds no IPv4 address (the local
                // engine's rule), and contains('0.0.0.0/0', x) is false
                // for every IPv6 x.
                format!("({contains} AND NOT contains('0.0.0.0/0', {as_ip}))")
            } else {
                contains
            });
        }
    }
    parts.join(" OR ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_end_early() {
        assert_eq!(literal(Literal::Text("x' OR '1'='1")), "'x'' OR ''1''=''1'");
        assert_eq!(literal(Literal::Date("2026-11-27")), "DATE '2026-11-27'");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
