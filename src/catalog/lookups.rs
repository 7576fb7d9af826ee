//! Lookup tables: `lookups/<name>.csv` beside the saved searches, joined
//! to a query's rows by `| lookup <name> on <field>` (docs/catalog.md,
//! "Lookups").
//!
//! A table is CSV: a header line naming the columns (the key first), then
//! one row a line, fields separated by commas, a field with a comma or a
//! quote written in double quotes (`"a, b"`, `"say ""hi"""`). Lines that
//! start with `#` are comments and blank lines are skipped. A field holds
//! one line: flowq's own small reader (no CSV crate) keeps every error at
//! its line and column. Keys are unique and not empty; an empty field is
//! NULL in the output.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::catalog::folder::{self, CatalogFile};
use crate::catalog::search::is_valid_name;
use crate::lang::ast::Span;
use crate::lang::diagnostic::{Code, Diagnostic, Located, Severity, SourceText};
use crate::lang::ir::{LookupTable, Lookups};

/// The largest lookup file flowq reads (16 MiB): an account's ENIs fit
/// many times over, and memory stays bounded for anything else.
pub const MAX_LOOKUP_BYTES: usize = 16 << 20;

/// The most rows a lookup table may have.
pub const MAX_LOOKUP_ROWS: usize = 200_000;

/// The most columns a lookup table may have, its key included.
pub const MAX_LOOKUP_COLUMNS: usize = 64;

/// How the first line of a table flowq wrote starts (`flowq lookup
/// sync`, `flowq sample --enis-csv`): flowq replaces only files that
/// start with it, unless told to (`--force`).
pub const WRITTEN_BY_FLOWQ: &str = "# written by flowq";

/// The start of the first line of a table `flowq lookup sync` wrote.
pub const SYNC_COMMENT: &str = "# written by flowq lookup sync";

/// One lookup file, read and checked, with what `flowq check` says of it.
pub type LookupFile = CatalogFile<LookupTable>;

/// The lookups folder of a catalog: `lookups/` beside `searches/`.
pub fn folder_for(searches: &Path) -> PathBuf {
    folder::beside(searches, "lookups")
}

pub use folder::errors;

/// Every table of the folder `dir` (missing: no tables), each file read
/// once. Tables with errors are left out of the returned `Lookups`; their
/// errors are among the findings.
pub fn load_lookups(dir: &Path) -> (Lookups, Vec<LookupFile>) {
    let files = folder::load_all(dir, &["csv"], "lookup tables", load_lookup);
    let mut lookups = Lookups::default();
    for file in &files {
        if let Some(table) = file.usable() {
            lookups.insert(&file.name, table.clone());
        }
    }
    (lookups, files)
}

/// Reads and checks one lookup file.
pub fn load_lookup(path: &Path) -> LookupFile {
    let origin = path.display().to_string();
    let mut file = LookupFile::at(path);
    let name = file.name.clone();
    let text = match folder::read_capped(path, MAX_LOOKUP_BYTES, "the lookup table") {
        Ok(text) => text,
        Err(message) => {
            let help = Some("a lookup table is UTF-8 CSV text (docs/catalog.md)".to_string());
            file.findings
                .push(Located::error(&origin, "", (1, 1), message, help));
            file.has_errors = true;
            return file;
        }
    };
    if !is_valid_name(&name) {
        file.findings.push(Located::error(
            &origin,
            &text,
            (1, 1),
            format!("'{name}' is not a valid lookup table name"),
            Some("name the file with lowercase letters, digits and '-', e.g. enis.csv".into()),
        ));
    }
    let (table, diagnostics) = parse_csv(&text);
    let source = SourceText::new(&text);
    file.findings.extend(diagnostics.iter().map(|d| {
        let mut located = d.locate(&origin, &source);
        if located.severity == Severity::Error {
            located.code = Code::Catalog;
        }
        located
    }));
    file.has_errors = file.findings.iter().any(|f| f.severity == Severity::Error);
    file.content = table;
    file
}

/// Why a table was not written.
#[derive(Debug)]
pub enum WriteError {
    /// The file exists and flowq did not write it (its first line is not
    /// [`WRITTEN_BY_FLOWQ`]'s): it is left as it is.
    NotOurs(PathBuf),
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::NotOurs(path) => write!(
                f,
                "{} exists and flowq did not write it (its first line is not '{WRITTEN_BY_FLOWQ} ...'): left as it is",
                path.display()
            ),
            WriteError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Writes `table` to `path` as CSV under the comment line `comment`
/// (which starts with [`WRITTEN_BY_FLOWQ`]), atomically: a temporary file
/// beside it, renamed over it (engine/output.rs's `PendingFile`). The
/// caller has refused a file flowq did not write ([`check_replaceable`])
/// before doing the work, unless told to replace it: the file is read
/// once.
pub fn write_table(path: &Path, comment: &str, table: &LookupTable) -> Result<(), WriteError> {
    use crate::engine::output::{OnInterrupt, PendingFile};
    use std::io::Write as _;
    debug_assert!(comment.starts_with(WRITTEN_BY_FLOWQ));
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| {
            WriteError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", folder.display()),
            ))
        })?;
    }
    let text = to_csv(comment, table);
    let pending = PendingFile::create(path, OnInterrupt::Exit).map_err(WriteError::Io)?;
    pending
        .file()
        .write_all(text.as_bytes())
        .map_err(WriteError::Io)?;
    pending.commit().map_err(WriteError::Io)
}

