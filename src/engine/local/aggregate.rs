//! `GROUP BY` with SQL's aggregate rules:
//!
//! - `count()` counts rows, `count(col)` counts non-NULL values and
//!   `count_distinct(col)` distinct non-NULL values; all are 0 on no rows;
//! - `sum`, `min`, `max` and `avg` ignore NULLs and are NULL when no value
//!   is left; `sum` is a bigint (a total outside it fails, as in Athena);
//!   `avg` of integers is a double;
//! - a query with aggregates and no `by` returns one row, even over no
//!   records; with `by`, one row per group that has records.
//!
//! Groups are keyed by their values encoded into a reused byte buffer, so
//! a record of an existing group allocates nothing; a query without `by`
//! has one group and no map. Memory grows with the number of groups (and
//! distinct values), never with the records.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

// A fast hash: these maps are hashed once per record, and their keys come
// from the files being searched, not from an adversary on a network.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type Set<T> = HashSet<T, foldhash::fast::RandomState>;

use crate::engine::output::Cell;
use crate::lang::ast::AggFn;
use crate::lang::ir::{OrderKey, Output, OutputValue};

use super::record::{ColumnRef, Record, Slots, Value};
use super::rows::{cell, Row, TopRows};
use super::LocalError;

/// What a grouped query computes, resolved to slots.
#[derive(Clone, Debug)]
pub(crate) struct Grouping {
    keys: Vec<ColumnRef>,
    aggregates: Vec<Aggregate>,
    /// Where each output column comes from.
    outputs: Vec<Source>,
}

#[derive(Clone, Debug)]
struct Aggregate {
    function: AggFn,
    argument: Option<ColumnRef>,
    /// The output column's name, for errors.
    name: String,
}

#[derive(Clone, Copy, Debug)]
enum Source {
    Key(usize),
    Aggregate(usize),
}

impl Grouping {
    pub fn new(output: &Output, group_by: &[usize], slots: &mut Slots) -> Grouping {
        let mut keys = Vec::new();
        let mut aggregates = Vec::new();
        let mut outputs = Vec::new();
        for column in &output.columns {
            match column.value {
                OutputValue::Column(c) => {
                    outputs.push(Source::Key(keys.len()));
                    keys.push(slots.column(c));
                }
                OutputValue::Aggregate { function, argument } => {
                    outputs.push(Source::Aggregate(aggregates.len()));
                    aggregates.push(Aggregate {
                        function,
                        argument: argument.map(|a| slots.column(a)),
                        name: column.name.clone(),
                    });
                }
            }
        }
        debug_assert_eq!(keys.len(), group_by.len(), "grouped columns are the keys");
        Grouping {
            keys,
            aggregates,
            outputs,
        }
    }

    fn start(&self) -> Vec<Acc> {
        self.aggregates
            .iter()
            .map(|a| match a.function {
                AggFn::Count if a.argument.is_none() => Acc::Rows(0),
                AggFn::Count => Acc::Values(0),
                AggFn::Sum => Acc::Sum {
                    total: 0,
                    seen: false,
                },
                AggFn::Avg => Acc::Avg { total: 0, count: 0 },
                AggFn::Min => Acc::Extreme {
                    best: None,
                    max: false,
                },
                AggFn::Max => Acc::Extreme {
                    best: None,
                    max: true,
                },
                AggFn::CountDistinct => Acc::Distinct(Set::default()),
            })
            .collect()
    }
}

/// The groups one worker has seen.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    map: Map<Box<[u8]>, Vec<Acc>>,
    /// The one group of a query without `by`, once a record was seen.
    global: Option<Vec<Acc>>,
    key: Vec<u8>,
    scratch: Vec<u8>,
}

impl Groups {
    pub fn add(&mut self, grouping: &Grouping, record: &Record) {
        let scratch = &mut self.scratch;
        let update = |accs: &mut [Acc], scratch: &mut Vec<u8>| {
            for (acc, aggregate) in accs.iter_mut().zip(&grouping.aggregates) {
                let value = aggregate.argument.map_or(Value::Null, |a| record.value(a));
                acc.add(value, scratch);
            }
        };
        if grouping.keys.is_empty() {
            let accs = self.global.get_or_insert_with(|| grouping.start());
            update(accs, scratch);
            return;
        }
        self.key.clear();
        for key in &grouping.keys {
            encode(record.value(*key), &mut self.key);
        }
        match self.map.get_mut(self.key.as_slice()) {
            Some(accs) => update(accs, scratch),
            None => {
                let mut accs = grouping.start();
                update(&mut accs, scratch);
                self.map.insert(self.key.as_slice().into(), accs);
            }
        }
    }

