//! One record: the fields a query needs, found in a line without copying.
//!
//! A query needs a few fields ([`Slots`]); each file's header says where
//! they are ([`FileColumns`]); a line is split only as far as the last
//! needed column, into byte ranges ([`Record`]). Values are parsed when a
//! test or an output asks for them, the way the SQL reads the columns:
//! strings through `NULLIF(col, '-')`, integers as Athena's text reader
//! does (anything that is not a number in range, `-` included, is NULL).

use crate::check::Column;
use crate::schema::{self, Field, FieldType};

/// The fields a query reads; a field's slot is its index here.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots {
    fields: Vec<&'static Field>,
}

impl Slots {
    pub fn slot(&mut self, field: &'static Field) -> usize {
        match self.fields.iter().position(|f| std::ptr::eq(*f, field)) {
            Some(i) => i,
            None => {
                self.fields.push(field);
                self.fields.len() - 1
            }
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// How the SQL reads a column.
    pub fn column(&mut self, column: Column) -> ColumnRef {
        match column {
            Column::Field(f) => self.field(f),
            Column::Duration => ColumnRef::Duration {
                start: self.slot(schema::field_named("start").expect("known field")),
                end: self.slot(schema::field_named("end").expect("known field")),
            },
        }
    }

    pub fn field(&mut self, field: &'static Field) -> ColumnRef {
        let slot = self.slot(field);
        match field.ty {
            FieldType::Text | FieldType::Address => ColumnRef::Text(slot),
            FieldType::Int => ColumnRef::Int { slot, int32: true },
            FieldType::BigInt => ColumnRef::Int { slot, int32: false },
        }
    }
}

/// A column of a record, resolved to slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColumnRef {
    /// A string: NULL when absent or `-`.
    Text(usize),
    /// An `int` (32-bit) or `bigint` column.
    Int { slot: usize, int32: bool },
    /// `end - start`.
    Duration { start: usize, end: usize },
}

/// A value as SQL sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
}

/// Where the slots' fields are in one file's lines.
#[derive(Debug)]
pub(crate) struct FileColumns {
    /// For each column of the file (up to the last one needed), the slot
    /// it fills, if any.
    slot_of_column: Vec<Option<usize>>,
    /// The header line, to recognise a repeat of it (concatenated files).
    header: Vec<u8>,
}

impl FileColumns {
    /// Reads a header line (`version account-id ...`). `None` when no word
    /// of it is a known field name: the file has no header.
    pub fn from_header(header: &[u8], slots: &Slots) -> Option<FileColumns> {
        let names: Vec<&[u8]> = header.split(|b| *b == b' ').collect();
        let fields: Vec<Option<&'static Field>> = names
            .iter()
            .map(|name| {
                std::str::from_utf8(name)
                    .ok()
                    .and_then(|n| schema::field_named(n.trim()))
            })
            .collect();
        if fields.iter().all(Option::is_none) {
            return None;
        }
        let mut slot_of_column: Vec<Option<usize>> = fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let field = (*field)?;
                // A repeated name: the first column wins.
                let first = fields.iter().position(|f| *f == Some(field));
                let slot = slots.fields.iter().position(|f| std::ptr::eq(*f, field));
                slot.filter(|_| first == Some(i))
            })
            .collect();
        let needed = slot_of_column
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        slot_of_column.truncate(needed);
        Some(FileColumns {
            slot_of_column,
            header: header.to_vec(),
        })
    }

    pub fn is_header(&self, line: &[u8]) -> bool {
        line == self.header.as_slice()
    }
}

/// Byte range of a field in its line; `NONE` when the field is absent.
type Range = (u32, u32);
const NONE: Range = (u32::MAX, u32::MAX);

/// A line split into the query's fields.
pub(crate) struct Record<'a> {
    line: &'a [u8],
    ranges: &'a [Range],
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// Reused storage for a record's field ranges.
#[derive(Debug)]
pub(crate) struct Splitter {
    ranges: Vec<Range>,
}

impl Splitter {
    pub fn new(slots: &Slots) -> Splitter {
        Splitter {
            ranges: vec![NONE; slots.len()],
        }
    }

    /// Splits `line` on single spaces (as Athena's text reader does: two
    /// spaces make an empty field) up to the last needed column. Missing
    /// trailing columns are absent, that is NULL.
    pub fn split<'a>(
        &'a mut self,
        line: &'a [u8],
        columns: &FileColumns,
        account: Option<&'a str>,
        region: Option<&'a str>,
    ) -> Record<'a> {
        self.ranges.fill(NONE);
        let wanted = &columns.slot_of_column;
        let mut start = 0;
        for slot in wanted {
            let end = memchr::memchr(b' ', &line[start..]).map_or(line.len(), |i| start + i);
            if let Some(slot) = slot {
                self.ranges[*slot] = (start as u32, end as u32);
            }
            if end == line.len() {
                break;
            }
            start = end + 1;
        }
        Record {
            line,
            ranges: &self.ranges,
            account,
            region,
        }
    }
}