/// Refuses a file flowq did not write, before any work is done for it.
pub fn check_replaceable(path: &Path) -> Result<(), WriteError> {
    match written_by_flowq(path) {
        Ok(true) => Ok(()),
        Ok(false) => Err(WriteError::NotOurs(path.to_path_buf())),
        Err(e) => Err(WriteError::Io(e)),
    }
}

/// Whether `path` is missing or starts with [`WRITTEN_BY_FLOWQ`].
fn written_by_flowq(path: &Path) -> std::io::Result<bool> {
    let mut start = Vec::new();
    match std::fs::File::open(path) {
        Ok(file) => {
            file.take(WRITTEN_BY_FLOWQ.len() as u64)
                .read_to_end(&mut start)?;
            Ok(start == WRITTEN_BY_FLOWQ.as_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// A table as CSV text: the comment line, the header, the rows; a field
/// with a comma or a quote is quoted (as [`parse_csv`] reads it back).
pub fn to_csv(comment: &str, table: &LookupTable) -> String {
    let mut out = String::new();
    out.push_str(comment);
    out.push('\n');
    for row in std::iter::once(&table.columns).chain(&table.rows) {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"']) || field.starts_with('#') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// A line's fields and where each starts, or the error in it.
type Fields = Vec<(String, Span)>;

/// Reads a CSV table: the header, then the rows; every problem found, at
/// its place. The table is returned when the header could be read.
pub fn parse_csv(text: &str) -> (Option<LookupTable>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut header: Option<Fields> = None;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut first_at = std::collections::HashMap::<String, usize>::new();
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let content = line.strip_suffix('\n').unwrap_or(line);
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        let fields = match split_fields(content, start) {
            Ok(fields) => fields,
            Err(d) => {
                out.push(d);
                continue;
            }
        };
        let Some(head) = &header else {
            if check_header(&fields, &mut out) {
                header = Some(fields);
            } else {
                return (None, out);
            }
            continue;
        };
        if fields.len() != head.len() {
            out.push(wrong_width(&fields, head, start, content.len()));
            continue;
        }
        let (key, key_span) = &fields[0];
        if key.is_empty() {
            out.push(
                Diagnostic::error(
                    Span::new(key_span.start, key_span.start),
                    "the key is empty",
                )
                .with_help(format!("give every row a '{}'", head[0].0)),
            );
            continue;
        }
        if let Some(first) = first_at.get(key) {
            out.push(
                Diagnostic::error(*key_span, format!("the key '{key}' is given twice")).with_help(
                    format!(
                        "keys are unique: line {first} has it already; keep one of the two rows"
                    ),
                ),
            );
            continue;
        }
        if rows.len() == MAX_LOOKUP_ROWS {
            out.push(
                Diagnostic::error(
                    *key_span,
                    format!("the table has more than {MAX_LOOKUP_ROWS} rows"),
                )
                .with_help("split it, or keep the rows that matter"),
            );
            return (None, out);
        }
        first_at.insert(key.clone(), number + 1);
        rows.push(fields.into_iter().map(|(v, _)| v).collect());
    }
    let Some(header) = header else {
        out.push(
            Diagnostic::error(Span::new(0, 0), "the lookup table has no header")
                .with_help("start it with the column names, the key first, e.g. 'interface_id,name,instance_id'"),
        );
        return (None, out);
    };
    if rows.is_empty() {
        out.push(
            Diagnostic::warning(header[0].1, "the lookup table has no rows")
                .with_help("a query that looks it up is an error: add rows"),
        );
    }
    let table = LookupTable {
        columns: header.into_iter().map(|(name, _)| name).collect(),
        rows,
    };
    (Some(table), out)
}

/// The header: at least two columns, names of letters, digits and `_`
/// (they become `<table>.<name>` in the output), all different.
fn check_header(fields: &Fields, out: &mut Vec<Diagnostic>) -> bool {
    let before = out.len();
    if fields.len() < 2 {
        out.push(
            Diagnostic::error(
                fields[0].1,
                "the header names one column; a lookup table needs a key and at least one more",
            )
            .with_help(
                "write the key column first, then the columns to add, e.g. 'interface_id,name'",
            ),
        );
    }
    if fields.len() > MAX_LOOKUP_COLUMNS {
        out.push(Diagnostic::error(
            fields[MAX_LOOKUP_COLUMNS].1,
            format!("the header names more than {MAX_LOOKUP_COLUMNS} columns"),
        ));
    }
    for (i, (name, span)) in fields.iter().enumerate() {
        let mut chars = name.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            out.push(
                Diagnostic::error(*span, format!("'{name}' is not a column name"))
                    .with_help("the first line is the header: name each column with letters, digits and '_', e.g. 'interface_id'"),
            );
        } else if fields[..i].iter().any(|(other, _)| other == name) {
            out.push(
                Diagnostic::error(*span, format!("the header names '{name}' twice"))
                    .with_help("give every column its own name"),
            );
        }
    }
    out.len() == before
}

/// A row with more or fewer fields than the header.
fn wrong_width(fields: &Fields, header: &Fields, start: usize, len: usize) -> Diagnostic {
    let names: Vec<&str> = header.iter().map(|(n, _)| n.as_str()).collect();
    let (span, what) = if fields.len() > header.len() {
        let extra = fields[header.len()].1;
        (
            Span::new(extra.start.saturating_sub(1), start + len),
            "more",
        )
    } else {
        (Span::new(start + len, start + len), "fewer")
    };
    Diagnostic::error(
        span,
        format!(
            "this row has {} fields, {what} than the header's {}",
            fields.len(),
            header.len()
        ),
    )
    .with_help(format!(
        "give every row {} fields: {} (an empty field is written as nothing between commas; quote a field with a comma in it)",
        header.len(),
        names.join(",")
    ))
}

/// The fields of one line, at `start` in the text: separated by commas,
/// double-quoted when they hold a comma or a quote (a quote inside is
/// doubled). Unquoted fields are taken as written, spaces included.
fn split_fields(line: &str, start: usize) -> Result<Fields, Diagnostic> {
    let mut fields = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        let field_start = start + i;
        if bytes.get(i) == Some(&b'"') {
            let mut value = String::new();
            let mut j = i + 1;
            loop {
                match line[j..].find('"') {
                    None => {
                        return Err(Diagnostic::error(
                            Span::new(field_start, field_start + 1),
                            "this quoted field has no closing quote",
                        )
                        .with_help("end it with '\"' on the same line; a quote inside a field is written twice (\"\")"));
                    }
                    Some(q) => {
                        value.push_str(&line[j..j + q]);
                        j += q + 1;
                        if bytes.get(j) == Some(&b'"') {
                            value.push('"');
                            j += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            fields.push((value, Span::new(field_start, start + j)));
            match bytes.get(j) {
                None => break,
                Some(b',') => i = j + 1,
                Some(_) => {
                    // The whole character, which may take several bytes.
                    let width = line[j..].chars().next().map_or(1, char::len_utf8);
                    return Err(Diagnostic::error(
                        Span::new(start + j, start + j + width),
                        "text after a quoted field",
                    )
                    .with_help(
                        "put a comma after the closing quote, or the text inside the quotes",
                    ));
                }
            }
        } else {
            let end = line[i..].find(',').map_or(line.len(), |c| i + c);
            let value = &line[i..end];
            if let Some(q) = value.find('"') {
                return Err(Diagnostic::error(
                    Span::new(field_start + q, field_start + q + 1),
                    "a quote inside an unquoted field",
                )
                .with_help("quote the whole field and write the quote twice: \"say \"\"hi\"\"\""));
            }
            fields.push((value.to_string(), Span::new(field_start, start + end)));
            if end == line.len() {
                break;
            }
            i = end + 1;
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Vec<String>> {
        let (table, errors) = parse_csv(text);
        assert!(errors.is_empty(), "{errors:?}");
        table.expect("a table").rows
    }

    #[test]
    fn quoted_fields_hold_commas_and_quotes() {
        let rows = values("k,v\n# c\n\na,\"x, \"\"y\"\"\"\nb,\n");
        assert_eq!(rows, vec![vec!["a", "x, \"y\""], vec!["b", ""]]);
    }

    #[test]
    fn bad_rows_are_located() {
        let (_, errors) = parse_csv("k,v\na,1,2\na,1\na,2\n\"b,1\n");
        let messages: Vec<(usize, &str)> = errors
            .iter()
            .map(|d| (d.span.start, d.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (7, "this row has 3 fields, more than the header's 2"),
                (14, "the key 'a' is given twice"),
                (18, "this quoted field has no closing quote"),
            ]
        );
    }

    #[test]
    fn written_tables_read_back() {
        let table = LookupTable {
            columns: vec!["k".into(), "v".into()],
            rows: vec![
                vec!["a".into(), "x, \"y\"".into()],
                vec!["b".into(), String::new()],
            ],
        };
        let text = to_csv("# written by flowq test", &table);
        let (read, errors) = parse_csv(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(read, Some(table));
    }

    #[test]
    fn a_header_is_required() {
        let (table, errors) = parse_csv("# only a comment\n");
        assert!(table.is_none());
        assert_eq!(errors[0].message, "the lookup table has no header");
        let (_, errors) = parse_csv("interface-id,name\n");
        assert_eq!(errors[0].message, "'interface-id' is not a column name");
    }
}
