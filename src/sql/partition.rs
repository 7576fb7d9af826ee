//! Partition pruning: which partitions can hold records of a time window.
//!
//! A flow-log file lies in the folder of its *delivery* time, not of each
//! record's `start` (reference §2): a file stamped 16:20 holds records that
//! ended around 16:15-16:25 depending on the reading of the docs, and
//! records can be delivered late. So the partition range of a window
//! `[t0, t1)` is `[t0 - 5 min, t1 + lateness]`: five minutes early covers
//! both readings of the file-name time, and the lateness (30 min by
//! default, per source) covers the aggregation interval (up to 10 min),
//! `start` being up to 60 s late, and best-effort delivery. The exact
//! record test (`end >= t0 and start < t1`) is applied on top.
//!
//! This module computes the range and expresses it as predicates on the
//! table's partition columns; backends render them (src/sql.rs) or apply
//! them to folders (the local engine).

use crate::lang::ir::{CheckedQuery, Filter, ResolvedWindow, Test};
use crate::table::{PartitionKey, Scheme, Table, TimePart};
use crate::time::Time;

/// How much earlier than the window a file holding its records may be
/// stamped (one 5-minute publishing interval).
pub const EARLY_SLACK: i64 = 5 * 60;

/// The instants whose partitions may hold the window's records, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionRange {
    pub first: Option<Time>,
    pub last: Option<Time>,
}

/// The padding stops at the ends of flowq's time range: no partition (no
/// flow log) lies before 1970 or after 9999, so the range still holds every
/// partition that can hold the window's records.
pub fn range(window: &ResolvedWindow, lateness: i64) -> PartitionRange {
    PartitionRange {
        first: window.start.map(|t| t.saturating_plus(-EARLY_SLACK)),
        last: window.end.map(|t| t.saturating_plus(lateness)),
    }
}

/// A partition value, typed as its column is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartValue {
    /// A DATE column's value, `2026-11-27`.
    Date(String),
    Text(String),
}

/// A predicate on partition columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionPredicate {
    /// The column lies between the bounds, inclusive (equal when they are).
    Bounds {
        column: String,
        low: Option<PartValue>,
        high: Option<PartValue>,
    },
    /// The columns, read as one tuple, are at least (or at most) the
    /// values. Per-column bounds cannot say "from 23:00 on the 26th to
    /// 01:00 on the 27th"; the tuple can, so hourly schemes scan exactly the
    /// hours in range on engines that evaluate it per partition.
    Tuple {
        columns: Vec<String>,
        values: Vec<PartValue>,
        at_least: bool,
    },
    /// The column is one of the values (account and region partitions).
    In { column: String, values: Vec<String> },
}

/// The partition key of the partition holding instant `t`, one value per
/// time part of the scheme.
pub fn key(scheme: Scheme, t: Time) -> Vec<PartValue> {
    let (y, m, d, h, _) = t.fields();
    scheme
        .parts()
        .iter()
        .map(|part| match part {
            TimePart::DateValue => PartValue::Date(format!("{y:04}-{m:02}-{d:02}")),
            TimePart::DayPath => PartValue::Text(format!("{y:04}/{m:02}/{d:02}")),
            TimePart::Year => PartValue::Text(format!("{y:04}")),
            TimePart::Month => PartValue::Text(format!("{m:02}")),
            TimePart::Day => PartValue::Text(format!("{d:02}")),
            TimePart::Hour => PartValue::Text(format!("{h:02}")),
        })
        .collect()
}

/// The partition predicates of a checked query on a table: time bounds
/// from the window, and account/region equalities the filter implies.
pub fn predicates(query: &CheckedQuery, table: &Table) -> Vec<PartitionPredicate> {
    let range = range(&query.window, table.lateness);
    let mut out = time_predicates(table, range);
    for key in [PartitionKey::Account, PartitionKey::Region] {
        if let (Some(column), Some(values)) =
            (table.partitioning.column(key), implied_values(query, key))
        {
            out.push(PartitionPredicate::In {
                column: column.to_string(),
                values,
            });
        }
    }
    out
}

