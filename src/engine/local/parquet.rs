//! Parquet flow-log files (`.log.parquet`, reference §1.4 and §2): the
//! columns a query needs, decoded row group by row group into the same
//! [`Record`]s the text reader makes, so the filter, grouping and output
//! are the ones of text files.
//!
//! - Columns are found by name, as AWS writes them (`account_id`, or the
//!   field name `account-id`); a field the file lacks (an older format
//!   version) is NULL, as a field missing from a text file's header is.
//! - Only the query's columns are read and decoded (projection).
//! - A row group whose min/max statistics show that no row can pass the
//!   WHERE clause (the window on `start`/`end`, and integer tests of the
//!   filter) is skipped unread ([`Where::may_match`]).
//! - Integers are typed (INT32, INT64); strings are BYTE_ARRAY, `-` being
//!   NULL as in text. A string column where an integer is expected is
//!   parsed as text is, and an integer column where a string is expected is
//!   written out in decimal, so an unusual writer still reads the same.
//!
//! A file that is not valid Parquet, or whose flow-log columns are of a
//! type no flow log uses, fails the query with the file's name.

use std::io::Write as _;

use parquet::basic::Type as PhysicalType;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{
    ByteArray, ByteArrayType, DataType, FixedLenByteArray, FixedLenByteArrayType, Int32Type,
    Int64Type,
};
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::statistics::Statistics;
use parquet::schema::types::SchemaDescriptor;

use crate::schema::{Field, FieldType};

use super::eval::{SlotStats, Where};
use super::layout::FileEntry;
use super::reader::{Body, Flow};
use super::record::{Range, Record, Slots, NONE};
use super::strings::{self, StringColumn};
use super::LocalError;

/// Rows decoded per step: memory per file is this many rows of the
/// query's columns, whatever the row group's size.
const BATCH: usize = 4096;

/// Row groups read and skipped in one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RowGroups {
    pub read: u64,
    pub skipped: u64,
}

/// Where a slot's field is in the file.
#[derive(Clone, Copy, Debug)]
struct Source {
    column: usize,
    /// The field is an integer in flowq's schema.
    wants_int: bool,
}

/// Calls `on_record` with every record of the file's row groups that the
/// statistics cannot rule out; `matches` is the WHERE clause.
pub(crate) fn for_each_record(
    entry: &FileEntry,
    body: Body,
    slots: &Slots,
    where_clause: &Where,
    stop: &dyn Fn() -> bool,
    on_record: &mut dyn FnMut(&Record) -> Flow,
) -> Result<RowGroups, LocalError> {
    // The parquet crate returns errors for the damage we know of; a panic
    // deep in a decoder on a hostile file still fails only this query,
    // with the file's name, rather than the whole program.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(entry, body, slots, where_clause, stop, on_record)
    }));
    read.unwrap_or_else(|_| {
        Err(corrupt(
            entry,
            "the Parquet decoder failed on this file".into(),
        ))
    })
}

fn corrupt(entry: &FileEntry, detail: String) -> LocalError {
    LocalError::Parquet {
        path: entry.path.clone(),
        detail,
    }
}

