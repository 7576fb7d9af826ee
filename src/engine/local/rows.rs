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

/// How a [`Selection`] sees the sort keys of its items.
pub(crate) trait SortKeys<R: ?Sized> {
    /// The number of sort keys.
    fn levels(&self) -> usize;
    /// A number that orders items as sort key `level` does wherever two
    /// numbers differ, and whether it is exact: whether an equal number
    /// means an equal key.
    fn prefix(&self, level: usize, item: &R) -> (u128, bool);
    /// The whole order, every key; total over distinct items.
    fn compare(&self, a: &R, b: &R) -> Ordering;
}

/// The first `limit` of the items pushed (groups, say) in the order of
/// `keys`. A bounded selection: items gather until twice the limit, then
/// only the best `limit` stay, and an item that sorts after the worst kept
/// is not gathered; so `top 10` over a million groups holds a few thousand
/// and sorts ten. What is kept is sorted by the first key's number alone,
/// then each run of equal numbers by the next key's, and so on: the
/// comparisons of the sorts are of numbers, and `compare` is left for runs
/// whose numbers are not exact (long strings).
pub(crate) struct Selection<'k, R, K> {
    keys: &'k K,
    limit: usize,
    cap: usize,
    kept: Vec<(u128, R)>,
    worst: Option<(u128, R)>,
    /// Whether every number of the first key pushed was exact.
    exact: bool,
}

impl<'k, R: Copy, K: SortKeys<R>> Selection<'k, R, K> {
    /// `expected` is how many items will come (for the first allocation).
    pub fn new(keys: &'k K, limit: usize, expected: usize) -> Self {
        let cap = limit.saturating_mul(2).max(1024);
        Selection {
            keys,
            limit,
            cap,
            kept: Vec::with_capacity(expected.min(cap)),
            worst: None,
            exact: true,
        }
    }

    fn order(&self, a: &(u128, R), b: &(u128, R)) -> Ordering {
        first_number_order(self.keys, (a.0, &a.1), (b.0, &b.1))
    }

    pub fn push(&mut self, item: R) {
        if self.limit == 0 {
            return;
        }
        let (number, exact) = self.keys.prefix(0, &item);
        self.exact &= exact;
        let item = (number, item);
        if let Some(worst) = &self.worst {
            if self.order(&item, worst).is_ge() {
                return;
            }
        }
        self.kept.push(item);
        if self.kept.len() >= self.cap {
            let mut kept = std::mem::take(&mut self.kept);
            kept.select_nth_unstable_by(self.limit - 1, |a, b| self.order(a, b));
            kept.truncate(self.limit);
            self.worst = Some(kept[self.limit - 1]);
            self.kept = kept;
        }
    }

    /// The items kept, in order, each with its number of the first sort
    /// key, by which pieces sorted apart merge ([`first_number_order`]).
    /// Each run of equal first numbers is sorted by the later keys as the
    /// one pass over the items reaches it, while it is in the cache: as
    /// passes of their own (finding runs, noting their numbers, sorting
    /// them, putting the numbers back) they read a million groups' 48 MB
    /// four times.
    pub fn finish(self) -> Vec<(u128, R)> {
        let keys = self.keys;
        let mut kept = self.kept;
        kept.sort_unstable_by_key(|item| item.0);
        let mut lists = RunLists::default();
        let mut i = 0;
        while i < kept.len() {
            let number = kept[i].0;
            let run = equal_run_end(&kept, i);
            if run - i > 1 {
                let items = &mut kept[i..run];
                sort_by_later_keys(keys, items, self.exact, &mut lists);
                // The sorts numbered the run's items by later keys.
                items.iter_mut().for_each(|item| item.0 = number);
            }
            i = run;
        }
        kept.truncate(self.limit);
        kept
    }
}

/// The runs of a level of [`sort_by_later_keys`] and of the next, kept
/// between calls so that a run costs no allocation.
#[derive(Default)]
struct RunLists {
    this: Vec<(usize, usize, bool)>,
    next: Vec<(usize, usize, bool)>,
}

/// Sorts `run`, items whose first-key numbers are equal (and `exact` if
/// they are), by the later keys: by each key's numbers in turn, runs of
/// equal numbers going on to the next key, level by level (no recursion),
/// and by `compare` where numbers are not exact or the keys end.
fn sort_by_later_keys<R: Copy, K: SortKeys<R>>(
    keys: &K,
    run: &mut [(u128, R)],
    exact: bool,
    lists: &mut RunLists,
) {
    lists.this.clear();
    lists.this.push((0, run.len(), exact));
    let mut level = 0;
    while !lists.this.is_empty() {
        lists.next.clear();
        for &(start, end, exact) in &lists.this {
            let items = &mut run[start..end];
            if !exact || level + 1 >= keys.levels() {
                items.sort_unstable_by(|a, b| keys.compare(&a.1, &b.1));
                continue;
            }
            let mut next_exact = true;
            for item in items.iter_mut() {
                let (number, exact) = keys.prefix(level + 1, &item.1);
                item.0 = number;
                next_exact &= exact;
            }
            items.sort_unstable_by_key(|item| item.0);
            push_equal_runs(items, start, next_exact, &mut lists.next);
        }
        std::mem::swap(&mut lists.this, &mut lists.next);
        level += 1;
    }
}