fn time_predicates(table: &Table, range: PartitionRange) -> Vec<PartitionPredicate> {
    let columns = &table.partitioning.time_columns;
    let scheme = table.partitioning.scheme;
    let low = range.first.map(|t| key(scheme, t));
    let high = range.last.map(|t| key(scheme, t));
    let mut out = Vec::new();
    // Columns on which both ends agree are fixed; the first one on which
    // they differ gets bounds; the rest need the tuple comparison.
    let mut j = 0;
    while j < columns.len() {
        let (lo, hi) = (part(&low, j), part(&high, j));
        out.push(PartitionPredicate::Bounds {
            column: columns[j].clone(),
            low: lo.clone(),
            high: hi.clone(),
        });
        j += 1;
        if lo.is_none() || hi.is_none() || lo != hi {
            break;
        }
    }
    if j < columns.len() {
        let rest = j - 1..columns.len();
        for (bound, at_least) in [(&low, true), (&high, false)] {
            if let Some(values) = bound {
                out.push(PartitionPredicate::Tuple {
                    columns: columns[rest.clone()].to_vec(),
                    values: values[rest.clone()].to_vec(),
                    at_least,
                });
            }
        }
    }
    out.retain(|p| {
        !matches!(
            p,
            PartitionPredicate::Bounds {
                low: None,
                high: None,
                ..
            }
        )
    });
    out
}

fn part(key: &Option<Vec<PartValue>>, i: usize) -> Option<PartValue> {
    key.as_ref().map(|k| k[i].clone())
}

/// The region values a record must have, when the filter's top-level
/// conjunction says so (`region us-east-1 and ...`): a flow log is
/// regional, so a record's region is its folder's. Not so for accounts: a
/// VPC owner's flow log on a shared subnet records the participants' ENIs
/// under their own `account-id`, in the owner's folder, so the account-id
/// field never implies the account partition.
fn implied_values(query: &CheckedQuery, key: PartitionKey) -> Option<Vec<String>> {
    if key == PartitionKey::Account {
        return None;
    }
    top_level_conjuncts(query).find_map(|f| match f {
        Filter::Test(Test::TextIn { field, values }) if field.name == "region" => {
            Some(values.clone())
        }
        // A `Test::Partition` already tests the partition column itself.
        _ => None,
    })
}

/// The accounts or regions whose folders can hold matching records: those
/// a top-level conjunct requires, by the field (as [`predicates`] assumes
/// for partitioned tables) or by the partition itself. The local engine
/// skips other folders and files with it; `None` means any.
pub fn required_values(query: &CheckedQuery, key: PartitionKey) -> Option<Vec<String>> {
    implied_values(query, key).or_else(|| {
        top_level_conjuncts(query).find_map(|f| match f {
            Filter::Test(Test::Partition { key: k, values }) if *k == key => Some(values.clone()),
            _ => None,
        })
    })
}

fn top_level_conjuncts(query: &CheckedQuery) -> impl Iterator<Item = &Filter> {
    let parts: &[Filter] = match &query.filter {
        Some(Filter::And(parts)) => parts,
        Some(other) => std::slice::from_ref(other),
        None => &[],
    };
    parts.iter()
}

/// The partitions of a bounded range, in time order, made on demand: a
/// long window has millions of them, and `explain` shows a few.
#[derive(Clone, Copy, Debug)]
pub struct Partitions {
    scheme: Scheme,
    /// The start of the first partition's day or hour.
    first: Time,
    /// A day or an hour, in seconds.
    step: i64,
    count: u64,
}

