//! `flowq explain`: what a query means and what it will scan, in words,
//! before the SQL.

use std::fmt::Write as _;

use crate::sql::partition::{self, PartValue};
use crate::sql::Compiled;
use crate::table::{Scheme, Table};
use crate::time::Time;
use crate::units;

/// How many partitions `explain` lists in full.
const MAX_LISTED: u64 = 48;
/// How many it shows at each end of a longer list.
const SHOWN_AT_EACH_END: u64 = 3;

pub fn explain(compiled: &Compiled, table: &Table) -> String {
    let mut out = String::new();
    let window = &compiled.checked.window;
    let _ = writeln!(out, "query:      {}", compiled.query);
    let _ = writeln!(
        out,
        "window:     {}{}",
        span(window.start, window.end),
        if window.is_default {
            format!(
                " (no window given: the source's default, last {})",
                units::format_duration(table.default_window)
            )
        } else {
            String::new()
        }
    );
    let range = partition::range(window, table.lateness);
    let _ = writeln!(
        out,
        "partitions: {} (window start - {}, end + lateness {})",
        span(range.first, range.last).replace(')', "]"),
        units::format_duration(partition::EARLY_SLACK),
        units::format_duration(table.lateness)
    );
    let scheme = table.partitioning.scheme;
    let columns = table.partitioning.time_columns.join(", ");
    let _ = writeln!(
        out,
        "scheme:     {scheme}{}",
        if columns.is_empty() {
            String::new()
        } else {
            format!(" ({columns})")
        }
    );
    match partition::Partitions::of(scheme, range) {
        _ if scheme == Scheme::None => {
            let _ = writeln!(
                out,
                "touches:    every file: the table has no time partitions"
            );
        }
        Some(partitions) => list_partitions(&mut out, scheme, &partitions),
        None => {
            let _ = writeln!(
                out,
                "touches:    every partition up to the window's end: this is a full scan"
            );
        }
    }
    let _ = writeln!(out, "sql:");
    out.push_str(&compiled.sql);
    out
}

/// Every partition when there are few; else the first and last few and
/// how many lie between (made on demand: a long window has millions).
fn list_partitions(out: &mut String, scheme: Scheme, partitions: &partition::Partitions) {
    let count = partitions.len();
    let _ = writeln!(
        out,
        "touches:    {count} partition{}",
        if count == 1 { "" } else { "s" }
    );
    let shown_at_each_end = if count <= MAX_LISTED {
        count
    } else {
        SHOWN_AT_EACH_END
    };
    for key in partitions.keys(0, shown_at_each_end) {
        let _ = writeln!(out, "  {}", prefix(scheme, &key));
    }
    if count > MAX_LISTED {
        let hidden = count - 2 * SHOWN_AT_EACH_END;
        let _ = writeln!(out, "  ... {hidden} more partitions ...");
        for key in partitions.keys(count - SHOWN_AT_EACH_END, count) {
            let _ = writeln!(out, "  {}", prefix(scheme, &key));
        }
    }
}

/// A window as `[start, end)` in RFC 3339, naming the open ends.
pub fn span(start: Option<Time>, end: Option<Time>) -> String {
    let show = |t: Option<Time>, open: &str| t.map_or(open.to_string(), |t| t.to_string());
    format!(
        "[{}, {})",
        show(start, "the beginning"),
        show(end, "the end")
    )
}

/// The S3 key prefix of a partition, below `AWSLogs/<account>/vpcflowlogs/<region>/`
/// (or its Hive-compatible form), as the flow-log service writes it.
pub fn prefix(scheme: Scheme, key: &[PartValue]) -> String {
    let text: Vec<&str> = key
        .iter()
        .map(|v| match v {
            PartValue::Date(s) | PartValue::Text(s) => s.as_str(),
        })
        .collect();
    match (scheme, text.as_slice()) {
        (Scheme::Date, [date]) => format!("{}/", date.replace('-', "/")),
        (Scheme::Day, [day]) => format!("{day}/"),
        (Scheme::DateHour, [day, hour]) => format!("{day}/{hour}/"),
        (Scheme::Hive, [y, m, d]) => format!("year={y}/month={m}/day={d}/"),
        (Scheme::HiveHourly, [y, m, d, h]) => format!("year={y}/month={m}/day={d}/hour={h}/"),
        _ => String::new(),
    }
}
