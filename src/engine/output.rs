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

use crate::json::{json_string, push_json_string};
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
    /// A row as borrowed values, one per column. The default builds owned
    /// cells for [`RowSink::row`]; the formatting sinks write them as they
    /// come.
    fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> io::Result<()> {
        let owned: Vec<Cell> = row.map(CellRef::owned).collect();
        self.row(&owned)
    }
    /// Writes what is still held and flushes.
    fn finish(&mut self) -> io::Result<()>;
    /// Whether rows may be formatted apart, into [`CsvLines`], and handed
    /// over with [`RowSink::csv_lines`]: only a CSV sink, whose rows do
    /// not depend on the rows before them.
    fn takes_csv_lines(&self) -> bool {
        false
    }
    /// Writes rows formatted into `lines`, after the rows before.
    fn csv_lines(&mut self, lines: &CsvLines) -> io::Result<()> {
        let _ = lines;
        Err(io::Error::other("this output does not take CSV lines"))
    }
}

/// The size of the texts [`CsvLines::push_padded_cell`] takes.
pub const PADDED_CELL: usize = 16;

/// CSV rows formatted into memory, exactly as a CSV sink formats them,
/// for a sink that [takes them](RowSink::takes_csv_lines): a caller that
/// has each row's cells one by one (the local engine's groups) formats
/// them here with no buffer or dynamic call between.
#[derive(Debug, Default)]
pub struct CsvLines {
    text: String,
}

impl CsvLines {
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Bytes formatted.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Adds the `column`th cell of the row being formatted, for a caller
    /// that has its cells one by one; [`CsvLines::end_row`] ends the row.
    #[inline]
    pub fn push_cell(&mut self, column: usize, cell: CellRef) {
        push_csv_cell(&mut self.text, column, cell);
    }

    /// [`CsvLines::push_cell`] for the first `len` bytes of `padded`, a
    /// text that never needs quotes (an IPv4 address's digits and dots),
    /// so it is not searched for them, padded to [`PADDED_CELL`] bytes.
    /// All of `padded` is copied and the padding cut off again: a copy of
    /// a known size is a few moves, where one of `len` bytes was a call
    /// to `memmove` for every address written.
    #[inline]
    pub fn push_padded_cell(&mut self, column: usize, padded: &str, len: usize) {
        debug_assert!(!needs_quotes(&padded[..len]));
        push_csv_separator(&mut self.text, column);
        let end = self.text.len() + len;
        match <&[u8; PADDED_CELL]>::try_from(padded.as_bytes()) {
            Ok(_) => self.text.push_str(&padded[..PADDED_CELL]),
            Err(_) => self.text.push_str(padded),
        }
        self.text.truncate(end);
    }

    pub fn end_row(&mut self) {
        end_csv_row(&mut self.text);
    }
}

/// A sink that keeps everything: columns and rows (the Trino client's
/// result, the rows a chart is drawn from, a timechart's groups).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Vec<Cell>>,
}

impl RowSink for Rows {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        self.columns = columns.to_vec();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        self.rows.push(row.to_vec());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
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

/// Where `--output` rows go. A regular file (or a new one) takes its
/// name only once complete: rows go to a temporary file beside it, renamed
/// over it by [`PendingFile::commit`], so a query that fails leaves an
/// existing file as it was; the new file keeps the old one's mode (and
/// owner). A symlink is followed, and its target replaced; the link stays.
/// A character device or a FIFO (`/dev/null`, a named pipe), and any path
/// in /dev or /proc (`/dev/stdout`), is written straight through: there is
/// no file of the user's to replace. Anything else (a folder, a read-only
/// file) is refused before the query runs. docs/cli.md has the rules.
pub struct PendingFile {
    kind: Pending,
}

enum Pending {
    /// Rows go to `temporary`, renamed over `path` on commit.
    Replace {
        path: PathBuf,
        temporary: PathBuf,
        file: File,
        committed: bool,
    },
    Through(File),
}

/// What flowq does with a pending file's temporary on Ctrl-C (SIGINT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnInterrupt {
    /// Removes it and exits with 130: nothing else listens for Ctrl-C.
    Exit,
    /// Leaves it to the engine, which stops its query on Ctrl-C and
    /// returns an error, and so drops (and removes) the pending file.
    LeaveToEngine,
}

