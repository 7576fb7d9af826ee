//! `flowq explain`: what a query means and what it will scan, in words,
//! before the SQL.

use std::fmt::Write as _;

use crate::sql::partition::{self, PartValue};
use crate::sql::Compiled;
use crate::table::{Scheme, Table};
use crate::time::Time;
use crate::units;

/// How many partitions `explain` lists before it only counts them.
const MAX_LISTED: usize = 48;

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
    match partition::enumerate(scheme, range, MAX_LISTED) {
        _ if scheme == Scheme::None => {
            let _ = writeln!(
                out,
                "touches:    every file: the table has no time partitions"
            );
        }
        Some(keys) => {
            let _ = writeln!(
                out,
                "touches:    {} partition{}",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" }
            );
            for key in &keys {
                let _ = writeln!(out, "  {}", prefix(scheme, key));
            }
        }
        None if range.first.is_none() => {
            let _ = writeln!(
                out,
                "touches:    every partition up to the window's end: this is a full scan"
            );
        }
        None => {
            let _ = writeln!(out, "touches:    more than {MAX_LISTED} partitions");
        }
    }
    let _ = writeln!(out, "sql:");
    out.push_str(&compiled.sql);
    out
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
