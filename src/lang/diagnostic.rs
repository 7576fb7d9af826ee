//! Located error and warning messages, rendered the way compilers do:
//! `origin:line:col: error: message`, the source line, a caret under the
//! offending text, and a hint at what would be right.
//!
//! Every stage reports problems as [`Diagnostic`]s that point into the text
//! the user wrote (a query, a YAML file), so the CLI can show them all in one
//! shape.

use std::fmt;

use crate::lang::ast::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Stable codes for the kinds of problem, shown in messages
/// (`error[E002]`) and in `flowq check --format json`; docs/cli.md lists
/// them. A code names a kind, never a message: messages may improve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    /// The query does not parse.
    Syntax,
    /// The query parses but is not valid: an unknown field, a bad value,
    /// a window, a stage or a parameter.
    Query,
    /// flowq.yaml, a saved-search file or the catalog folder.
    Catalog,
    /// A `flowq check` finding that is a warning.
    Lint,
    /// The command line: a flag, its value, a name.
    Usage,
    /// An engine refused the query before starting it.
    Refused,
    /// The query failed while it ran.
    Failed,
    /// The rows could not be written.
    Output,
    /// Stopped by Ctrl-C.
    Interrupted,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "E001",
            Code::Query => "E002",
            Code::Catalog => "E003",
            Code::Usage => "E004",
            Code::Refused => "E005",
            Code::Failed => "E006",
            Code::Output => "E007",
            Code::Interrupted => "E008",
            Code::Lint => "W001",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Byte range in the source text the diagnostic is about.
    pub span: Span,
    /// What would be right, when we can say.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: Code::Query,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code: Code::Lint,
            ..Diagnostic::error(span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_code(mut self, code: Code) -> Self {
        self.code = code;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic against `source`, naming it `origin` (a file
    /// path, or `query` for text typed on the command line).
    pub fn render(&self, origin: &str, source: &SourceText) -> String {
        self.locate(origin, source).render()
    }

    /// Resolves the span to a file position, for rendering or JSON.
    pub fn locate(&self, origin: &str, source: &SourceText) -> Located {
        let (line, column) = source.line_col(self.span.start);
        Located {
            origin: origin.to_string(),
            line,
            column,
            width: source.caret_width(self.span),
            source_line: source.line_text(line),
            severity: self.severity,
            code: self.code,
            message: self.message.clone(),
            help: self.help.clone(),
        }
    }
}

/// A message at a file position: what every error and warning becomes
/// before it is shown, whether it came from a query or a YAML file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    /// How many characters the caret underlines.
    pub width: usize,
    /// The file's line, shown under the message.
    pub source_line: String,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

impl Located {
    /// An error at `line:column` of a catalog file (flowq.yaml, a saved
    /// search) whose text is `text` (empty when it could not be read).
    pub fn error(
        origin: &str,
        text: &str,
        (line, column): (usize, usize),
        message: String,
        help: Option<String>,
    ) -> Located {
        Located {
            origin: origin.to_string(),
            line,
            column,
            width: 1,
            source_line: line_of(text, line),
            severity: Severity::Error,
            code: Code::Catalog,
            message,
            help,
        }
    }

    /// `origin:line:col: severity: message`, the line, a caret, the help.
    pub fn render(&self) -> String {
        let Located {
            origin,
            line,
            column,
            ..
        } = self;
        let mut out = format!(
            "{origin}:{line}:{column}: {}[{}]: {}\n",
            self.severity, self.code, self.message
        );
        let gutter = line.to_string().len();
        let (shown, caret_column, width) = clip(&self.source_line, *column, self.width.max(1));
        out.push_str(&format!("{:gutter$} |\n", ""));
        out.push_str(&format!("{line} | {shown}\n"));
        out.push_str(&format!(
            "{:gutter$} | {}{}\n",
            "",
            " ".repeat(caret_column - 1),
            "^".repeat(width)
        ));
        if let Some(help) = &self.help {
            out.push_str(&format!("{:gutter$} = help: {help}\n", ""));
        }
        out
    }

    /// One JSON object, for `--format json`.
    pub fn to_json(&self) -> String {
        use crate::json::json_string;
        format!(
            "{{\"file\":{},\"line\":{},\"column\":{},\"severity\":\"{}\",\"code\":\"{}\",\"message\":{},\"help\":{}}}",
            json_string(&self.origin),
            self.line,
            self.column,
            self.severity,
            self.code,
            json_string(&self.message),
            self.help.as_deref().map_or("null".to_string(), json_string)
        )
    }
}

/// A message about no particular place (a flag, a source, a run):
/// `flowq: severity: message` and the help, in the shape of [`Located`].
pub fn render_unlocated(
    severity: Severity,
    code: Code,
    message: &str,
    help: Option<&str>,
) -> String {
    let mut out = format!("flowq: {severity}[{code}]: {message}\n");
    if let Some(help) = help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    out
}

/// The most characters of a source line shown under a message: a query of
/// thousands of terms on one line is cut to the part around the caret.
const SHOWN_LINE_CHARS: usize = 100;

/// The part of `line` shown, with the caret's column and width in it:
/// the whole line when it is short, else a window around the caret with
/// `...` where text was cut.
fn clip(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= SHOWN_LINE_CHARS {
        return (line.to_string(), column, width);
    }
    let caret = column.saturating_sub(1).min(chars.len());
    let start = caret.saturating_sub(SHOWN_LINE_CHARS / 2);
    let end = (start + SHOWN_LINE_CHARS).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push_str("...");
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push_str("...");
    }
    let prefix = if start > 0 { 3 } else { 0 };
    let width = width.min(end.saturating_sub(caret)).max(1);
    (shown, caret - start + prefix + 1, width)
}

/// The text of line `line` (1-based) of `text`, tabs shown as spaces.
pub fn line_of(text: &str, line: usize) -> String {
    text.lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .replace('\t', " ")
}

/// Source text with a mapping from byte offsets to file lines and columns.
/// The text may be a fragment of a file (a query inside a YAML document);
/// then `starts` says where each of its lines starts in the file, and
/// offsets in spans are relative to the fragment.
pub struct SourceText<'a> {
    text: &'a str,
    /// File (line, column) of the start of each line of `text`, 1-based.
    starts: Vec<(usize, usize)>,
    /// Whole lines of the enclosing file, to show context lines verbatim.
    file_lines: Option<Vec<&'a str>>,
}