impl PendingFile {
    /// Prepares `path` for rows. On SIGTERM or SIGHUP (and on SIGINT with
    /// [`OnInterrupt::Exit`]), flowq removes the temporary file and exits
    /// (143, 129, 130): no `.flowq-*.tmp` is left behind.
    pub fn create(path: &Path, on_interrupt: OnInterrupt) -> io::Result<PendingFile> {
        if in_system_folder(path) {
            return Self::through(path);
        }
        let target = follow_links(path)?;
        let existing = match std::fs::metadata(&target) {
            Ok(metadata) => Some(metadata),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(annotate(e, "cannot use", &target)),
        };
        let Some(existing) = existing else {
            return Self::replace(&target, None, on_interrupt);
        };
        let kind = existing.file_type();
        if kind.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is a folder; give a file name, e.g. {}",
                    path.display(),
                    path.join("rows.csv").display()
                ),
            ));
        }
        if kind.is_file() {
            writable(path, &target, &existing)?;
            return Self::replace(&target, Some(&existing), on_interrupt);
        }
        if written_through(&kind) {
            return Self::through(path);
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is neither a regular file, a character device nor a FIFO; give a file name",
                path.display()
            ),
        ))
    }

    /// Rows written straight to `path`, appended (a file reached through
    /// `/dev/stdout` keeps what the shell or others wrote before).
    fn through(path: &Path) -> io::Result<PendingFile> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| annotate(e, "cannot open", path))?;
        Ok(PendingFile {
            kind: Pending::Through(file),
        })
    }

    /// A temporary file beside `target`, with `existing`'s mode and owner.
    fn replace(
        target: &Path,
        existing: Option<&std::fs::Metadata>,
        on_interrupt: OnInterrupt,
    ) -> io::Result<PendingFile> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
        cleanup::install(on_interrupt)?;
        let mut registered = cleanup::register();
        let (temporary, file) = create_temporary(target, name)?;
        registered.push(temporary.clone());
        drop(registered);
        let pending = PendingFile {
            kind: Pending::Replace {
                path: target.to_path_buf(),
                temporary,
                file,
                committed: false,
            },
        };
        if let (Some(existing), Pending::Replace { file, .. }) = (existing, &pending.kind) {
            // Dropping `pending` on error removes the temporary.
            keep_mode_and_owner(file, existing, target)?;
        }
        Ok(pending)
    }

    pub fn file(&self) -> &File {
        match &self.kind {
            Pending::Replace { file, .. } | Pending::Through(file) => file,
        }
    }

    pub fn commit(mut self) -> io::Result<()> {
        let Pending::Replace {
            path,
            temporary,
            file,
            committed,
        } = &mut self.kind
        else {
            return Ok(());
        };
        file.sync_all()?;
        let mut registered = cleanup::register();
        std::fs::rename(&*temporary, &*path).map_err(|e| annotate(e, "cannot replace", path))?;
        registered.retain(|p| p != temporary);
        *committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Pending::Replace {
            temporary,
            committed: false,
            ..
        } = &self.kind
        {
            let mut registered = cleanup::register();
            let _ = std::fs::remove_file(temporary);
            registered.retain(|p| p != temporary);
        }
    }
}

fn annotate(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

/// Whether `path` lies in /dev or /proc, which hold devices and links to
/// open files (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`), never
/// results: such a path is written through, whatever it leads to (a
/// pipe, a terminal, the file the shell redirected to), never replaced.
fn in_system_folder(path: &Path) -> bool {
    if !cfg!(unix) {
        return false;
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    parent.starts_with("/dev") || parent.starts_with("/proc")
}

/// `path` with symlinks in its last part followed to what they name
/// (which may not exist yet), so that the target is replaced, not the link.
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // The system's own limit on links in a path (Linux: 40).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(annotate(e, "cannot use", path)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: too many levels of symbolic links", path.display()),
    ))
}