/// The order of two items of [`Selection::finish`]'s output, from the
/// same selection or from two over the same keys: by their first-key
/// numbers where these differ, as [`SortKeys::prefix`] promises, and by
/// `keys.compare` where they are equal.
pub(crate) fn first_number_order<R: ?Sized, K: SortKeys<R>>(
    keys: &K,
    a: (u128, &R),
    b: (u128, &R),
) -> Ordering {
    a.0.cmp(&b.0).then_with(|| keys.compare(a.1, b.1))
}

/// The end of the run of items whose numbers equal the `i`th's.
fn equal_run_end<R>(items: &[(u128, R)], i: usize) -> usize {
    i + items[i..].iter().take_while(|x| x.0 == items[i].0).count()
}

/// Adds the ranges (offset by `start`) of two or more items with equal
/// numbers to `runs`, each with `exact`.
fn push_equal_runs<R>(
    items: &[(u128, R)],
    start: usize,
    exact: bool,
    runs: &mut Vec<(usize, usize, bool)>,
) {
    let mut i = 0;
    while i < items.len() {
        let j = equal_run_end(items, i);
        if j - i > 1 {
            runs.push((start + i, start + j, exact));
        }
        i = j;
    }
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

    impl SortKeys<u64> for Keys {
        fn levels(&self) -> usize {
            3
        }
        fn prefix(&self, level: usize, id: &u64) -> (u128, bool) {
            let v = v(*id);
            match level {
                0 => (u128::from(v % 5), true),
                1 => (u128::from(v % 7 / 2), v % 7 == 6),
                _ => (u128::from(v), true),
            }
        }
        fn compare(&self, a: &u64, b: &u64) -> Ordering {
            let key = |id: &u64| (v(*id) % 5, v(*id) % 7, v(*id));
            key(a).cmp(&key(b))
        }
    }

    /// [`Keys`] whose first key's prefix is not exact either: `v % 5 / 2`
    /// (exact only for 4), so that runs of the first number must be
    /// ordered by whole comparisons.
    struct CoarseFirst;

    impl SortKeys<u64> for CoarseFirst {
        fn levels(&self) -> usize {
            3
        }
        fn prefix(&self, level: usize, id: &u64) -> (u128, bool) {
            match level {
                0 => (u128::from(v(*id) % 5 / 2), v(*id) % 5 == 4),
                _ => Keys.prefix(level, id),
            }
        }
        fn compare(&self, a: &u64, b: &u64) -> Ordering {
            Keys.compare(a, b)
        }
    }

    #[test]
    fn a_selection_is_the_start_of_a_full_sort() {
        let mut all: Vec<u64> = (0..3001).collect();
        all.sort_by(|a, b| Keys.compare(a, b));
        for limit in [0, 1, 10, 1023, 1024, 1500, 3001, usize::MAX] {
            let mut selection = Selection::new(&Keys, limit, 3001);
            (0..3001).for_each(|id| selection.push(id));
            let got: Vec<u64> = selection.finish().into_iter().map(|(_, id)| id).collect();
            assert_eq!(got, all[..limit.min(3001)], "limit {limit}");
            let mut selection = Selection::new(&CoarseFirst, limit, 3001);
            (0..3001).for_each(|id| selection.push(id));
            let got: Vec<u64> = selection.finish().into_iter().map(|(_, id)| id).collect();
            assert_eq!(
                got,
                all[..limit.min(3001)],
                "limit {limit}, coarse first key"
            );
        }
    }

    /// Two selections over the even and the odd items, merged by
    /// `first_number_order` as sorted groups of two workers are.
    fn merged<K: SortKeys<u64>>(keys: &K) -> Vec<u64> {
        let finished = |parity: u64| {
            let mut selection = Selection::new(keys, usize::MAX, 3001);
            (0..3001)
                .filter(|id| id % 2 == parity)
                .for_each(|id| selection.push(id));
            let items = selection.finish();
            for (number, id) in &items {
                assert_eq!(*number, keys.prefix(0, id).0, "item {id}");
            }
            items
        };
        let (even, odd) = (finished(0), finished(1));
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < even.len() || j < odd.len() {
            let take_even = j == odd.len()
                || (i < even.len()
                    && first_number_order(keys, (even[i].0, &even[i].1), (odd[j].0, &odd[j].1))
                        .is_lt());
            if take_even {
                out.push(even[i].1);
                i += 1;
            } else {
                out.push(odd[j].1);
                j += 1;
            }
        }
        out
    }

    #[test]
    fn finished_items_carry_their_first_key_number_and_merge_by_it() {
        let mut all: Vec<u64> = (0..3001).collect();
        all.sort_by(|a, b| Keys.compare(a, b));
        assert_eq!(merged(&Keys), all);
        assert_eq!(merged(&CoarseFirst), all);
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
