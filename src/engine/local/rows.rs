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

/// How [`first_in_order`] sees the sort keys of its items.
pub(crate) trait SortKeys {
    /// The number of sort keys.
    fn levels(&self) -> usize;
    /// A number that orders items as sort key `level` does wherever two
    /// numbers differ, and whether it is exact: whether an equal number
    /// means an equal key.
    fn prefix(&self, level: usize, id: u64) -> (u128, bool);
    /// The whole order, every key; total over distinct items.
    fn compare(&self, a: u64, b: u64) -> Ordering;
    /// A hint that the item will be read soon.
    fn prefetch(&self, id: u64);
}

/// Marks, in an item's id, a prefix that is not exact.
const INEXACT: u64 = 1 << 63;
/// Items whose keys are read ahead of use.
const AHEAD: usize = 8;

/// The first `limit` of `n` items (ids of groups, say, below 2^63) in the
/// order of `keys`. A bounded selection: items gather until twice the
/// limit, then only the best `limit` stay, and an item that sorts after
/// the worst kept is not gathered; so `top 10` over a million groups holds
/// a few thousand numbers and sorts ten. What is kept is sorted by the
/// first key's number alone, and then each run of equal numbers by the
/// next key's, and so on: the keys of an item are read in passes over the
/// items (which can read ahead), not in the comparisons of a sort (which
/// cannot). A run whose numbers are not exact falls back to `compare`.
pub(crate) fn first_in_order(
    n: usize,
    items: impl Iterator<Item = u64>,
    limit: usize,
    keys: &impl SortKeys,
) -> Vec<u64> {
    if limit == 0 {
        return Vec::new();
    }
    let item = |level: usize, id: u64| {
        let (prefix, exact) = keys.prefix(level, id);
        (prefix, if exact { id } else { id | INEXACT })
    };
    let order = |a: &(u128, u64), b: &(u128, u64)| {
        a.0.cmp(&b.0)
            .then_with(|| keys.compare(a.1 & !INEXACT, b.1 & !INEXACT))
    };
    let cap = limit.saturating_mul(2).max(1024);
    let mut kept: Vec<(u128, u64)> = Vec::with_capacity(n.min(cap));
    let mut worst: Option<(u128, u64)> = None;
    for id in items {
        let item = item(0, id);
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
    kept.sort_unstable_by_key(|item| item.0);
    let mut runs = equal_runs(&kept, 0);
    let mut level = 0;
    while !runs.is_empty() {
        let mut next = Vec::new();
        for (start, end) in runs {
            let run = &mut kept[start..end];
            let exact = run.iter().all(|(_, id)| id & INEXACT == 0);
            if !exact || level + 1 >= keys.levels() {
                run.sort_unstable_by(|a, b| keys.compare(a.1 & !INEXACT, b.1 & !INEXACT));
                continue;
            }
            for i in 0..run.len() {
                if let Some(ahead) = run.get(i + AHEAD) {
                    keys.prefetch(ahead.1 & !INEXACT);
                }
                run[i] = item(level + 1, run[i].1 & !INEXACT);
            }
            run.sort_unstable_by_key(|item| item.0);
            next.extend(equal_runs(run, start));
        }
        runs = next;
        level += 1;
    }
    kept.truncate(limit);
    kept.into_iter().map(|(_, id)| id & !INEXACT).collect()
}

/// The ranges (offset by `start`) of two or more items with equal numbers.
fn equal_runs(items: &[(u128, u64)], start: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let j = i + items[i..].iter().take_while(|x| x.0 == items[i].0).count();
        if j - i > 1 {
            runs.push((start + i, start + j));
        }
        i = j;
    }
    runs
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

    /// Items 0..3001 with three keys: (v % 5, v % 7, v) for v a shuffle
    /// of the ids; the first and third keys' prefixes are exact; the
    /// second's is `v % 7 / 2`, which is exact only for 6 (alone in its
    /// bucket): 0 and 1 tie, as do 2 and 3, 4 and 5.
    struct Keys;

    fn v(id: u64) -> u64 {
        (id * 7919) % 3001
    }

    impl SortKeys for Keys {
        fn levels(&self) -> usize {
            3
        }
        fn prefix(&self, level: usize, id: u64) -> (u128, bool) {
            let v = v(id);
            match level {
                0 => (u128::from(v % 5), true),
                1 => (u128::from(v % 7 / 2), v % 7 == 6),
                _ => (u128::from(v), true),
            }
        }
        fn compare(&self, a: u64, b: u64) -> Ordering {
            let key = |id| (v(id) % 5, v(id) % 7, v(id));
            key(a).cmp(&key(b))
        }
        fn prefetch(&self, _: u64) {}
    }

    #[test]
    fn the_first_in_order_are_those_of_a_full_sort() {
        let mut all: Vec<u64> = (0..3001).collect();
        all.sort_by(|&a, &b| Keys.compare(a, b));
        for limit in [0, 1, 10, 1023, 1024, 1500, 3001, usize::MAX] {
            let got = first_in_order(3001, 0..3001, limit, &Keys);
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