/// Refuses a regular file flowq could not write in place: replacing it by
/// renaming would get round its permissions.
fn writable(path: &Path, target: &Path, existing: &std::fs::Metadata) -> io::Result<()> {
    if existing.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is read-only{}; flowq does not replace a file that may not be written: make it writable (chmod u+w) or give another file",
                path.display(),
                mode_note(existing)
            ),
        ));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .map(drop)
        .map_err(|e| annotate(e, "cannot write", path))
}

#[cfg(unix)]
fn mode_note(metadata: &std::fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    format!(" (mode {:04o})", metadata.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_note(_metadata: &std::fs::Metadata) -> String {
    String::new()
}

#[cfg(unix)]
fn written_through(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_char_device() || kind.is_fifo()
}

#[cfg(not(unix))]
fn written_through(_kind: &std::fs::FileType) -> bool {
    false
}

/// Creates `.<name>.flowq-<pid>[-n].tmp` beside `target`, never over an
/// existing file.
fn create_temporary(target: &Path, name: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for attempt in 0..100 {
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".flowq-{}", std::process::id()));
        if attempt > 0 {
            temporary_name.push(format!("-{attempt}"));
        }
        temporary_name.push(".tmp");
        let temporary = target.with_file_name(temporary_name);
        match File::options()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(temporary),
            Err(e) => return Err(annotate(e, "cannot create", &temporary)),
        }
    }
    let taken = last.unwrap_or_default();
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "cannot create a temporary file beside {}: names like {} are taken",
            target.display(),
            taken.display()
        ),
    ))
}

/// Gives the temporary file the mode and owner of the file it replaces;
/// an owner flowq cannot give it is an error, not a silent change.
#[cfg(unix)]
fn keep_mode_and_owner(file: &File, existing: &std::fs::Metadata, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = existing.permissions().mode() & 0o777;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| annotate(e, "cannot keep the mode of", path))?;
    let ours = file.metadata()?;
    if (ours.uid(), ours.gid()) != (existing.uid(), existing.gid()) {
        std::os::unix::fs::fchown(file, Some(existing.uid()), Some(existing.gid())).map_err(
            |e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot keep the owner of {} (uid {}, gid {}): {e}; replacing it would give it to you: give another file",
                        path.display(),
                        existing.uid(),
                        existing.gid()
                    ),
                )
            },
        )?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &File, existing: &std::fs::Metadata, path: &Path) -> io::Result<()> {
    file.set_permissions(existing.permissions())
        .map_err(|e| annotate(e, "cannot keep the mode of", path))
}

/// Removing pending temporary files when a signal ends the process, which
/// runs no destructors.
mod cleanup {
    use std::path::PathBuf;
    use std::sync::{Mutex, MutexGuard, OnceLock};

    use super::OnInterrupt;

