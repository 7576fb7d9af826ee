//! `lookup` stages on the local engine: a hash join of the output rows to
//! each lookup table, done as the rows are written. A sink that wraps the
//! real one adds the tables' columns to the header and, to every row, the
//! values of the table row whose key equals the row's key column (NULLs
//! when the key is NULL or not in the table; an empty field is NULL), as
//! the SQL's LEFT JOIN does (sql/render.rs::with_lookups). A `sort` or
//! `limit` after the lookups holds the joined rows until the end, then
//! sorts them (NULLs last, as the SQL's `NULLS LAST`) and cuts them.

use std::collections::HashMap;
use std::io;

use std::cmp::Ordering;

use crate::engine::output::{Cell, CellRef, ColumnInfo, RowSink};
use crate::lang::ir::{Lookup, Reorder};

/// One lookup, indexed: each key to its row of the table.
struct Join<'q> {
    lookup: &'q Lookup,
    by_key: HashMap<&'q str, usize>,
}

/// A sink that joins every row to the lookups before passing it on.
pub struct Joined<'q, 's> {
    inner: &'s mut dyn RowSink,
    joins: Vec<Join<'q>>,
    reorder: Option<&'q Reorder>,
    /// The joined rows, held for `reorder`.
    held: Vec<Vec<Cell>>,
}

impl<'q, 's> Joined<'q, 's> {
    pub fn new(
        lookups: &'q [Lookup],
        reorder: Option<&'q Reorder>,
        inner: &'s mut dyn RowSink,
    ) -> Self {
        let joins = lookups
            .iter()
            .map(|lookup| Join {
                lookup,
                by_key: lookup.entries().into_iter().collect(),
            })
            .collect();
        Joined {
            inner,
            joins,
            reorder,
            held: Vec::new(),
        }
    }
}

/// Passes a joined row on, or holds it for the reorder.
fn pass(
    inner: &mut dyn RowSink,
    reorder: Option<&Reorder>,
    held: &mut Vec<Vec<Cell>>,
    cells: Vec<CellRef<'_>>,
) -> io::Result<()> {
    if reorder.is_some() {
        held.push(cells.into_iter().map(CellRef::owned).collect());
        return Ok(());
    }
    inner.row_refs(&mut cells.into_iter())
}

/// Two rows in the order of `reorder`'s keys.
fn compare(reorder: &Reorder, a: &[Cell], b: &[Cell]) -> Ordering {
    for key in &reorder.order {
        let ordering = match (&a[key.column], &b[key.column]) {
            (Cell::Null, Cell::Null) => Ordering::Equal,
            // NULLs last in both directions.
            (Cell::Null, _) => return Ordering::Greater,
            (_, Cell::Null) => return Ordering::Less,
            (x, y) => {
                let ordering = compare_values(x, y);
                if key.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            }
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Numbers by value, text by code point (UTF-8 byte order is code point
/// order), as Trino compares them. A column holds one kind of value.
fn compare_values(a: &Cell, b: &Cell) -> Ordering {
    match (a, b) {
        (Cell::Int(x), Cell::Int(y)) => x.cmp(y),
        (Cell::Float(x), Cell::Float(y)) => x.total_cmp(y),
        (Cell::Int(x), Cell::Float(y)) => (*x as f64).total_cmp(y),
        (Cell::Float(x), Cell::Int(y)) => x.total_cmp(&(*y as f64)),
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// The row's own cells followed by each lookup's columns.
fn joined<'c>(joins: &'c [Join<'_>], own: Vec<CellRef<'c>>) -> Vec<CellRef<'c>> {
    let mut out = own.clone();
    for join in joins {
        let width = join.lookup.data.columns.len() - 1;
        let found = match own.get(join.lookup.key) {
            Some(CellRef::Text(key)) => join.by_key.get(key).copied(),
            _ => None,
        };
        match found {
            Some(i) => out.extend(join.lookup.added(&join.lookup.data.rows[i]).map(|v| {
                if v.is_empty() {
                    CellRef::Null
                } else {
                    CellRef::Text(v)
                }
            })),
            None => out.extend(std::iter::repeat_n(CellRef::Null, width)),
        }
    }
    out
}

impl RowSink for Joined<'_, '_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        let mut all = columns.to_vec();
        for join in &self.joins {
            all.extend(
                join.lookup
                    .added_columns()
                    .into_iter()
                    .map(|name| ColumnInfo {
                        name,
                        numeric: false,
                    }),
            );
        }
        self.inner.begin(&all)
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        let own: Vec<CellRef> = row.iter().map(Cell::borrowed).collect();
        let cells = joined(&self.joins, own);
        pass(&mut *self.inner, self.reorder, &mut self.held, cells)
    }

    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        let own: Vec<CellRef> = row.collect();
        let cells = joined(&self.joins, own);
        pass(&mut *self.inner, self.reorder, &mut self.held, cells)
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(reorder) = self.reorder {
            let mut rows = std::mem::take(&mut self.held);
            // Stable, so rows equal on every key keep the order they came in.
            rows.sort_by(|a, b| compare(reorder, a, b));
            let keep = reorder
                .limit
                .map_or(rows.len(), |n| usize::try_from(n).unwrap_or(usize::MAX));
            for row in rows.iter().take(keep) {
                self.inner.row(row)?;
            }
        }
        self.inner.finish()
    }
}