    pub fn merge(&mut self, other: Groups) {
        if let Some(theirs) = other.global {
            match &mut self.global {
                Some(mine) => mine.iter_mut().zip(theirs).for_each(|(a, b)| a.merge(b)),
                None => self.global = Some(theirs),
            }
        }
        for (key, accs) in other.map {
            match self.map.entry(key) {
                Entry::Occupied(mut mine) => {
                    for (acc, theirs) in mine.get_mut().iter_mut().zip(accs) {
                        acc.merge(theirs);
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(accs);
                }
            }
        }
    }

    /// The first `limit` groups in `order`, one row each; for a query with
    /// no `by`, exactly one row. A group whose first sort key already
    /// loses to the rows kept is never turned into a row, which matters
    /// for `top 10` over many groups.
    pub fn finish(
        mut self,
        grouping: &Grouping,
        order: &[OrderKey],
        limit: Option<u64>,
    ) -> Result<Vec<Row>, LocalError> {
        if grouping.keys.is_empty() {
            let accs = self.global.take().unwrap_or_else(|| grouping.start());
            self.map.insert(Box::default(), accs);
        }
        let mut top = TopRows::new(order, limit);
        for (key, accs) in &self.map {
            let cell = |source: Source| -> Result<Cell, LocalError> {
                match source {
                    Source::Key(i) => Ok(decode(key).swap_remove(i)),
                    Source::Aggregate(i) => accs[i].result().ok_or_else(|| LocalError::Overflow {
                        column: grouping.aggregates[i].name.clone(),
                    }),
                }
            };
            if let Some(first) = top.first_key() {
                if !top.wants(&cell(grouping.outputs[first])?) {
                    continue;
                }
            }
            let row = grouping
                .outputs
                .iter()
                .map(|source| cell(*source))
                .collect::<Result<Row, LocalError>>()?;
            top.push(row);
        }
        Ok(top.finish())
    }
}

/// One aggregate's running state.
#[derive(Debug)]
enum Acc {
    /// `count()`.
    Rows(i64),
    /// `count(col)`.
    Values(i64),
    Sum {
        total: i128,
        seen: bool,
    },
    Avg {
        total: i128,
        count: i64,
    },
    Extreme {
        best: Option<Owned>,
        max: bool,
    },
    /// Encoded non-NULL values.
    Distinct(Set<Box<[u8]>>),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Owned {
    Int(i64),
    Text(Vec<u8>),
}

impl Acc {
    fn add(&mut self, value: Value, scratch: &mut Vec<u8>) {
        match self {
            Acc::Rows(n) => *n += 1,
            Acc::Values(n) => *n += i64::from(value != Value::Null),
            Acc::Sum { total, seen } => {
                if let Value::Int(v) = value {
                    *total += i128::from(v);
                    *seen = true;
                }
            }
            Acc::Avg { total, count } => {
                if let Value::Int(v) = value {
                    *total += i128::from(v);
                    *count += 1;
                }
            }
            Acc::Extreme { best, max } => {
                let better = |b: &Owned| {
                    let ordering = match (&value, b) {
                        (Value::Int(v), Owned::Int(b)) => v.cmp(b),
                        (Value::Text(v), Owned::Text(b)) => (*v).cmp(b.as_slice()),
                        _ => return false,
                    };
                    if *max {
                        ordering.is_gt()
                    } else {
                        ordering.is_lt()
                    }
                };
                if value != Value::Null && best.as_ref().is_none_or(better) {
                    *best = Some(match value {
                        Value::Int(v) => Owned::Int(v),
                        Value::Text(v) => Owned::Text(v.to_vec()),
                        Value::Null => unreachable!("checked above"),
                    });
                }
            }
            Acc::Distinct(seen) => {
                if value != Value::Null {
                    scratch.clear();
                    encode(value, scratch);
                    if !seen.contains(scratch.as_slice()) {
                        seen.insert(scratch.as_slice().into());
                    }
                }
            }
        }
    }

