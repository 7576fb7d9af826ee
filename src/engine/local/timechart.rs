//! `timechart` on the local engine, with the same rows as the SQL of
//! `sql/render.rs`: the scan groups the matching records by their exact
//! `start` (and series) with the engine's ordinary grouping, then this
//! module sums those groups into buckets, folds the series past the
//! largest `limits::MAX_TIMECHART_SERIES` into `other`, and writes every
//! bucket of every series, 0 where nothing matched. Counts and sums add
//! up, so summing the finer groups gives what grouping by bucket would.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::output::{Cell, Rows};
use crate::lang::ir::{CheckedQuery, Output, OutputColumn, OutputValue, TimeChart, OTHER_SERIES};
use crate::lang::limits::MAX_TIMECHART_SERIES;

/// A series: the `by` value as text, or None for NULL (`-`).
type Series = Option<String>;

/// The query the scan runs for a timechart: one group per `start` (and
/// series), with the timechart's aggregates.
pub(super) fn grouping_query(query: &CheckedQuery, chart: &TimeChart) -> CheckedQuery {
    let columns = &query.output.columns;
    let keys = key_count(chart);
    let mut grouped = vec![OutputColumn {
        name: "start".into(),
        value: columns[0].value,
    }];
    if let Some(series) = chart.series {
        grouped.push(OutputColumn {
            name: "series".into(),
            value: OutputValue::Column(series),
        });
    }
    grouped.extend(columns[keys..].iter().cloned());
    CheckedQuery {
        output: Output {
            columns: grouped,
            group_by: Some((0..keys).collect()),
            order: Vec::new(),
            limit: None,
            limit_is_default: false,
            timechart: None,
            lookups: Vec::new(),
            reorder: None,
        },
        ..query.clone()
    }
}

/// The bucket column, and the series column when there is one.
fn key_count(chart: &TimeChart) -> usize {
    1 + usize::from(chart.series.is_some())
}

/// A sum past the 64-bit range, naming the output column; the SQL fails
/// on it too.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Overflow(pub String);

/// The timechart's rows from the scan's groups: every bucket in order,
/// and within a bucket every series in text order (NULL last).
pub(super) fn rows(
    query: &CheckedQuery,
    chart: &TimeChart,
    groups: Rows,
) -> Result<Vec<Vec<Cell>>, Overflow> {
    let keys = key_count(chart);
    let names: Vec<&str> = query.output.columns[keys..]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut sums: BTreeMap<(i64, Series), Vec<i128>> = BTreeMap::new();
    for row in groups.rows {
        let start = match row[0] {
            Cell::Int(start) => start,
            // The window test needs a start, so every group has one.
            _ => chart.first,
        };
        let series = match chart.series {
            Some(_) => series_text(&row[1]),
            None => None,
        };
        add(
            sums.entry((chart.bucket_of(start), series))
                .or_insert_with(|| vec![0; names.len()]),
            row[keys..].iter().map(int_of),
        );
    }
    if chart.series.is_some() {
        sums = fold_series(sums);
    }
    let series: BTreeSet<(bool, Series)> = match chart.series {
        Some(_) => sums.keys().map(|(_, s)| (s.is_none(), s.clone())).collect(),
        None => BTreeSet::from([(false, None)]),
    };
    let mut out = Vec::new();
    for index in 0..chart.buckets {
        let bucket = chart.first + index * chart.interval;
        for (_, name) in &series {
            let mut row = vec![Cell::Int(bucket)];
            if chart.series.is_some() {
                row.push(name.clone().map_or(Cell::Null, Cell::Text));
            }
            match sums.get(&(bucket, name.clone())) {
                Some(values) => {
                    for (value, column) in values.iter().zip(&names) {
                        let value =
                            i64::try_from(*value).map_err(|_| Overflow(column.to_string()))?;
                        row.push(Cell::Int(value));
                    }
                }
                None => row.extend(names.iter().map(|_| Cell::Int(0))),
            }
            out.push(row);
        }
    }
    Ok(out)
}

/// The series as the SQL's `CAST(x AS VARCHAR)` writes it.
fn series_text(cell: &Cell) -> Series {
    match cell {
        Cell::Null => None,
        Cell::Int(n) => Some(n.to_string()),
        Cell::Text(t) => Some(t.clone()),
        Cell::Float(f) => Some(f.to_string()),
    }
}

/// A count or a sum; an empty sum is 0, as the SQL's COALESCE makes it.
fn int_of(cell: &Cell) -> i128 {
    match cell {
        Cell::Int(n) => i128::from(*n),
        _ => 0,
    }
}

fn add(into: &mut [i128], values: impl Iterator<Item = i128>) {
    for (total, value) in into.iter_mut().zip(values) {
        *total += value;
    }
}

/// Keeps the largest series by the first aggregate's total over the
/// window (ties by text, NULL last) and sums the others into `other`.
fn fold_series(sums: BTreeMap<(i64, Series), Vec<i128>>) -> BTreeMap<(i64, Series), Vec<i128>> {
    let mut totals: BTreeMap<Series, i128> = BTreeMap::new();
    for ((_, series), values) in &sums {
        *totals.entry(series.clone()).or_default() += values[0];
    }
    let mut ranked: Vec<(Series, i128)> = totals.into_iter().collect();
    ranked.sort_by(|(a, ta), (b, tb)| {
        tb.cmp(ta)
            .then_with(|| a.is_none().cmp(&b.is_none()))
            .then_with(|| a.cmp(b))
    });
    let kept: BTreeSet<Series> = ranked
        .into_iter()
        .take(MAX_TIMECHART_SERIES)
        .map(|(s, _)| s)
        .collect();
    let mut folded: BTreeMap<(i64, Series), Vec<i128>> = BTreeMap::new();
    for ((bucket, series), values) in sums {
        let series = if kept.contains(&series) {
            series
        } else {
            Some(OTHER_SERIES.to_string())
        };
        match folded.get_mut(&(bucket, series.clone())) {
            Some(total) => add(total, values.into_iter()),
            None => {
                folded.insert((bucket, series), values);
            }
        }
    }
    folded
}