impl Partitions {
    /// The partitions of `range` for `scheme`; None when the range is
    /// unbounded. A scheme without time partitions has none.
    pub fn of(scheme: Scheme, range: PartitionRange) -> Option<Partitions> {
        let (first, last) = (range.first?, range.last?);
        let step = if scheme.is_hourly() { 3600 } else { 86_400 };
        let (first_step, last_step) = (first.floor(step), last.floor(step));
        // Every day (or hour) from the first to the last is one partition:
        // keys name the UTC day (and hour), so no two steps share a key.
        let count = match scheme {
            Scheme::None => 0,
            _ if last < first => 0,
            _ => ((last_step.unix() - first_step.unix()) / step).unsigned_abs() + 1,
        };
        Some(Partitions {
            scheme,
            first: first_step,
            step,
            count,
        })
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The key of the `i`-th partition.
    pub fn get(&self, i: u64) -> Option<Vec<PartValue>> {
        if i >= self.count {
            return None;
        }
        // i < count keeps the product inside the range.
        let offset = i64::try_from(i).ok()?.checked_mul(self.step)?;
        Some(key(self.scheme, self.first.plus(offset).ok()?))
    }

    /// The keys from the `from`-th partition to before the `to`-th.
    pub fn keys(&self, from: u64, to: u64) -> impl Iterator<Item = Vec<PartValue>> + '_ {
        (from..to.min(self.count)).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Partitioning;

    fn table(scheme: Scheme) -> Table {
        Table {
            partitioning: Partitioning::new(scheme),
            ..Table::default()
        }
    }

    fn at(text: &str) -> Time {
        crate::time::parse_now(text).unwrap()
    }

    #[test]
    fn hive_hourly_across_midnight_fixes_the_shared_prefix() {
        let range = PartitionRange {
            first: Some(at("2026-11-26T23:10:00Z")),
            last: Some(at("2026-11-27T00:30:00Z")),
        };
        let preds = time_predicates(&table(Scheme::HiveHourly), range);
        let text = PartValue::Text;
        assert_eq!(
            preds,
            vec![
                PartitionPredicate::Bounds {
                    column: "year".into(),
                    low: Some(text("2026".into())),
                    high: Some(text("2026".into()))
                },
                PartitionPredicate::Bounds {
                    column: "month".into(),
                    low: Some(text("11".into())),
                    high: Some(text("11".into()))
                },
                PartitionPredicate::Bounds {
                    column: "day".into(),
                    low: Some(text("26".into())),
                    high: Some(text("27".into()))
                },
                PartitionPredicate::Tuple {
                    columns: vec!["day".into(), "hour".into()],
                    values: vec![text("26".into()), text("23".into())],
                    at_least: true
                },
                PartitionPredicate::Tuple {
                    columns: vec!["day".into(), "hour".into()],
                    values: vec![text("27".into()), text("00".into())],
                    at_least: false
                },
            ]
        );
    }

    #[test]
    fn an_open_start_bounds_only_the_end() {
        let range = PartitionRange {
            first: None,
            last: Some(at("2026-11-27T00:30:00Z")),
        };
        let preds = time_predicates(&table(Scheme::Date), range);
        assert_eq!(
            preds,
            vec![PartitionPredicate::Bounds {
                column: "date".into(),
                low: None,
                high: Some(PartValue::Date("2026-11-27".into()))
            }]
        );
        assert!(time_predicates(
            &table(Scheme::Date),
            PartitionRange {
                first: None,
                last: None
            }
        )
        .is_empty());
    }

    #[test]
    fn enumerates_days_and_hours_in_range() {
        let range = PartitionRange {
            first: Some(at("2026-11-26T22:55:00Z")),
            last: Some(at("2026-11-27T00:30:00Z")),
        };
        let days = Partitions::of(Scheme::Day, range).unwrap();
        assert_eq!(days.len(), 2);
        let hours = Partitions::of(Scheme::DateHour, range).unwrap();
        let text = |s: &str| PartValue::Text(s.into());
        assert_eq!(
            hours.keys(0, 10).collect::<Vec<_>>(),
            vec![
                vec![text("2026/11/26"), text("22")],
                vec![text("2026/11/26"), text("23")],
                vec![text("2026/11/27"), text("00")],
            ]
        );
        assert_eq!(hours.get(3), None);
        let open = PartitionRange {
            first: None,
            ..range
        };
        assert!(Partitions::of(Scheme::Day, open).is_none());
        assert!(Partitions::of(Scheme::None, range).unwrap().is_empty());
    }

    #[test]
    fn the_range_stops_at_the_ends_of_time() {
        let window = ResolvedWindow {
            start: Some(Time::EARLIEST),
            end: Some(Time::LATEST),
            is_default: false,
        };
        let range = range(&window, 30 * 60);
        assert_eq!(
            (range.first, range.last),
            (Some(Time::EARLIEST), Some(Time::LATEST))
        );
        // Days from 1970-01-01 to 9999-12-31: 253402300799 / 86400, rounded up.
        let days = Partitions::of(Scheme::Date, range).unwrap();
        assert_eq!(days.len(), 2_932_897);
        assert_eq!(
            days.get(2_932_896),
            Some(vec![PartValue::Date("9999-12-31".into())])
        );
    }
}