    static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    /// The list of temporary files, locked: a commit or removal holds it,
    /// and so does the exit on a signal, so neither runs halfway.
    pub fn register() -> MutexGuard<'static, Vec<PathBuf>> {
        TEMPORARIES.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts listening for the signals, once per process (the first
    /// caller's `on_interrupt` holds); returns once it listens.
    pub fn install(on_interrupt: OnInterrupt) -> std::io::Result<()> {
        static LISTENING: OnceLock<Result<(), String>> = OnceLock::new();
        LISTENING
            .get_or_init(|| listen(on_interrupt))
            .clone()
            .map_err(std::io::Error::other)
    }

    fn listen(on_interrupt: OnInterrupt) -> Result<(), String> {
        let (ready, listening) = std::sync::mpsc::channel::<Result<(), String>>();
        std::thread::Builder::new()
            .name("flowq-signals".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(format!("cannot listen for signals: {e}")));
                        return;
                    }
                };
                runtime.block_on(wait_and_exit(on_interrupt, ready));
            })
            .map_err(|e| format!("cannot listen for signals: {e}"))?;
        listening
            .recv()
            .map_err(|_| "cannot listen for signals".to_string())?
    }

    #[cfg(unix)]
    async fn wait_and_exit(
        on_interrupt: OnInterrupt,
        ready: std::sync::mpsc::Sender<Result<(), String>>,
    ) {
        use tokio::signal::unix::{signal, SignalKind};
        let streams = (|| {
            let interrupt = match on_interrupt {
                OnInterrupt::Exit => Some(signal(SignalKind::interrupt())?),
                OnInterrupt::LeaveToEngine => None,
            };
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
                interrupt,
            ))
        })();
        let (mut terminate, mut hangup, mut interrupt) = match streams {
            Ok(streams) => streams,
            Err(e) => {
                let _ = ready.send(Err(format!("cannot listen for signals: {e}")));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let interrupted = async {
            match &mut interrupt {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        let code = tokio::select! {
            _ = terminate.recv() => 128 + 15,
            _ = hangup.recv() => 128 + 1,
            _ = interrupted => 128 + 2,
        };
        remove_all_and_exit(code);
    }

    #[cfg(not(unix))]
    async fn wait_and_exit(
        on_interrupt: OnInterrupt,
        ready: std::sync::mpsc::Sender<Result<(), String>>,
    ) {
        let _ = ready.send(Ok(()));
        match on_interrupt {
            OnInterrupt::Exit => {
                if tokio::signal::ctrl_c().await.is_ok() {
                    remove_all_and_exit(130);
                }
            }
            OnInterrupt::LeaveToEngine => {}
        }
    }

    fn remove_all_and_exit(code: i32) -> ! {
        // Held until the process is gone: no commit renames meanwhile.
        let temporaries = register();
        for path in temporaries.iter() {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(code)
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

/// Formatted rows are written in pieces of at least this many bytes (by
/// the sinks, and by the local engine's groups into [`CsvLines`]): a
/// million rows through an 8 KiB `BufWriter` were 5,000 system calls, and
/// 256 KiB wrote the pairs' 35 MB of CSV in 70.5 ms where 64 KiB took
/// 74.3 (docs/benchmarks.md, the seventh round). The piece stays in the L2
/// cache between formatting and the kernel's copy.
pub(crate) const WRITE_PIECE: usize = 256 << 10;

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
        push_csv_row(&mut self.line, row);
        write_piece(&mut self.out, &mut self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(self.line.as_bytes())?;
        self.line.clear();
        self.out.flush()
    }

    fn takes_csv_lines(&self) -> bool {
        true
    }

    fn csv_lines(&mut self, lines: &CsvLines) -> io::Result<()> {
        self.out.write_all(self.line.as_bytes())?;
        self.line.clear();
        self.out.write_all(lines.text.as_bytes())
    }
}

/// A row as one CSV line, ended by CRLF (RFC 4180).
fn push_csv_row(line: &mut String, row: &mut dyn Iterator<Item = CellRef<'_>>) {
    for (i, cell) in row.enumerate() {
        push_csv_cell(line, i, cell);
    }
    end_csv_row(line);
}

/// The `column`th cell of a CSV line, after the ones before it.
#[inline]
fn push_csv_cell(line: &mut String, column: usize, cell: CellRef) {
    push_csv_separator(line, column);
    match cell {
        CellRef::Text(s) => push_csv_text(line, s),
        other => push_text(line, other),
    }
}

/// The comma before every cell but a line's first.
#[inline]
fn push_csv_separator(line: &mut String, column: usize) {
    if column > 0 {
        line.push(',');
    }
}

fn end_csv_row(line: &mut String) {
    line.push_str("\r\n");
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
        let abandoned = PendingFile::create(&path, OnInterrupt::LeaveToEngine).unwrap();
        abandoned.file().write_all(b"partial").unwrap();
        drop(abandoned);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let pending = PendingFile::create(&path, OnInterrupt::LeaveToEngine).unwrap();
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
