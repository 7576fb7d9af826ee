//! `lookup` stages on the local engine: a hash join of the output rows to
//! each lookup table, done as the rows are written. A sink that wraps the
//! real one adds the tables' columns to the header and, to every row, the
//! values of the table row whose key equals the row's key column (NULLs
//! when the key is NULL or not in the table; an empty field is NULL), as
//! the SQL's LEFT JOIN does (sql/render.rs::with_lookups).

use std::collections::HashMap;
use std::io;

use crate::engine::output::{Cell, CellRef, ColumnInfo, RowSink};
use crate::lang::ir::Lookup;

/// One lookup, indexed: each key to its row of the table.
struct Join<'q> {
    lookup: &'q Lookup,
    by_key: HashMap<&'q str, usize>,
}

/// A sink that joins every row to the lookups before passing it on.
pub struct Joined<'q, 's> {
    inner: &'s mut dyn RowSink,
    joins: Vec<Join<'q>>,
}

impl<'q, 's> Joined<'q, 's> {
    pub fn new(lookups: &'q [Lookup], inner: &'s mut dyn RowSink) -> Self {
        let joins = lookups
            .iter()
            .map(|lookup| Join {
                lookup,
                by_key: lookup
                    .data
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| (row[0].as_str(), i))
                    .collect(),
            })
            .collect();
        Joined { inner, joins }
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
            Some(i) => out.extend(join.lookup.data.rows[i][1..].iter().map(|v| {
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
        self.inner.row_refs(&mut cells.into_iter())
    }

    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        let own: Vec<CellRef> = row.collect();
        let cells = joined(&self.joins, own);
        self.inner.row_refs(&mut cells.into_iter())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}