    fn merge(&mut self, other: Acc) {
        match (self, other) {
            (Acc::Rows(a), Acc::Rows(b)) | (Acc::Values(a), Acc::Values(b)) => *a += b,
            (Acc::Sum { total, seen }, Acc::Sum { total: t, seen: s }) => {
                *total += t;
                *seen |= s;
            }
            (Acc::Avg { total, count }, Acc::Avg { total: t, count: c }) => {
                *total += t;
                *count += c;
            }
            (Acc::Extreme { best, max }, Acc::Extreme { best: other, .. }) => {
                *best = match (best.take(), other) {
                    (Some(a), Some(b)) if *max => Some(a.max(b)),
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            (Acc::Distinct(a), Acc::Distinct(b)) => a.extend(b),
            _ => unreachable!("groups of one query have the same aggregates"),
        }
    }

    /// The aggregate's value; `None` when a sum leaves bigint.
    fn result(&self) -> Option<Cell> {
        Some(match self {
            Acc::Rows(n) | Acc::Values(n) => Cell::Int(*n),
            Acc::Sum { seen: false, .. } => Cell::Null,
            Acc::Sum { total, .. } => Cell::Int(i64::try_from(*total).ok()?),
            Acc::Avg { count: 0, .. } => Cell::Null,
            // Exact while the total is below 2^53, as Trino's double sum.
            Acc::Avg { total, count } => Cell::Float(*total as f64 / *count as f64),
            Acc::Extreme { best: None, .. } => Cell::Null,
            Acc::Extreme {
                best: Some(Owned::Int(v)),
                ..
            } => Cell::Int(*v),
            Acc::Extreme {
                best: Some(Owned::Text(v)),
                ..
            } => Cell::Text(String::from_utf8_lossy(v).into_owned()),
            Acc::Distinct(seen) => Cell::Int(seen.len() as i64),
        })
    }
}

// ------------------------------------------------------------------ keys

const NULL: u8 = 0;
const INT: u8 = 1;
const TEXT: u8 = 2;

/// Appends a value so that equal values, and only they, encode equally.
fn encode(value: Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(NULL),
        Value::Int(n) => {
            out.push(INT);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::Text(bytes) => {
            out.push(TEXT);
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

fn decode(mut key: &[u8]) -> Vec<Cell> {
    let mut cells = Vec::new();
    while let Some((&tag, rest)) = key.split_first() {
        let (value, rest) = match tag {
            INT => {
                let (n, rest) = rest.split_at(8);
                let n = i64::from_le_bytes(n.try_into().expect("8 bytes"));
                (Value::Int(n), rest)
            }
            TEXT => {
                let (len, rest) = rest.split_at(4);
                let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
                let (text, rest) = rest.split_at(len);
                (Value::Text(text), rest)
            }
            _ => (Value::Null, rest),
        };
        cells.push(cell(value));
        key = rest;
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_do_not_collide() {
        let values = [
            Value::Int(-5),
            Value::Null,
            Value::Text(b"a b"),
            Value::Text(b""),
        ];
        let mut key = Vec::new();
        for v in values {
            encode(v, &mut key);
        }
        assert_eq!(
            decode(&key),
            [
                Cell::Int(-5),
                Cell::Null,
                Cell::Text("a b".into()),
                Cell::Text(String::new())
            ]
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode(Value::Text(b"ab"), &mut a);
        encode(Value::Text(b""), &mut a);
        encode(Value::Text(b"a"), &mut b);
        encode(Value::Text(b"b"), &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn aggregates_of_nothing_follow_sql() {
        let mut scratch = Vec::new();
        let mut sum = Acc::Sum {
            total: 0,
            seen: false,
        };
        sum.add(Value::Null, &mut scratch);
        assert_eq!(sum.result(), Some(Cell::Null));
        let mut avg = Acc::Avg { total: 0, count: 0 };
        assert_eq!(avg.result(), Some(Cell::Null));
        avg.add(Value::Int(1), &mut scratch);
        avg.add(Value::Int(2), &mut scratch);
        assert_eq!(avg.result(), Some(Cell::Float(1.5)));
        let mut big = Acc::Sum {
            total: 0,
            seen: false,
        };
        big.add(Value::Int(i64::MAX), &mut scratch);
        big.add(Value::Int(1), &mut scratch);
        assert_eq!(big.result(), None);
    }
}