impl<'a> Record<'a> {
    /// The field's bytes as written, `-` included; `None` when absent.
    pub fn raw(&self, slot: usize) -> Option<&'a [u8]> {
        let (start, end) = self.ranges[slot];
        (start != u32::MAX).then(|| &self.line[start as usize..end as usize])
    }

    /// `NULLIF(col, '-')`.
    pub fn text(&self, slot: usize) -> Option<&'a [u8]> {
        self.raw(slot).filter(|v| *v != b"-")
    }

    pub fn int(&self, slot: usize, int32: bool) -> Option<i64> {
        parse_int(self.raw(slot)?, int32)
    }

    pub fn value(&self, column: ColumnRef) -> Value<'a> {
        let value = match column {
            ColumnRef::Text(slot) => self.text(slot).map(Value::Text),
            ColumnRef::Int { slot, int32 } => self.int(slot, int32).map(Value::Int),
            ColumnRef::Duration { .. } => self.int_value(column).map(Value::Int),
        };
        value.unwrap_or(Value::Null)
    }

    /// An integer column's value (`None` is NULL).
    pub fn int_value(&self, column: ColumnRef) -> Option<i64> {
        match column {
            ColumnRef::Int { slot, int32 } => self.int(slot, int32),
            ColumnRef::Duration { start, end } => {
                // bigint subtraction; out of range would fail in Athena,
                // and cannot come from real timestamps.
                self.int(end, false)?.checked_sub(self.int(start, false)?)
            }
            ColumnRef::Text(_) => None,
        }
    }
}

/// An integer as Hive's text reader parses it: an optional sign and
/// decimal digits, in range of the column's type; anything else is NULL.
pub(crate) fn parse_int(bytes: &[u8], int32: bool) -> Option<i64> {
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // Accumulate negatively so i64::MIN parses.
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    let value = if negative {
        value
    } else {
        value.checked_neg()?
    };
    if int32 && i32::try_from(value).is_err() {
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_athena_text_tables() {
        assert_eq!(parse_int(b"443", true), Some(443));
        assert_eq!(parse_int(b"-12", false), Some(-12));
        assert_eq!(parse_int(b"+7", true), Some(7));
        for bad in [&b"-"[..], b"", b"+", b"1.5", b" 1", b"1e3", b"0x10"] {
            assert_eq!(parse_int(bad, false), None, "{bad:?}");
        }
        assert_eq!(parse_int(b"2147483648", true), None);
        assert_eq!(parse_int(b"2147483648", false), Some(2_147_483_648));
        assert_eq!(parse_int(b"-9223372036854775808", false), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808", false), None);
    }

    #[test]
    fn a_line_splits_only_into_the_needed_fields() {
        let mut slots = Slots::default();
        let dstport = slots.field(schema::field_named("dstport").unwrap());
        let action = slots.field(schema::field_named("action").unwrap());
        let vpc = slots.field(schema::field_named("vpc-id").unwrap());
        let header = b"version srcaddr dstport action bytes";
        let columns = FileColumns::from_header(header, &slots).unwrap();
        assert_eq!(columns.slot_of_column, [None, None, Some(0), Some(1)]);
        let mut splitter = Splitter::new(&slots);
        let record = splitter.split(b"2 10.0.0.1 22 - 40", &columns, None, None);
        assert_eq!(record.value(dstport), Value::Int(22));
        assert_eq!(record.value(action), Value::Null);
        assert_eq!(record.raw(1), Some(&b"-"[..]));
        // Not in this file's format: NULL.
        assert_eq!(record.value(vpc), Value::Null);
        // A short line: the missing fields are NULL.
        let record = splitter.split(b"2 10.0.0.1", &columns, None, None);
        assert_eq!(record.value(dstport), Value::Null);
        // Two spaces make an empty field, which is a string, not NULL.
        let record = splitter.split(b"2 10.0.0.1 22  40", &columns, None, None);
        assert_eq!(record.value(action), Value::Text(b""));
    }

    #[test]
    fn a_first_line_of_data_is_no_header() {
        let slots = Slots::default();
        assert!(FileColumns::from_header(b"2 123456789012 eni-1 - -", &slots).is_none());
        assert!(FileColumns::from_header(b"version future-field", &slots).is_some());
    }
}
