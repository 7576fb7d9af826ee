//! Named lists: `lists/<name>.txt` and `lists/<name>.yaml` beside the
//! saved searches, used in queries as `@name` (docs/catalog.md, "Lists").
//!
//! A `.txt` list has one entry a line: an address, a CIDR network, a port,
//! a port range or a port name; `#` starts a comment; blank lines are
//! skipped. A `.yaml` list is a mapping `{kind: addresses | ports,
//! description: ..., entries: [...]}`. A list holds addresses or ports,
//! never both; its kind is what its entries are (or `kind:` says).
//!
//! Each entry is typed by the language's own value parsers
//! (`lang::check::address`, `lang::check::port_range`), so a list accepts
//! exactly what a query accepts. Duplicates and overlaps are warnings.

use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

use crate::catalog::folder::{self, CatalogFile};
use crate::catalog::search::is_valid_name;
use crate::catalog::yaml;
use crate::lang::ast::{Span, Value};
use crate::lang::check;
use crate::lang::diagnostic::{Code, Diagnostic, Located, Severity, SourceText};
use crate::lang::ir::{Lists, NamedList};
use crate::lang::limits::MAX_LIST_ENTRIES;

/// The largest list file flowq reads (16 MiB): room for a threat feed of
/// several hundred thousand entries, and a bound on memory for anything
/// else (a device, a runaway file).
pub const MAX_LIST_BYTES: usize = 16 << 20;

/// One list file, read and typed, with what `flowq check` says of it.
pub type ListFile = CatalogFile<NamedList>;

/// The lists folder of a catalog: `lists/` beside the saved-search
/// folder (`searches/`).
pub fn folder_for(searches: &Path) -> PathBuf {
    folder::beside(searches, "lists")
}

pub use folder::errors;

/// Every list of the folder `dir` (missing: no lists), each file read
/// once. Lists with errors are left out of the returned `Lists`; their
/// errors are among the findings.
pub fn load_lists(dir: &Path) -> (Lists, Vec<ListFile>) {
    let mut files = folder::load_all(dir, &["txt", "yaml", "yml"], "lists", load_list);
    let mut seen = std::collections::BTreeMap::<String, PathBuf>::new();
    for file in &mut files {
        if let Some(first) = seen.get(&file.name) {
            file.content = None;
            file.has_errors = true;
            file.findings.push(Located::error(
                &file.path.display().to_string(),
                "",
                (1, 1),
                format!("a second list named '{}'", file.name),
                Some(format!(
                    "{} has the same name: keep one of the two files",
                    first.display()
                )),
            ));
        } else {
            seen.insert(file.name.clone(), file.path.clone());
        }
    }
    let mut lists = Lists::default();
    for file in &files {
        if let Some(list) = file.usable() {
            lists.insert(&file.name, list.clone());
        }
    }
    (lists, files)
}

/// Reads and types one list file.
pub fn load_list(path: &Path) -> ListFile {
    let origin = path.display().to_string();
    let mut file = ListFile::at(path);
    let name = file.name.clone();
    let text = match folder::read_capped(path, MAX_LIST_BYTES, "the list") {
        Ok(text) => text,
        Err(message) => {
            file.findings
                .push(Located::error(&origin, "", (1, 1), message, None));
            file.has_errors = true;
            return file;
        }
    };
    if !is_valid_name(&name) {
        file.findings.push(Located::error(
            &origin,
            &text,
            (1, 1),
            format!("'{name}' is not a valid list name"),
            Some("name the file with lowercase letters, digits and '-', e.g. corp-nets.txt".into()),
        ));
    }
    let is_txt = path.extension().and_then(|e| e.to_str()) == Some("txt");
    let (list, diagnostics) = if is_txt {
        parse_txt(&text)
    } else {
        parse_yaml(&text)
    };
    let source = SourceText::new(&text);
    file.findings.extend(diagnostics.iter().map(|d| {
        let mut located = d.locate(&origin, &source);
        if located.severity == Severity::Error {
            located.code = Code::Catalog;
        }
        located
    }));
    file.has_errors = file.findings.iter().any(|f| f.severity == Severity::Error);
    file.content = list;
    file
}

/// An entry as written, and where: `span` is its place in the file.
struct Entry {
    text: String,
    span: Span,
}

/// A `.txt` list: one entry a line, `#` comments, blank lines skipped.
pub fn parse_txt(text: &str) -> (Option<NamedList>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.split('#').next().unwrap_or("");
        let trimmed = content.trim();
        if !trimmed.is_empty() {
            let start = offset + (content.len() - content.trim_start().len());
            entries.push(Entry {
                text: trimmed.to_string(),
                span: Span::new(start, start + trimmed.len()),
            });
        }
        offset += line.len();
    }
    typed(text, &entries, None)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListYaml {
    kind: Option<Kind>,
    #[allow(dead_code)] // for people reading the file
    description: Option<String>,
    entries: Vec<YamlEntry>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Addresses,
    Ports,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum YamlEntry {
    Int(i64),
    Text(String),
}

/// A `.yaml` list: `{kind: ..., entries: [...]}`. Each entry is located
/// on the first line at or after the previous entry's that holds its text.
pub fn parse_yaml(text: &str) -> (Option<NamedList>, Vec<Diagnostic>) {
    let doc: ListYaml = match yaml::from_str(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = span_at(text, e.line, e.column);
            let mut d = Diagnostic::error(span, e.message);
            d.help = e.help.or_else(|| {
                Some("write {kind: addresses, entries: [10.0.0.0/8, ...]} (docs/catalog.md)".into())
            });
            return (None, vec![d]);
        }
    };
    let mut entries = Vec::new();
    let mut from = text.find("entries").unwrap_or(0);
    for entry in doc.entries {
        let written = match entry {
            YamlEntry::Int(n) => n.to_string(),
            YamlEntry::Text(t) => t,
        };
        let start = text[from..].find(&written).map_or(from, |i| from + i);
        let end = (start + written.len()).min(text.len());
        from = end;
        entries.push(Entry {
            text: written,
            span: Span::new(start, end),
        });
    }
    typed(text, &entries, doc.kind)
}

