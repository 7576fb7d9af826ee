//! Result rows and the formats they are written in: an aligned table for
//! people, CSV, JSON and JSON Lines for pipes. Every engine (Athena, the
//! local engine, Trino) writes through a [`RowSink`], so the same query
//! prints the same way wherever it ran.
//!
//! Sinks stream: rows are written as they come, except that the table
//! format holds the first [`TABLE_SAMPLE`] rows to size its columns. The
//! CSV and JSON sinks format each row into one reused line buffer (integers
//! through `itoa`) and write it whole, so a result of a million rows costs
//! no allocation per row.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One value of a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

/// A value of a result row, borrowed: what the sinks format. Producers
/// that hold their values in their own form (the local engine's groups)
/// hand rows over as these, without building a [`Cell`] per value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CellRef<'a> {
    Null,
    Int(i64),
    Float(f64),
    Text(&'a str),
}

impl Cell {
    /// The value as text: empty for NULL, shortest round-trip form for
    /// floats.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        push_text(&mut text, self.borrowed());
        text
    }

    pub fn borrowed(&self) -> CellRef<'_> {
        match self {
            Cell::Null => CellRef::Null,
            Cell::Int(n) => CellRef::Int(*n),
            Cell::Float(f) => CellRef::Float(*f),
            Cell::Text(s) => CellRef::Text(s),
        }
    }
}

impl CellRef<'_> {
    pub fn owned(self) -> Cell {
        match self {
            CellRef::Null => Cell::Null,
            CellRef::Int(n) => Cell::Int(n),
            CellRef::Float(f) => Cell::Float(f),
            CellRef::Text(s) => Cell::Text(s.to_string()),
        }
    }
}

/// Appends a value as text: nothing for NULL, shortest round-trip form for
/// floats (with `.0` on whole numbers below 10^15).
fn push_text(out: &mut String, cell: CellRef) {
    match cell {
        CellRef::Null => {}
        CellRef::Int(n) => out.push_str(itoa::Buffer::new().format(n)),
        CellRef::Float(f) => push_float(out, f),
        CellRef::Text(s) => out.push_str(s),
    }
}

fn push_float(out: &mut String, f: f64) {
    // Writing into a String cannot fail.
    let _ = if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        write!(out, "{f:.1}")
    } else {
        write!(out, "{f}")
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    /// Numbers are right-aligned in tables and unquoted in JSON.
    pub numeric: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
    Jsonl,
}

impl Format {
    pub const NAMES: [&'static str; 4] = ["table", "csv", "json", "jsonl"];

    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            _ => return None,
        })
    }
}

/// Where result rows go.
pub trait RowSink {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()>;
    fn row(&mut self, row: &[Cell]) -> io::Result<()>;
    /// A row as borrowed values, one per column. The default builds owned
    /// cells for [`RowSink::row`]; the formatting sinks write them as they
    /// come.
    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        let owned: Vec<Cell> = row.map(CellRef::owned).collect();
        self.row(&owned)
    }
    /// Writes what is still held and flushes.
    fn finish(&mut self) -> io::Result<()>;
}

pub fn sink<'a>(format: Format, out: Box<dyn Write + 'a>) -> Box<dyn RowSink + 'a> {
    match format {
        Format::Table => Box::new(TableSink::new(out)),
        Format::Csv => Box::new(CsvSink {
            out,
            line: String::new(),
        }),
        Format::Json => Box::new(JsonSink {
            out,
            names: Vec::new(),
            rows: 0,
            lines: false,
            line: String::new(),
        }),
        Format::Jsonl => Box::new(JsonSink {
            out,
            names: Vec::new(),
            rows: 0,
            lines: true,
            line: String::new(),
        }),
    }
}

// ------------------------------------------------------------------ files

/// An output file that takes its name only once complete: rows go to a
/// temporary file beside it, renamed over `path` by [`PendingFile::commit`].
/// A query that fails leaves an existing file as it was.
pub struct PendingFile {
    path: PathBuf,
    temporary: PathBuf,
    file: File,
    committed: bool,
}

impl PendingFile {
    pub fn create(path: &Path) -> io::Result<PendingFile> {
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".flowq-{}.tmp", std::process::id()));
        let temporary = path.with_file_name(temporary_name);
        let file = File::create(&temporary).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", temporary.display()),
            )
        })?;
        Ok(PendingFile {
            path: path.to_path_buf(),
            temporary,
            file,
            committed: false,
        })
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.temporary, &self.path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot replace {}: {e}", self.path.display()),
            )
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