fn read_file(
    entry: &FileEntry,
    body: Body,
    slots: &Slots,
    where_clause: &Where,
    stop: &dyn Fn() -> bool,
    on_record: &mut dyn FnMut(&Record) -> Flow,
) -> Result<RowGroups, LocalError> {
    let mut counts = RowGroups::default();
    // An empty object (a failed upload) holds no records, as for text.
    if entry.size == 0 {
        return Ok(counts);
    }
    let damaged = |e: parquet::errors::ParquetError| corrupt(entry, e.to_string());
    let reader: Box<dyn FileReader> = match body {
        Body::File(file) => Box::new(SerializedFileReader::new(file).map_err(damaged)?),
        Body::Memory(bytes) => Box::new(SerializedFileReader::new(bytes).map_err(damaged)?),
    };
    let metadata = reader.metadata();
    let sources = find_columns(metadata.file_metadata().schema_descr(), slots)
        .map_err(|detail| corrupt(entry, detail))?;
    let mut batch = Batch::new(slots.len());
    for (index, group) in metadata.row_groups().iter().enumerate() {
        if stop() {
            break;
        }
        let stats = |slot: usize| slot_stats(group, sources[slot]);
        if !where_clause.may_match(&stats) {
            counts.skipped += 1;
            continue;
        }
        counts.read += 1;
        let group_reader = reader
            .get_row_group(index)
            .map_err(|e| corrupt(entry, e.to_string()))?;
        let flow = read_group(
            entry,
            group_reader.as_ref(),
            group,
            &sources,
            &mut batch,
            stop,
            on_record,
        )?;
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(counts)
}

/// The file's column for each slot (`None`: the file lacks the field).
fn find_columns(schema: &SchemaDescriptor, slots: &Slots) -> Result<Vec<Option<Source>>, String> {
    slots
        .fields()
        .iter()
        .map(|field| {
            let found = schema.columns().iter().position(|c| {
                c.path().parts().len() == 1
                    && (c.name().eq_ignore_ascii_case(field.column)
                        || c.name().eq_ignore_ascii_case(field.name))
            });
            let Some(column) = found else {
                return Ok(None);
            };
            let descriptor = &schema.columns()[column];
            if descriptor.max_rep_level() > 0 {
                return Err(format!(
                    "column '{}' is a repeated (list) column; flow-log columns hold one value per row",
                    descriptor.name()
                ));
            }
            match descriptor.physical_type() {
                PhysicalType::INT32
                | PhysicalType::INT64
                | PhysicalType::BYTE_ARRAY
                | PhysicalType::FIXED_LEN_BYTE_ARRAY => {}
                other => return Err(unsupported_type(descriptor.name(), field, other)),
            }
            Ok(Some(Source {
                column,
                wants_int: is_int(field),
            }))
        })
        .collect()
}

fn is_int(field: &Field) -> bool {
    matches!(field.ty, FieldType::Int | FieldType::BigInt)
}

fn unsupported_type(column: &str, field: &Field, found: PhysicalType) -> String {
    let expected = if is_int(field) {
        "INT32 or INT64"
    } else {
        "a string (BYTE_ARRAY)"
    };
    format!("column '{column}' is stored as {found}; flow logs store '{field}' as {expected}")
}

/// What a row group's statistics say of a slot's values.
fn slot_stats(group: &RowGroupMetaData, source: Option<Source>) -> SlotStats {
    let Some(source) = source else {
        return SlotStats::AllNull;
    };
    let chunk = group.column(source.column);
    let Some(stats) = chunk.statistics() else {
        return SlotStats::Unknown;
    };
    let rows = u64::try_from(group.num_rows()).unwrap_or(0);
    if rows > 0 && stats.null_count_opt() == Some(rows) {
        return SlotStats::AllNull;
    }
    if !source.wants_int {
        return SlotStats::Unknown;
    }
    let range = match stats {
        Statistics::Int32(s) => s
            .min_opt()
            .zip(s.max_opt())
            .map(|(lo, hi)| (i64::from(*lo), i64::from(*hi))),
        Statistics::Int64(s) => s.min_opt().zip(s.max_opt()).map(|(lo, hi)| (*lo, *hi)),
        _ => None,
    };
    match range {
        Some((lo, hi)) if lo <= hi => SlotStats::Range(lo, hi),
        _ => SlotStats::Unknown,
    }
}

/// Decoded values of one batch of rows, laid out as records: per row, a
/// range into `text` and an integer for every slot.
struct Batch {
    slots: usize,
    text: Vec<u8>,
    ranges: Vec<Range>,
    ints: Vec<Option<i64>>,
    /// The column readers' buffers, kept apart from the rows so that a
    /// column can be read into them while its values are placed in rows.
    scratch: Scratch,
}

/// Buffers the column readers fill, reused from batch to batch.
#[derive(Default)]
struct Scratch {
    def_levels: Vec<i16>,
    int32s: Vec<i32>,
    int64s: Vec<i64>,
    bytes: Vec<ByteArray>,
    fixed: Vec<FixedLenByteArray>,
}

impl Batch {
    fn new(slots: usize) -> Batch {
        Batch {
            slots,
            text: Vec::new(),
            ranges: Vec::new(),
            ints: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    fn reset(&mut self, rows: usize) {
        self.text.clear();
        self.ranges.clear();
        self.ranges.resize(rows * self.slots, NONE);
        self.ints.clear();
        self.ints.resize(rows * self.slots, None);
    }

    /// Where a row's value of `slot` goes.
    fn cell(&self, row: usize, slot: usize) -> usize {
        row * self.slots + slot
    }

    fn put_text(&mut self, row: usize, slot: usize, value: &[u8]) -> Result<(), String> {
        let start = self.text.len();
        self.text.extend_from_slice(value);
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(self.text.len())) else {
            return Err(
                "a batch of string values passes 4 GiB; this is not a flow-log file".into(),
            );
        };
        let cell = self.cell(row, slot);
        self.ranges[cell] = (start, end);
        Ok(())
    }

    fn put_int(&mut self, row: usize, slot: usize, value: i64) -> Result<(), String> {
        let cell = self.cell(row, slot);
        self.ints[cell] = Some(value);
        Ok(())
    }

    /// Stores an integer in a slot that wants one, or its decimal text in
    /// a string slot.
    fn put_number(
        &mut self,
        row: usize,
        slot: usize,
        value: i64,
        wants_int: bool,
    ) -> Result<(), String> {
        if wants_int {
            return self.put_int(row, slot, value);
        }
        let mut digits = [0u8; 20];
        let mut cursor = &mut digits[..];
        write!(cursor, "{value}").expect("20 bytes hold any i64");
        let len = 20 - cursor.len();
        self.put_text(row, slot, &digits[..len])
    }

    /// Stores a string in a string slot, or parses it as the text reader
    /// does in an integer slot.
    fn put_bytes(
        &mut self,
        row: usize,
        slot: usize,
        value: &[u8],
        wants_int: bool,
    ) -> Result<(), String> {
        if !wants_int {
            return self.put_text(row, slot, value);
        }
        match super::record::parse_int(value, false) {
            Some(v) => self.put_int(row, slot, v),
            None => Ok(()),
        }
    }
}

/// A column reader of one of the stored types flow-log columns use.
enum Reader {
    Int32(ColumnReaderImpl<Int32Type>),
    Int64(ColumnReaderImpl<Int64Type>),
    Bytes(ColumnReaderImpl<ByteArrayType>),
    Fixed(ColumnReaderImpl<FixedLenByteArrayType>),
    /// A BYTE_ARRAY chunk in the encodings `strings.rs` decodes itself.
    Strings(StringColumn),
}

fn read_group(
    entry: &FileEntry,
    group_reader: &dyn RowGroupReader,
    group: &RowGroupMetaData,
    sources: &[Option<Source>],
    batch: &mut Batch,
    stop: &dyn Fn() -> bool,
    on_record: &mut dyn FnMut(&Record) -> Flow,
) -> Result<Flow, LocalError> {
    let (account, region) = (entry.account.as_deref(), entry.region.as_deref());
    let mut readers: Vec<(usize, Source, i16, Reader)> = Vec::new();
    for (slot, source) in sources.iter().enumerate() {
        let Some(source) = *source else { continue };
        let descriptor = group.schema_descr().column(source.column);
        let max_def = descriptor.max_def_level();
        let chunk = group.column(source.column);
        let max_rep = descriptor.max_rep_level();
        if chunk.column_type() == PhysicalType::BYTE_ARRAY
            && strings::handles(chunk, max_def, max_rep)
        {
            let pages = group_reader
                .get_column_page_reader(source.column)
                .map_err(|e| corrupt(entry, e.to_string()))?;
            let reader = Reader::Strings(StringColumn::new(pages, max_def));
            readers.push((slot, source, max_def, reader));
            continue;
        }
        let reader = group_reader
            .get_column_reader(source.column)
            .map_err(|e| corrupt(entry, e.to_string()))?;
        let reader = match reader {
            ColumnReader::Int32ColumnReader(r) => Reader::Int32(r),
            ColumnReader::Int64ColumnReader(r) => Reader::Int64(r),
            ColumnReader::ByteArrayColumnReader(r) => Reader::Bytes(r),
            ColumnReader::FixedLenByteArrayColumnReader(r) => Reader::Fixed(r),
            _ => unreachable!("find_columns accepts only these types"),
        };
        readers.push((slot, source, max_def, reader));
    }
    let mut remaining = usize::try_from(group.num_rows())
        .map_err(|_| corrupt(entry, "a row group has a negative row count".into()))?;
    while remaining > 0 {
        if stop() {
            return Ok(Flow::Stop);
        }
        let rows = remaining.min(BATCH);
        batch.reset(rows);
        for (slot, source, max_def, reader) in &mut readers {
            decode(reader, *slot, *source, *max_def, rows, batch).map_err(|detail| {
                corrupt(
                    entry,
                    format!("column {}: {detail}", column_name(group, source.column)),
                )
            })?;
        }
        let slots = batch.slots;
        for row in 0..rows {
            let cells = row * slots..(row + 1) * slots;
            let record = Record::typed(
                &batch.text,
                &batch.ranges[cells.clone()],
                &batch.ints[cells],
                account,
                region,
            );
            if on_record(&record) == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        remaining -= rows;
    }
    Ok(Flow::Continue)
}

fn column_name(group: &RowGroupMetaData, column: usize) -> String {
    format!("'{}'", group.schema_descr().column(column).name())
}

/// Reads `rows` rows of one column into the batch.
fn decode(
    reader: &mut Reader,
    slot: usize,
    source: Source,
    max_def: i16,
    rows: usize,
    batch: &mut Batch,
) -> Result<(), String> {
    let mut scratch = std::mem::take(&mut batch.scratch);
    let levels = &mut scratch.def_levels;
    let wants_int = source.wants_int;
    let result = match reader {
        Reader::Int32(r) => read_column(r, &mut scratch.int32s, levels, max_def, rows, |row, v| {
            batch.put_number(row, slot, i64::from(*v), wants_int)
        }),
        Reader::Int64(r) => read_column(r, &mut scratch.int64s, levels, max_def, rows, |row, v| {
            batch.put_number(row, slot, *v, wants_int)
        }),
        Reader::Bytes(r) => read_column(r, &mut scratch.bytes, levels, max_def, rows, |row, v| {
            batch.put_bytes(row, slot, v.data(), wants_int)
        }),
        Reader::Fixed(r) => read_column(r, &mut scratch.fixed, levels, max_def, rows, |row, v| {
            batch.put_bytes(row, slot, v.data(), wants_int)
        }),
        Reader::Strings(column) => column.read(rows, |row, value| {
            batch.put_bytes(row, slot, value, wants_int)
        }),
    };
    batch.scratch = scratch;
    result
}

/// Reads `rows` rows of a column of any stored type into `values` and
/// `def_levels`, and calls `put(row, value)` for each row that is not NULL.
fn read_column<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    values: &mut Vec<T::T>,
    def_levels: &mut Vec<i16>,
    max_def: i16,
    rows: usize,
    mut put: impl FnMut(usize, &T::T) -> Result<(), String>,
) -> Result<(), String> {
    values.clear();
    def_levels.clear();
    let levels = (max_def > 0).then_some(&mut *def_levels);
    let (read, _, _) = reader
        .read_records(rows, levels, None, values)
        .map_err(|e| e.to_string())?;
    check_rows(read, rows)?;
    place(def_levels, max_def, rows, values.len(), |row, i| {
        put(row, &values[i])
    })
}

fn check_rows(read: usize, wanted: usize) -> Result<(), String> {
    if read == wanted {
        Ok(())
    } else {
        Err(format!(
            "{read} rows where the row group promised {wanted}; the file is damaged or cut short"
        ))
    }
}

/// Calls `put(row, value index)` for each row that has a value: every row
/// of a required column, the rows whose definition level is the maximum in
/// an optional one (the others are NULL).
fn place(
    def_levels: &[i16],
    max_def: i16,
    rows: usize,
    values: usize,
    mut put: impl FnMut(usize, usize) -> Result<(), String>,
) -> Result<(), String> {
    if max_def == 0 {
        if values != rows {
            return Err(format!("{values} values for {rows} rows"));
        }
        return (0..rows).try_for_each(|row| put(row, row));
    }
    if def_levels.len() != rows {
        return Err(format!(
            "{} definition levels for {rows} rows",
            def_levels.len()
        ));
    }
    let mut next = 0;
    for (row, level) in def_levels.iter().enumerate() {
        if *level == max_def {
            if next >= values {
                return Err("fewer values than the definition levels say".into());
            }
            put(row, next)?;
            next += 1;
        }
    }
    Ok(())
}