/// The byte offset of a 1-based line and column, as a one-byte span.
fn span_at(text: &str, line: usize, column: usize) -> Span {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let start = (line_start + column.saturating_sub(1)).min(text.len());
    Span::new(start, start + 1)
}

/// Types the entries: all addresses or all ports (the first entry, or
/// `kind`, decides), with duplicates and overlaps as warnings.
fn typed(
    text: &str,
    entries: &[Entry],
    kind: Option<Kind>,
) -> (Option<NamedList>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    if entries.len() > MAX_LIST_ENTRIES {
        out.push(
            Diagnostic::error(
                entries[MAX_LIST_ENTRIES].span,
                format!("the list has more than {MAX_LIST_ENTRIES} entries"),
            )
            .with_help("split it, or keep the entries that matter"),
        );
        return (None, out);
    }
    let kind = kind.or_else(|| {
        entries.first().map(|e| {
            if check::address(&value(e)).is_ok() {
                Kind::Addresses
            } else {
                Kind::Ports
            }
        })
    });
    let list = match kind {
        None => Some(NamedList::Addresses(Vec::new())),
        Some(Kind::Addresses) => {
            let nets = each(entries, &mut out, check::address, "an address or CIDR");
            warn_overlapping_nets(text, &nets, &mut out);
            Some(NamedList::Addresses(
                nets.into_iter().map(|(n, _)| n).collect(),
            ))
        }
        Some(Kind::Ports) => {
            let ranges = each(
                entries,
                &mut out,
                check::port_range,
                "a port, port range or port name",
            );
            warn_overlapping_ports(text, &ranges, &mut out);
            Some(NamedList::Ports(
                ranges.into_iter().map(|(r, _)| r).collect(),
            ))
        }
    };
    if entries.is_empty() {
        out.push(
            Diagnostic::warning(Span::default(), "the list is empty")
                .with_help("a query that uses an empty list is an error: add entries"),
        );
    }
    (list, out)
}

fn value(entry: &Entry) -> Value {
    Value::word(entry.text.clone(), entry.span)
}

/// Every entry parsed by `parse`; each one that fails is an error that
/// says what the list holds.
fn each<T>(
    entries: &[Entry],
    out: &mut Vec<Diagnostic>,
    parse: impl Fn(&Value) -> Result<T, Diagnostic>,
    holds: &str,
) -> Vec<(T, Span)> {
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        match parse(&value(entry)) {
            Ok(v) => parsed.push((v, entry.span)),
            Err(d) => {
                let help = d.help.clone().unwrap_or_else(|| {
                    format!("this list holds {holds} a line (its first entry says so)")
                });
                out.push(d.with_help(help));
            }
        }
    }
    parsed
}

/// Duplicates, and networks inside another network of the list.
fn warn_overlapping_nets(text: &str, nets: &[(IpNet, Span)], out: &mut Vec<Diagnostic>) {
    let mut sorted: Vec<&(IpNet, Span)> = nets.iter().collect();
    // By first address, widest first, so a network is checked against the
    // widest one that starts at or before it.
    sorted.sort_by_key(|(n, s)| (n.network(), n.prefix_len(), s.start));
    let mut widest: Option<&(IpNet, Span)> = None;
    for entry in sorted {
        let (net, span) = entry;
        if let Some((outer, outer_span)) = widest {
            if outer == net {
                out.push(
                    Diagnostic::warning(*span, format!("'{net}' is listed twice")).with_help(
                        format!(
                            "remove one of the two (line {})",
                            line_at(text, *outer_span)
                        ),
                    ),
                );
                continue;
            }
            if outer.contains(net) {
                out.push(
                    Diagnostic::warning(*span, format!("'{net}' lies inside '{outer}'")).with_help(
                        format!(
                            "'{outer}' (line {}) already matches it: remove this line",
                            line_at(text, *outer_span)
                        ),
                    ),
                );
                continue;
            }
        }
        widest = Some(entry);
    }
}

/// Duplicate and overlapping port ranges.
fn warn_overlapping_ports(text: &str, ranges: &[((i64, i64), Span)], out: &mut Vec<Diagnostic>) {
    let mut sorted: Vec<&((i64, i64), Span)> = ranges.iter().collect();
    sorted.sort_by_key(|((lo, hi), s)| (*lo, std::cmp::Reverse(*hi), s.start));
    let mut reach: Option<((i64, i64), Span)> = None;
    for ((lo, hi), span) in sorted {
        let shown = if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        };
        if let Some((prev, prev_span)) = reach {
            let line = line_at(text, prev_span);
            if prev == (*lo, *hi) {
                out.push(
                    Diagnostic::warning(*span, format!("port {shown} is listed twice"))
                        .with_help(format!("remove one of the two (line {line})")),
                );
                continue;
            }
            if *lo <= prev.1 {
                out.push(
                    Diagnostic::warning(
                        *span,
                        format!("port {shown} overlaps {}-{} (line {line})", prev.0, prev.1),
                    )
                    .with_help("merge the two into one range"),
                );
                if *hi <= prev.1 {
                    continue;
                }
            }
        }
        reach = Some(((*lo, *hi), *span));
    }
}

/// The 1-based line of a span's start.
fn line_at(text: &str, span: Span) -> usize {
    text[..span.start.min(text.len())].matches('\n').count() + 1
}
