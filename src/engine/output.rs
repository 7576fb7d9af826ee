//! Result rows and the formats they are written in: an aligned table for
//! people, CSV, JSON and JSON Lines for pipes. Every engine (Athena, the
//! local engine, Trino) writes through a [`RowSink`], so the same query
//! prints the same way wherever it ran.
//!
//! Sinks stream: rows are written as they come, except that the table
//! format holds the first [`TABLE_SAMPLE`] rows to size its columns.

use crate::json::json_string;
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

impl Cell {
    /// The value as text: empty for NULL, shortest round-trip form for
    /// floats.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(n) => n.to_string(),
            Cell::Float(f) => format_float(*f),
            Cell::Text(s) => s.clone(),
        }
    }
}

fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
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
    pub const ALL: [Format; 4] = [Format::Table, Format::Csv, Format::Json, Format::Jsonl];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Where result rows go.
pub trait RowSink {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()>;
    fn row(&mut self, row: &[Cell]) -> io::Result<()>;
    /// Writes what is still held and flushes.
    fn finish(&mut self) -> io::Result<()>;
}

pub fn sink<'a>(format: Format, out: Box<dyn Write + 'a>) -> Box<dyn RowSink + 'a> {
    match format {
        Format::Table => Box::new(TableSink::new(out)),
        Format::Csv => Box::new(CsvSink { out }),
        Format::Json => Box::new(JsonSink {
            out,
            columns: Vec::new(),
            rows: 0,
            lines: false,
        }),
        Format::Jsonl => Box::new(JsonSink {
            out,
            columns: Vec::new(),
            rows: 0,
            lines: true,
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
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Null => "NULL".to_string(),
                other => printable(&other.to_text()),
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
}

/// RFC 4180: quote fields with a comma, quote or line break; NULL is empty.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl RowSink for CsvSink<'_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        let names: Vec<String> = columns.iter().map(|c| csv_field(&c.name)).collect();
        write!(self.out, "{}\r\n", names.join(","))
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        let cells: Vec<String> = row.iter().map(|c| csv_field(&c.to_text())).collect();
        write!(self.out, "{}\r\n", cells.join(","))
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

// ------------------------------------------------------------------ json

struct JsonSink<'a> {
    out: Box<dyn Write + 'a>,
    columns: Vec<ColumnInfo>,
    rows: usize,
    /// JSON Lines (one object per line) rather than one array.
    lines: bool,
}

fn json_value(cell: &Cell) -> String {
    match cell {
        Cell::Null => "null".into(),
        Cell::Int(n) => n.to_string(),
        Cell::Float(f) if f.is_finite() => format_float(*f),
        Cell::Float(_) => "null".into(),
        Cell::Text(s) => json_string(s),
    }
}

impl RowSink for JsonSink<'_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        self.columns = columns.to_vec();
        if !self.lines {
            write!(self.out, "[")?;
        }
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        let fields: Vec<String> = self
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| format!("{}:{}", json_string(&c.name), json_value(v)))
            .collect();
        let object = format!("{{{}}}", fields.join(","));
        if self.lines {
            writeln!(self.out, "{object}")?;
        } else {
            let separator = if self.rows == 0 { "\n" } else { ",\n" };
            write!(self.out, "{separator}{object}")?;
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
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
