//! Result rows: building them from records, `ORDER BY ... NULLS LAST`,
//! and keeping only the best `LIMIT` rows while scanning.
//!
//! Order is total: check.rs appends every grouping column (or, for
//! records, every output column) as an ascending tie-break, so the rows an
//! ordered query returns do not depend on which core read which file.
//! Strings order by bytes, which for UTF-8 is Trino's code-point order.

use std::cmp::Ordering;

use crate::engine::output::Cell;
use crate::lang::ir::OrderKey;

use super::record::{ColumnRef, Record, Value};

pub(crate) type Row = Vec<Cell>;

pub(crate) fn cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Int(n) => Cell::Int(n),
        Value::Text(bytes) => Cell::Text(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// The output row of a record (a query without aggregates).
pub(crate) fn record_row(record: &Record, columns: &[ColumnRef]) -> Row {
    columns.iter().map(|c| cell(record.value(*c))).collect()
}

/// `ORDER BY` on the keys, each `NULLS LAST` whatever its direction.
pub(crate) fn compare(a: &[Cell], b: &[Cell], order: &[OrderKey]) -> Ordering {
    order
        .iter()
        .map(|key| compare_cells(&a[key.column], &b[key.column], key.descending))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

pub(crate) fn compare_cells(a: &Cell, b: &Cell, descending: bool) -> Ordering {
    let ascending = match (a, b) {
        (Cell::Null, Cell::Null) => return Ordering::Equal,
        (Cell::Null, _) => return Ordering::Greater,
        (_, Cell::Null) => return Ordering::Less,
        (Cell::Int(x), Cell::Int(y)) => x.cmp(y),
        (Cell::Float(x), Cell::Float(y)) => x.total_cmp(y),
        (Cell::Text(x), Cell::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        // One column holds one type; a mix cannot happen.
        (x, y) => rank(x).cmp(&rank(y)),
    };
    if descending {
        ascending.reverse()
    } else {
        ascending
    }
}

fn rank(cell: &Cell) -> u8 {
    match cell {
        Cell::Int(_) => 0,
        Cell::Float(_) => 1,
        Cell::Text(_) => 2,
        Cell::Null => 3,
    }
}

/// The first `limit` of `n` items (ids of groups, say) in an order given by
/// `prefix`, a number that decides wherever two items' numbers differ, and
/// `compare`, which breaks the ties (and must be total). A bounded
/// selection: items gather until twice the limit, then only the best
/// `limit` stay, and an item that sorts after the worst kept is not
/// gathered; so `top 10` over a million groups holds a few thousand
/// numbers and sorts ten, and without a limit it is one sort of `n`
/// numbers, most comparisons settled by the prefix alone.
pub(crate) fn first_in_order(
    n: usize,
    items: impl Iterator<Item = u64>,
    limit: usize,
    prefix: impl Fn(u64) -> u128,
    compare: impl Fn(u64, u64) -> Ordering,
) -> Vec<u64> {
    if limit == 0 {
        return Vec::new();
    }
    let order = |a: &(u128, u64), b: &(u128, u64)| a.0.cmp(&b.0).then_with(|| compare(a.1, b.1));
    let cap = limit.saturating_mul(2).max(1024);
    let mut kept: Vec<(u128, u64)> = Vec::with_capacity(n.min(cap));
    let mut worst: Option<(u128, u64)> = None;
    for id in items {
        let item = (prefix(id), id);
        if worst.is_some_and(|w| order(&item, &w).is_ge()) {
            continue;
        }
        kept.push(item);
        if kept.len() >= cap {
            kept.select_nth_unstable_by(limit - 1, order);
            kept.truncate(limit);
            worst = Some(kept[limit - 1]);
        }
    }
    kept.sort_unstable_by(order);
    kept.truncate(limit);
    kept.into_iter().map(|(_, id)| id).collect()
}

/// The first `limit` rows in an order, kept in memory proportional to the
/// limit: rows gather until twice the limit, then the worse half goes.
#[derive(Debug)]
pub(crate) struct TopRows {
    order: Vec<OrderKey>,
    limit: usize,
    rows: Vec<Row>,
    /// The worst row kept at the last cut: a row that sorts after it can
    /// never be in the result.
    threshold: Option<Row>,
}

impl TopRows {
    pub fn new(order: &[OrderKey], limit: Option<u64>) -> TopRows {
        TopRows {
            order: order.to_vec(),
            limit: limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)),
            rows: Vec::new(),
            threshold: None,
        }
    }

    /// Whether a row whose first sort key is `first` could still make the
    /// result; lets the caller skip building rows that cannot.
    pub fn wants(&self, first: &Cell) -> bool {
        match (&self.threshold, self.order.first()) {
            (Some(worst), Some(key)) => {
                compare_cells(first, &worst[key.column], key.descending).is_le()
            }
            _ => true,
        }
    }

    pub fn first_key(&self) -> Option<usize> {
        self.order.first().map(|k| k.column)
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
        if self.rows.len() >= self.limit.saturating_mul(2).max(1024) {
            self.cut();
        }
    }

    pub fn merge(&mut self, other: TopRows) {
        for row in other.rows {
            self.push(row);
        }
    }

    fn cut(&mut self) {
        let order = &self.order;
        self.rows.sort_by(|a, b| compare(a, b, order));
        self.rows.truncate(self.limit);
        if self.rows.len() == self.limit {
            self.threshold = self.rows.last().cloned();
        }
    }

    pub fn finish(mut self) -> Vec<Row> {
        self.cut();
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(column: usize, descending: bool) -> OrderKey {
        OrderKey { column, descending }
    }

    #[test]
    fn nulls_sort_last_in_both_directions() {
        let mut rows = vec![vec![Cell::Null], vec![Cell::Int(2)], vec![Cell::Int(10)]];
        rows.sort_by(|a, b| compare(a, b, &[key(0, true)]));
        assert_eq!(
            rows,
            [vec![Cell::Int(10)], vec![Cell::Int(2)], vec![Cell::Null]]
        );
        rows.sort_by(|a, b| compare(a, b, &[key(0, false)]));
        assert_eq!(
            rows,
            [vec![Cell::Int(2)], vec![Cell::Int(10)], vec![Cell::Null]]
        );
    }

    #[test]
    fn strings_sort_by_code_point_not_by_locale() {
        let text = |s: &str| Cell::Text(s.into());
        let mut rows = [
            vec![text("b")],
            vec![text("B")],
            vec![text("é")],
            vec![text("a")],
        ];
        rows.sort_by(|a, b| compare(a, b, &[key(0, false)]));
        let order: Vec<String> = rows.iter().map(|r| r[0].to_text()).collect();
        assert_eq!(order, ["B", "a", "b", "é"]);
    }

    #[test]
    fn the_first_in_order_are_those_of_a_full_sort() {
        // Prefixes with many ties (i % 5), broken by the full comparison.
        let value = |i: u64| (i * 7919) % 3001;
        let prefix = |i: u64| (value(i) % 5) as u128;
        let compare = |a: u64, b: u64| value(a).cmp(&value(b)).then(a.cmp(&b));
        let mut all: Vec<u64> = (0..3001).collect();
        all.sort_by(|&a, &b| prefix(a).cmp(&prefix(b)).then(compare(a, b)));
        for limit in [0, 1, 10, 1023, 1024, 1500, 3001, usize::MAX] {
            let got = first_in_order(3001, 0..3001, limit, prefix, compare);
            assert_eq!(got, all[..limit.min(3001)], "limit {limit}");
        }
    }

    #[test]
    fn top_rows_keep_the_best_under_a_tie_break() {
        let mut top = TopRows::new(&[key(0, true), key(1, false)], Some(3));
        for i in 0..5000 {
            top.push(vec![Cell::Int(i % 7), Cell::Int(i)]);
        }
        let rows = top.finish();
        assert_eq!(
            rows,
            [
                vec![Cell::Int(6), Cell::Int(6)],
                vec![Cell::Int(6), Cell::Int(13)],
                vec![Cell::Int(6), Cell::Int(20)]
            ]
        );
    }
}
