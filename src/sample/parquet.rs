//! A sample file as Parquet, shaped like the flow-log service's
//! (reference §1.4, §2): one column per field of the format, named as the
//! Athena column (`account_id`), `version`, ports, `protocol`,
//! `tcp_flags` and `traffic_path` INT32, `packets`, `bytes`, `start` and
//! `end` INT64, the rest UTF-8 strings; every column optional, NULL where
//! the text format writes `-`; GZIP compression, as AWS's.
//!
//! The records are the text writer's lines, split again: the two formats
//! hold the same records for the same seed by construction.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, GzipLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::schema::{Field, FieldType};

/// Rows per row group: the service's own size is not documented; this
/// keeps several row groups in a busy file, so their statistics matter.
pub const ROW_GROUP_ROWS: usize = 10_000;

/// How a field is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int32,
    Int64,
    Text,
}

fn kind(field: &Field) -> Kind {
    match field.ty {
        FieldType::Int => Kind::Int32,
        FieldType::BigInt if field.parquet_int32 => Kind::Int32,
        FieldType::BigInt => Kind::Int64,
        FieldType::Text | FieldType::Address => Kind::Text,
    }
}

/// The Parquet schema of a format's fields.
fn message_type(fields: &[&Field]) -> String {
    let mut message = String::from("message flow_log {\n");
    for field in fields {
        let ty = match kind(field) {
            Kind::Int32 => "int32",
            Kind::Int64 => "int64",
            Kind::Text => "binary",
        };
        let annotation = if kind(field) == Kind::Text {
            " (STRING)"
        } else {
            ""
        };
        message.push_str(&format!("  optional {ty} {}{annotation};\n", field.column));
    }
    message.push('}');
    message
}

/// Writes `lines` (records as text, one per line, fields in the order of
/// `fields`, no header) to `path` as Parquet, in row groups of at most
/// `row_group_rows`.
pub(super) fn write(
    path: &Path,
    fields: &[&Field],
    lines: &[u8],
    row_group_rows: usize,
    compression: Compression,
) -> io::Result<()> {
    let schema = parse_message_type(&message_type(fields)).map_err(io::Error::other)?;
    let properties = WriterProperties::builder()
        .set_compression(compression)
        .set_created_by("flowq sample".into())
        .build();
    let file = File::create(path)?;
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(properties))
        .map_err(io::Error::other)?;
    let records: Vec<&[u8]> = lines
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    for group in records.chunks(row_group_rows.max(1)) {
        let mut group_writer = writer.next_row_group().map_err(io::Error::other)?;
        let mut column = 0;
        while let Some(mut column_writer) = group_writer.next_column().map_err(io::Error::other)? {
            let values = group.iter().map(|line| nth_field(line, column));
            write_column(column_writer.untyped(), kind(fields[column]), values)?;
            column_writer.close().map_err(io::Error::other)?;
            column += 1;
        }
        group_writer.close().map_err(io::Error::other)?;
    }
    writer.close().map_err(io::Error::other)?;
    Ok(())
}

/// The `n`th space-separated field of a line; `None` for `-`.
fn nth_field(line: &[u8], n: usize) -> Option<&[u8]> {
    line.split(|b| *b == b' ')
        .nth(n)
        .filter(|value| *value != b"-")
}

fn write_column<'a>(
    writer: &mut ColumnWriter,
    kind: Kind,
    values: impl Iterator<Item = Option<&'a [u8]>>,
) -> io::Result<()> {
    let mut levels = Vec::new();
    let int = |v: &[u8]| -> io::Result<i64> {
        std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("the sample wrote a number that does not parse"))
    };
    let written = match (writer, kind) {
        (ColumnWriter::Int32ColumnWriter(w), Kind::Int32) => {
            let mut present = Vec::new();
            for value in values {
                levels.push(i16::from(value.is_some()));
                if let Some(v) = value {
                    let v = i32::try_from(int(v)?).map_err(io::Error::other)?;
                    present.push(v);
                }
            }
            w.write_batch(&present, Some(&levels), None)
        }
        (ColumnWriter::Int64ColumnWriter(w), Kind::Int64) => {
            let mut present = Vec::new();
            for value in values {
                levels.push(i16::from(value.is_some()));
                if let Some(v) = value {
                    present.push(int(v)?);
                }
            }
            w.write_batch(&present, Some(&levels), None)
        }
        (ColumnWriter::ByteArrayColumnWriter(w), Kind::Text) => {
            let mut present = Vec::new();
            for value in values {
                levels.push(i16::from(value.is_some()));
                if let Some(v) = value {
                    present.push(ByteArray::from(v.to_vec()));
                }
            }
            w.write_batch(&present, Some(&levels), None)
        }
        _ => unreachable!("the schema is built from the same kinds"),
    };
    written.map(|_| ()).map_err(io::Error::other)
}

/// GZIP at the default level, as the service compresses.
pub(super) fn gzip() -> Compression {
    Compression::GZIP(GzipLevel::default())
}