// ------------------------------------------------------------------ table

/// Rows held to size the table's columns before printing starts.
pub const TABLE_SAMPLE: usize = 1000;

struct TableSink<'a> {
    out: Box<dyn Write + 'a>,
    columns: Vec<ColumnInfo>,
    held: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
}

impl<'a> TableSink<'a> {
    fn new(out: Box<dyn Write + 'a>) -> Self {
        TableSink {
            out,
            columns: Vec::new(),
            held: Vec::new(),
            widths: None,
        }
    }

    fn settle_widths(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(&c.name)).collect();
        for row in &self.held {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let header: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        self.write_line(&header, &widths, false)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        self.write_line(&rule, &widths, false)?;
        for row in std::mem::take(&mut self.held) {
            self.write_line(&row, &widths, true)?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    fn write_line(&mut self, cells: &[String], widths: &[usize], align: bool) -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = w.saturating_sub(width(cell));
            let right = align && self.columns[i].numeric;
            if right {
                line.push_str(&" ".repeat(pad));
            }
            line.push_str(cell);
            if !right && i + 1 < cells.len() {
                line.push_str(&" ".repeat(pad));
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Control characters would break the table's lines.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl RowSink for TableSink<'_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        self.columns = columns.to_vec();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        self.row_refs(&mut row.iter().map(Cell::borrowed))
    }

    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        let cells: Vec<String> = row
            .map(|c| match c {
                CellRef::Null => "NULL".to_string(),
                other => {
                    let mut text = String::new();
                    push_text(&mut text, other);
                    printable(&text)
                }
            })
            .collect();
        match self.widths.clone() {
            Some(widths) => self.write_line(&cells, &widths, true),
            None => {
                self.held.push(cells);
                if self.held.len() >= TABLE_SAMPLE {
                    self.settle_widths()?;
                }
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.widths.is_none() {
            self.settle_widths()?;
        }
        self.out.flush()
    }
}

// ------------------------------------------------------------------ csv

struct CsvSink<'a> {
    out: Box<dyn Write + 'a>,
    /// Rows formatted and not yet written.
    line: String,
}

/// Formatted rows are written in pieces of at least this many bytes: a
/// million rows through an 8 KiB `BufWriter` were 5,000 system calls.
const WRITE_PIECE: usize = 64 << 10;

/// Writes `pending` out once it holds a piece.
fn write_piece(out: &mut dyn Write, pending: &mut String) -> io::Result<()> {
    if pending.len() >= WRITE_PIECE {
        out.write_all(pending.as_bytes())?;
        pending.clear();
    }
    Ok(())
}

fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// RFC 4180: quote fields with a comma, quote or line break; NULL is empty.
fn csv_field(s: &str) -> String {
    let mut out = String::new();
    push_csv_text(&mut out, s);
    out
}

fn push_csv_text(out: &mut String, s: &str) {
    if needs_quotes(s) {
        out.push('"');
        for (i, part) in s.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

impl RowSink for CsvSink<'_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        let names: Vec<String> = columns.iter().map(|c| csv_field(&c.name)).collect();
        write!(self.out, "{}\r\n", names.join(","))
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        self.row_refs(&mut row.iter().map(Cell::borrowed))
    }

    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        for (i, cell) in row.enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            match cell {
                CellRef::Text(s) => push_csv_text(&mut self.line, s),
                other => push_text(&mut self.line, other),
            }
        }
        self.line.push_str("\r\n");
        write_piece(&mut self.out, &mut self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(self.line.as_bytes())?;
        self.line.clear();
        self.out.flush()
    }
}

// ------------------------------------------------------------------ json

struct JsonSink<'a> {
    out: Box<dyn Write + 'a>,
    /// Each column's name as a JSON string and a colon.
    names: Vec<String>,
    rows: usize,
    /// JSON Lines (one object per line) rather than one array.
    lines: bool,
    /// Rows formatted and not yet written.
    line: String,
}

pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_string(&mut out, s);
    out
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                // Writing into a String cannot fail.
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_json_value(out: &mut String, cell: CellRef) {
    match cell {
        CellRef::Null => out.push_str("null"),
        CellRef::Float(f) if !f.is_finite() => out.push_str("null"),
        CellRef::Text(s) => push_json_string(out, s),
        number => push_text(out, number),
    }
}