impl<'a> SourceText<'a> {
    pub fn new(text: &'a str) -> Self {
        SourceText {
            text,
            starts: vec![(1, 1)],
            file_lines: None,
        }
    }

    /// A single-line fragment that starts at `line:col` (1-based) of `file`.
    pub fn fragment(text: &'a str, file: &'a str, line: usize, col: usize) -> Self {
        SourceText::fragment_lines(text, file, vec![(line, col)])
    }

    /// A fragment whose lines start at the given file positions (a YAML
    /// block scalar, each line indented).
    pub fn fragment_lines(text: &'a str, file: &'a str, starts: Vec<(usize, usize)>) -> Self {
        SourceText {
            text,
            starts,
            file_lines: Some(file.lines().collect()),
        }
    }

    /// 1-based file line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line_in_text = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col_in_line = before[line_start..].chars().count() + 1;
        match self.starts.get(line_in_text) {
            Some(&(line, col)) => (line, col + col_in_line - 1),
            None => {
                let (last_line, _) = *self.starts.last().expect("starts is never empty");
                (
                    last_line + line_in_text + 1 - self.starts.len(),
                    col_in_line,
                )
            }
        }
    }

    fn line_text(&self, line: usize) -> String {
        let text = match &self.file_lines {
            Some(lines) => lines.get(line - 1).copied().unwrap_or(""),
            None => self.text.lines().nth(line - 1).unwrap_or(""),
        };
        text.replace('\t', " ")
    }

    /// Carets cover the span's first line only.
    fn caret_width(&self, span: Span) -> usize {
        let start = floor_char_boundary(self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(self.text, span.end.min(self.text.len())).max(start);
        let covered = &self.text[start..end];
        let first_line = covered.split('\n').next().unwrap_or("");
        first_line.chars().count().max(1)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Renders every diagnostic, errors and warnings in source order.
pub fn render_all(diagnostics: &[Diagnostic], origin: &str, source: &SourceText) -> String {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by_key(|d| (d.span.start, d.severity));
    sorted
        .iter()
        .map(|d| d.render(origin, source))
        .collect::<Vec<_>>()
        .join("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_offending_token() {
        let d = Diagnostic::error(Span::new(4, 15), "bad prefix").with_help("use /0 to /32");
        let out = d.render("query", &SourceText::new("src 10.0.0.0/33 and dport 22"));
        assert_eq!(
            out,
            "query:1:5: error[E002]: bad prefix\n  |\n1 | src 10.0.0.0/33 and dport 22\n  |     ^^^^^^^^^^^\n  = help: use /0 to /32\n"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_caret() {
        let text = format!("{}dport x{}", "a ".repeat(500), " b".repeat(500));
        let d = Diagnostic::error(Span::new(1000, 1007), "bad");
        let out = d.render("query", &SourceText::new(&text));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "query:1:1001: error[E002]: bad");
        // 50 characters before the caret, 50 from it, `...` on each side.
        let shown = format!("...{}dport x{}...", "a ".repeat(25), " b".repeat(21) + " ");
        assert_eq!(lines[2], format!("1 | {shown}"));
        assert_eq!(lines[3], format!("  | {}^^^^^^^", " ".repeat(53)));
    }

    #[test]
    fn fragment_positions_are_the_files() {
        let file = "title: x\nquery: src 300.1.1.1\n";
        let source = SourceText::fragment("src 300.1.1.1", file, 2, 8);
        let out = Diagnostic::error(Span::new(4, 13), "invalid address").render("s.yaml", &source);
        assert!(
            out.starts_with("s.yaml:2:12: error[E002]: invalid address\n"),
            "{out}"
        );
        assert!(out.contains("2 | query: src 300.1.1.1\n"), "{out}");
        assert!(out.contains("  |            ^^^^^^^^^\n"), "{out}");
    }
}