impl RowSink for JsonSink<'_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        self.names = columns.iter().map(|c| json_string(&c.name) + ":").collect();
        if !self.lines {
            write!(self.out, "[")?;
        }
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        self.row_refs(&mut row.iter().map(Cell::borrowed))
    }

    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        if !self.lines {
            self.line
                .push_str(if self.rows == 0 { "\n" } else { ",\n" });
        }
        self.line.push('{');
        for (i, (name, cell)) in self.names.iter().zip(row).enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            self.line.push_str(name);
            push_json_value(&mut self.line, cell);
        }
        self.line.push('}');
        if self.lines {
            self.line.push('\n');
        }
        self.rows += 1;
        write_piece(&mut self.out, &mut self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(self.line.as_bytes())?;
        self.line.clear();
        if !self.lines {
            writeln!(self.out, "{}]", if self.rows == 0 { "" } else { "\n" })?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: Format, rows: &[Vec<Cell>]) -> String {
        let mut buffer = Vec::new();
        {
            let mut sink = sink(format, Box::new(&mut buffer));
            sink.begin(&[
                ColumnInfo {
                    name: "srcaddr".into(),
                    numeric: false,
                },
                ColumnInfo {
                    name: "bytes".into(),
                    numeric: true,
                },
            ])
            .unwrap();
            for row in rows {
                sink.row(row).unwrap();
            }
            sink.finish().unwrap();
        }
        String::from_utf8(buffer).unwrap()
    }

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![Cell::Text("10.0.0.1".into()), Cell::Int(1500)],
            vec![Cell::Null, Cell::Null],
            vec![Cell::Text("a,\"b\"\n".into()), Cell::Float(2.5)],
        ]
    }

    #[test]
    fn a_pending_file_replaces_its_path_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("flowq-pending-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rows.csv");
        std::fs::write(&path, "old").unwrap();
        let abandoned = PendingFile::create(&path).unwrap();
        abandoned.file().write_all(b"partial").unwrap();
        drop(abandoned);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let pending = PendingFile::create(&path).unwrap();
        pending.file().write_all(b"new").unwrap();
        pending.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn table_right_aligns_numbers_and_shows_null() {
        assert_eq!(
            render(Format::Table, &rows()),
            "srcaddr   bytes\n--------  -----\n10.0.0.1   1500\nNULL       NULL\na,\"b\"       2.5\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it_and_leaves_null_empty() {
        assert_eq!(
            render(Format::Csv, &rows()),
            "srcaddr,bytes\r\n10.0.0.1,1500\r\n,\r\n\"a,\"\"b\"\"\n\",2.5\r\n"
        );
    }

    #[test]
    fn many_rows_come_out_whole_and_in_order() {
        // Far more than one written piece of CSV and of JSON Lines.
        let rows: Vec<Vec<Cell>> = (0..20_000)
            .map(|i| vec![Cell::Text(format!("10.0.{i}.1")), Cell::Int(i * 7)])
            .collect();
        let csv: String = (0..20_000)
            .map(|i| format!("10.0.{i}.1,{}\r\n", i * 7))
            .collect();
        assert_eq!(
            render(Format::Csv, &rows),
            format!("srcaddr,bytes\r\n{csv}")
        );
        let jsonl: String = (0..20_000)
            .map(|i| format!("{{\"srcaddr\":\"10.0.{i}.1\",\"bytes\":{}}}\n", i * 7))
            .collect();
        assert_eq!(render(Format::Jsonl, &rows), jsonl);
    }

    #[test]
    fn json_keeps_numbers_as_numbers() {
        assert_eq!(
            render(Format::Json, &rows()),
            "[\n{\"srcaddr\":\"10.0.0.1\",\"bytes\":1500},\n{\"srcaddr\":null,\"bytes\":null},\n{\"srcaddr\":\"a,\\\"b\\\"\\n\",\"bytes\":2.5}\n]\n"
        );
        assert_eq!(render(Format::Json, &[]), "[]\n");
        assert_eq!(
            render(Format::Jsonl, &rows()[..1]),
            "{\"srcaddr\":\"10.0.0.1\",\"bytes\":1500}\n"
        );
    }
}
