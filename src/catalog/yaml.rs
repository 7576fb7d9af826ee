//! Everything flowq does with YAML goes through this module, so that the
//! YAML library (serde_yaml, deprecated upstream but the user's choice) can
//! be replaced by a maintained fork in one place.
//!
//! It offers deserialization with located errors (and a "did you mean" for
//! unknown keys), and a small locator that finds where a key's value stands
//! in the text, so a query inside a YAML file gets errors at its own
//! file:line:col.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::suggest;

/// The largest config or search file flowq reads. Real ones are a few KB;
/// the cap keeps an endless device or a runaway file from filling memory.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// The deepest nesting of mappings and sequences a config or search file
/// may have (the file's own top-level mapping is level 1). Real files need
/// four or five levels; the YAML parser's cost grows with depth times size.
pub const MAX_NESTING: usize = 64;

const BYTE_ORDER_MARK: char = '\u{feff}';

/// A YAML or schema error, located in the file (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
}

/// Why a file could not be read as YAML text.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// It was read but is not text flowq accepts: too large, not UTF-8.
    Content(YamlError),
}

/// Reads a config or search file: at most [`MAX_FILE_BYTES`] (plus one, to
/// tell a file at the cap from a larger one), so a device like /dev/zero,
/// a FIFO or a huge file costs no more than that; UTF-8 only; a leading
/// byte-order mark is dropped (editors hide it, so positions stay the ones
/// the user sees).
pub fn read_file(path: &Path) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReadError::Content(too_large()));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bad = e.as_bytes()[valid];
        let before = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let (line, column) = position_after(&before);
        ReadError::Content(YamlError {
            message: format!("the file is not UTF-8 text: byte 0x{bad:02X} here"),
            line,
            column,
            help: Some("save the file as UTF-8".into()),
        })
    })?;
    if let Cow::Owned(normal) = normalize(&text) {
        text = normal;
    }
    Ok(text)
}

/// The text as flowq reads it: without a leading byte-order mark, and with
/// every line break the YAML parser knows (`\r\n`, a lone `\r`, NEL, LS,
/// PS) written `\n`, so that the parser, the locator and the messages
/// count lines alike.
pub fn normalize(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    if !text.contains(['\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(lines(text).collect::<Vec<_>>().join("\n"))
}

/// The 1-based (line, column) of the character just after `text`.
fn position_after(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let last_line = text.rsplit('\n').next().unwrap_or("");
    (line, last_line.chars().count() + 1)
}

fn too_large() -> YamlError {
    YamlError {
        message: format!(
            "the file is larger than 1 MiB ({MAX_FILE_BYTES} bytes), flowq's limit for config and search files"
        ),
        line: 1,
        column: 1,
        help: Some("a config or saved search is a few KB: is this the right file?".into()),
    }
}

/// Deserializes a document; unknown keys are errors when `T` denies them.
/// The text is checked for size and nesting first, in one linear pass, so
/// the YAML parser never sees a hostile document.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let text = normalize(text);
    let text = text.as_ref();
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    check_nesting(text)?;
    serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((1, 1), |l| inside(text, l.line(), l.column()));
        let message = strip_location(&e.to_string());
        let help = unknown_key_help(&message);
        YamlError {
            message,
            line,
            column,
            help,
        }
    })
}

/// Refuses a document nested deeper than [`MAX_NESTING`], at the place
/// where it gets too deep.
fn check_nesting(text: &str) -> Result<(), YamlError> {
    let mut scan = NestingScan {
        limit: MAX_NESTING,
        ..NestingScan::default()
    };
    for (i, line) in lines(text).enumerate() {
        scan.line(line).map_err(|column| YamlError {
            message: format!("the document is nested more than {MAX_NESTING} levels deep"),
            line: i + 1,
            column,
            help: Some(
                "flowq's config and search files need a few levels of mappings and lists".into(),
            ),
        })?;
    }
    Ok(())
}

/// The lines of `text` as the YAML parser breaks them: at `\n`, `\r\n`,
/// a lone `\r`, and the Unicode breaks NEL, LS and PS (YAML 1.1).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
            Some(at) => {
                let c = current[at..].chars().next().unwrap_or('\n');
                let mut next = at + c.len_utf8();
                if c == '\r' && current[next..].starts_with('\n') {
                    next += 1;
                }
                rest = Some(&current[next..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// A linear, line-by-line reading of just enough YAML to count nesting:
/// block collections by indentation and `- `/`? ` indicators, flow
/// collections by brackets, with quoted scalars, comments, block scalars
/// and multi-line plain scalars (whose brackets are text) told apart. It
/// errs on the side of counting: an over-count can only refuse a file far
/// deeper than any real one.
#[derive(Debug, Default)]
struct NestingScan {
    /// The deepest level allowed.
    limit: usize,
    /// The deepest level seen.
    deepest: usize,
    /// The column of each open block collection (0-based); an entry of
    /// `- ` or `? ` counts from the column after the indicator.
    indents: Vec<usize>,
    /// The open flow collections, innermost last: `[`, `{`, or `:` for
    /// the one-pair mapping a `key: value` inside `[...]` makes.
    flow: Vec<char>,
    /// The open quoted scalar's quote, when it spans lines.
    quote: Option<char>,
    /// Whether the next character may start a node (a quote, a bracket, an
    /// indicator) rather than continue a plain scalar.
    at_node_start: bool,
    block_scalar: Option<BlockScalar>,
    /// When the last block line ended inside a plain scalar: the
    /// indentation of its collection, which continuation lines exceed.
    plain_under: Option<usize>,
}

#[derive(Debug)]
struct BlockScalar {
    /// The indentation of the collection holding the `|` or `>` scalar.
    parent: usize,
    /// The content's indentation, from its first non-blank line.
    content: Option<usize>,
}

impl NestingScan {
    /// Reads one line; the 1-based column where nesting passes the limit.
    fn line(&mut self, line: &str) -> Result<(), usize> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if self.inside_block_scalar(indent, rest) {
            return Ok(());
        }
        let chars: Vec<char> = line.chars().collect();
        let mut start = 0;
        // The column of the innermost block collection on this line, and
        // of the token being read (a key, until its `: `).
        let mut collection = indent;
        let mut token = indent;
        let mut in_plain = false;
        let block_line = self.quote.is_none() && self.flow.is_empty();
        if block_line {
            if rest.trim().is_empty() {
                return Ok(());
            }
            if rest.starts_with('#') {
                self.plain_under = None;
                return Ok(());
            }
            let continues_plain = self.plain_under.filter(|&under| indent > under);
            self.at_node_start = continues_plain.is_none();
            if let Some(under) = continues_plain {
                // The line continues a plain scalar: text, up to a `: `
                // (an error for YAML, but read on to count what follows).
                start = indent;
                collection = under;
                in_plain = true;
            } else if indent == 0 && is_document_marker(rest) {
                self.indents.clear();
                start = 3;
            } else {
                while self.indents.last().is_some_and(|&i| i >= indent) {
                    self.indents.pop();
                }
                self.indents.push(indent);
                start = indent;
            }
            self.plain_under = None;
            self.reached(self.indents.len(), start + 1)?;
        }
        let mut i = start;
        let mut after_space = true;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let next_is_space = matches!(next, None | Some(' ' | '\t'));
            i += 1;
            if let Some(quote) = self.quote {
                match c {
                    '\'' if quote == '\'' && next == Some('\'') => i += 1,
                    '\\' if quote == '"' => i += 1,
                    _ if c == quote => {
                        self.quote = None;
                        self.at_node_start = false;
                        in_plain = false;
                    }
                    _ => {}
                }
                after_space = false;
                continue;
            }
            if c == '#' && after_space {
                break;
            }
            after_space = c == ' ' || c == '\t';
            if after_space {
                continue;
            }
            let flow_context = !self.flow.is_empty();
            if self.at_node_start {
                match c {
                    '\'' | '"' => {
                        self.quote = Some(c);
                        self.at_node_start = false;
                        token = i - 1;
                        continue;
                    }
                    '[' | '{' => {
                        self.open(c, i)?;
                        continue;
                    }
                    '|' | '>' if !flow_context => {
                        self.block_scalar = Some(BlockScalar {
                            parent: collection,
                            content: None,
                        });
                        return Ok(());
                    }
                    '-' | '?' if next_is_space && !flow_context => {
                        self.block_level(i, i)?;
                        collection = i - 1;
                        continue;
                    }
                    ':' if next_is_space && !flow_context => {
                        // A value with an empty key: a mapping.
                        self.block_level(i, i)?;
                        continue;
                    }
                    '&' | '!' => {
                        // An anchor or tag: the node follows it.
                        while i < chars.len() && !" \t,[]{}".contains(chars[i]) {
                            i += 1;
                        }
                        continue;
                    }
                    _ => {
                        self.at_node_start = false;
                        token = i - 1;
                        in_plain = !flow_context;
                    }
                }
            }
            if flow_context {
                match c {
                    '[' | '{' => self.open(c, i)?,
                    ']' | '}' => {
                        self.close_pair();
                        self.flow.pop();
                        self.at_node_start = false;
                    }
                    ',' => {
                        self.close_pair();
                        self.at_node_start = true;
                    }
                    ':' | '?'
                        if next_is_space || matches!(next, Some(',' | '[' | ']' | '{' | '}')) =>
                    {
                        if self.flow.last() == Some(&'[') {
                            self.open(':', i)?;
                        }
                        self.at_node_start = true;
                    }
                    _ => {}
                }
                in_plain = false;
            } else if c == ':' && next_is_space {
                if self.indents.last().is_none_or(|&last| token > last) {
                    // `- key: value`: a mapping inside the entry.
                    self.block_level(token, token + 1)?;
                }
                self.at_node_start = true;
                collection = token;
                in_plain = false;
            }
        }
        if self.quote.is_none() && self.flow.is_empty() && in_plain {
            self.plain_under = Some(collection);
        }
        Ok(())
    }

    /// Opens a flow collection at 1-based column `column`.
    fn open(&mut self, kind: char, column: usize) -> Result<(), usize> {
        self.flow.push(kind);
        self.at_node_start = true;
        self.reached(self.indents.len() + self.flow.len(), column)
    }

    /// Opens a block collection whose entries stand at `indent`.
    fn block_level(&mut self, indent: usize, column: usize) -> Result<(), usize> {
        self.indents.push(indent);
        self.reached(self.indents.len(), column)
    }

    /// Ends the one-pair mapping of `[key: value]` at its `,` or `]`.
    fn close_pair(&mut self) {
        if self.flow.last() == Some(&':') {
            self.flow.pop();
        }
    }

    /// Notes a level reached at `column`; past the limit is an error.
    fn reached(&mut self, level: usize, column: usize) -> Result<(), usize> {
        self.deepest = self.deepest.max(level);
        if level > self.limit {
            return Err(column);
        }
        Ok(())
    }

    /// True when the line belongs to an open block scalar (`|`, `>`).
    fn inside_block_scalar(&mut self, indent: usize, rest: &str) -> bool {
        let Some(scalar) = &mut self.block_scalar else {
            return false;
        };
        if rest.trim().is_empty() {
            return true;
        }
        match scalar.content {
            None if indent > scalar.parent => {
                scalar.content = Some(indent);
                true
            }
            Some(content) if indent >= content => true,
            _ => {
                self.block_scalar = None;
                false
            }
        }
    }
}

/// `---` or `...` at the start of a line, alone or before a space.
fn is_document_marker(rest: &str) -> bool {
    (rest.starts_with("---") || rest.starts_with("..."))
        && matches!(rest.as_bytes().get(3), None | Some(b' ' | b'\t'))
}

/// A parser position moved inside the text: the parser reports the end
/// of a file without a final line break on the line after it.
fn inside(text: &str, line: usize, column: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.split('\n').collect();
    let width = |line: usize| lines[line - 1].chars().count();
    if line > lines.len() {
        return (lines.len(), width(lines.len()) + 1);
    }
    let line = line.max(1);
    (line, column.clamp(1, width(line) + 1))
}

/// serde_yaml appends " at line N column M"; flowq shows positions itself.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
    .replace('`', "'")
}

/// For "unknown field 'x', expected one of 'a', 'b'": the closest key.
fn unknown_key_help(message: &str) -> Option<String> {
    let rest = message.split("unknown field '").nth(1)?;
    let (unknown, expected) = rest.split_once("', expected ")?;
    let valid: Vec<&str> = expected
        .split('\'')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    match suggest::closest(unknown, valid.iter().copied()) {
        Some(key) => Some(format!("did you mean '{key}'?")),
        None => Some(format!("valid keys here: {}", valid.join(", "))),
    }
}

/// Where a value stands in the file: the file position where each of its
/// lines starts, so that offsets into the value map back to the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueLocation {
    /// The key's own position (line, column), for errors about the value
    /// as a whole.
    pub key: (usize, usize),
    /// File (line, column) of the start of each line of the value; empty
    /// when the value's text does not map line by line onto the file (a
    /// folded or escaped scalar): point at the key then.
    pub lines: Vec<(usize, usize)>,
}

/// Finds the value of `path` (nested block-mapping keys, the last one may
/// sit in a one-line flow mapping like `{type: ip, default: 10.0.0.1}`).
/// Returns None when the key is not written in a form it understands.
pub fn locate(text: &str, path: &[&str]) -> Option<ValueLocation> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut to = lines.len();
    let mut indent = 0;
    for (depth, key) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let found = (from..to).find_map(|i| key_at(lines[i], key, indent).map(|col| (i, col)));
        let (i, col) = match found {
            Some(hit) => hit,
            None if last && depth > 0 => return in_flow_mapping(&lines, from - 1, key),
            None => return None,
        };
        if last {
            return Some(value_location(&lines, i, col, key));
        }
        // The child block: following lines indented deeper than this key.
        indent = col - 1;
        from = i + 1;
        to = (from..to)
            .find(|&j| !lines[j].trim().is_empty() && leading(lines[j]) <= indent)
            .unwrap_or(to);
        indent = (from..to)
            .find(|&j| !lines[j].trim().is_empty() && !lines[j].trim_start().starts_with('#'))
            .map_or(indent + 2, |j| leading(lines[j]));
        if from == to {
            return in_flow_mapping(&lines, i, path[depth + 1]).filter(|_| depth + 2 == path.len());
        }
    }
    None
}

fn leading(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The 1-based column of `key:` when `line` starts with it at `indent`.
fn key_at(line: &str, key: &str, indent: usize) -> Option<usize> {
    if leading(line) != indent {
        return None;
    }
    let rest = line.trim_start();
    let after = rest.strip_prefix(key)?;
    after.starts_with(':').then_some(indent + 1)
}

fn value_location(lines: &[&str], i: usize, key_col: usize, key: &str) -> ValueLocation {
    let line = lines[i];
    let after_colon = key_col - 1 + key.len() + 1;
    let value = &line[after_colon.min(line.len())..];
    let value_col = after_colon + (value.len() - value.trim_start().len()) + 1;
    let value = value.trim();
    let key_pos = (i + 1, key_col);
    if value.starts_with('|') {
        let block: Vec<(usize, usize)> = lines[i + 1..]
            .iter()
            .enumerate()
            .take_while(|(_, l)| l.trim().is_empty() || leading(l) > key_col - 1)
            .map(|(j, l)| (i + 2 + j, leading(l) + 1))
            .collect();
        return ValueLocation {
            key: key_pos,
            lines: block,
        };
    }
    let plain = !value.is_empty() && !value.starts_with(['>', '"', '\'', '{', '[']);
    let single_quoted = value.starts_with('\'') && !value[1..].contains("''");
    let double_quoted = value.starts_with('"') && !value.contains('\\');
    let lines = if plain {
        vec![(i + 1, value_col)]
    } else if single_quoted || double_quoted {
        vec![(i + 1, value_col + 1)]
    } else {
        Vec::new()
    };
    ValueLocation {
        key: key_pos,
        lines,
    }
}

/// `name: {type: ip, default: 10.0.0.1}` on line `i`: the position of
/// `key`'s value inside the braces.
fn in_flow_mapping(lines: &[&str], i: usize, key: &str) -> Option<ValueLocation> {
    let line = lines.get(i)?;
    let open = line.find('{')?;
    let needle = format!("{key}:");
    let at = line[open..]
        .match_indices(&needle)
        .map(|(j, _)| open + j)
        .find(|&j| line[..j].ends_with(['{', ' ', ',']))?;
    let value_start = at + needle.len();
    let skipped = line[value_start..].len() - line[value_start..].trim_start().len();
    Some(ValueLocation {
        key: (i + 1, at + 1),
        lines: vec![(i + 1, value_start + skipped + 1)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        title: String,
        query: String,
    }

    #[test]
    fn unknown_keys_are_located_with_the_closest_valid_key() {
        let e = from_str::<Doc>("title: x\nquery: a\nqeury: b\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(
            e.message,
            "unknown field 'qeury', expected 'title' or 'query'"
        );
        assert_eq!(e.help.as_deref(), Some("did you mean 'query'?"));
    }

    /// The deepest level the scan sees in `text`, with no limit.
    fn scanned_depth(text: &str) -> usize {
        let mut scan = NestingScan {
            limit: usize::MAX,
            ..NestingScan::default()
        };
        for line in lines(text) {
            scan.line(line).unwrap();
        }
        scan.deepest
    }

    /// The nesting of a parsed document: the top-level collection is 1.
    fn depth(value: &serde_yaml::Value) -> usize {
        use serde_yaml::Value;
        match value {
            Value::Sequence(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Mapping(map) => {
                1 + map
                    .iter()
                    .map(|(k, v)| depth(k).max(depth(v)))
                    .max()
                    .unwrap_or(0)
            }
            Value::Tagged(tagged) => depth(&tagged.value),
            _ => 0,
        }
    }

    #[test]
    fn nesting_counts_block_flow_and_compact_levels_but_not_text() {
        for (text, expected) in [
            ("a: 1\n", 1),
            ("a:\n  b:\n    c: [1, {d: [2]}]\n", 6),
            ("- - - x\n", 4),
            ("tags:\n- a\n- [b]\n", 3),
            ("--- [[x]]\n", 2),
            ("a: 'x [[[[ # [['\nb: \"{{{\\\" [[\"\n", 1),
            ("a: |\n  [[[[[[\n  {{{{\nb: x\n", 1),
            ("a: x [[[[\n  [[[[ continued\nb: y\n", 1),
            ("a: [x, 'it''s [', \"[\", [y]]\n", 3),
            ("a: &anchor [!tag [z]]\n", 3),
            ("a: [\n  [\n    b\n  ]\n]\n", 3),
            // One more than the parser: the entry's mapping and the
            // sequence are counted apart.
            ("- a: x\n  b: [[y]]\n", 5),
        ] {
            let parsed: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
            assert!(scanned_depth(text) >= depth(&parsed), "{text}");
            assert_eq!(scanned_depth(text), expected, "{text}");
        }
    }

    #[test]
    fn every_line_break_reads_as_a_newline_and_positions_stay_inside() {
        assert_eq!(
            normalize("\u{feff}a\r\nb\rc\u{85}d\u{2028}e\u{2029}f\n"),
            "a\nb\nc\nd\ne\nf\n"
        );
        assert!(matches!(normalize("a\nb"), Cow::Borrowed("a\nb")));
        // serde_yaml puts the end of "{" on line 2: it is the end of line 1.
        let e = from_str::<serde_yaml::Value>("{").unwrap_err();
        assert_eq!((e.line, e.column), (1, 2));
        let e = from_str::<serde_yaml::Value>("a: 1\rb: [\r").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
    }

    #[test]
    fn the_scan_counts_the_cases_fuzzing_found() {
        for text in [
            // A mapping with an empty key inside a sequence entry.
            "a:  #c\n- &a : ",
            // An entry's mapping on the line after its dash.
            "a: \n-  #c\n  a: ",
            // A lone CR breaks the line for the parser.
            "b: ...'x'\n---b: \r -  #c- ",
            // `[k: v]` is a sequence of one-pair mappings.
            "a: [b: [c: d]]",
        ] {
            let parsed: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
            assert!(scanned_depth(text) >= depth(&parsed), "{text:?}");
        }
    }

    #[test]
    fn documents_past_the_limit_are_refused_where_they_pass_it() {
        let flow = format!("a: {}1{}\n", "[".repeat(64), "]".repeat(64));
        let e = from_str::<serde_yaml::Value>(&flow).unwrap_err();
        assert_eq!((e.line, e.column), (1, 67));
        assert!(
            e.message.contains("nested more than 64 levels"),
            "{}",
            e.message
        );
        let just_fits = format!("a: {}1{}\n", "[".repeat(63), "]".repeat(63));
        assert!(from_str::<serde_yaml::Value>(&just_fits).is_ok());
        let block: String = (0..70)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let e = from_str::<serde_yaml::Value>(&block).unwrap_err();
        assert_eq!((e.line, e.column), (65, 65));
    }

    /// A random tree written in a random mix of YAML styles.
    #[derive(Clone, Debug)]
    enum Tree {
        Leaf(String),
        List(Vec<Tree>),
        Map(Vec<(String, Tree)>),
    }

    fn tree() -> impl proptest::strategy::Strategy<Value = Tree> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            "[a-z]{1,4}".prop_map(Tree::Leaf),
            // Text that looks like structure, in quotes.
            "[a-z\\[\\]{}#:,' -]{0,8}"
                .prop_map(|t| Tree::Leaf(format!("'{}'", t.replace('\'', "''")))),
            "[a-z\\[\\]{}#:,' -]{0,8}".prop_map(|t| Tree::Leaf(format!("\"{t}\""))),
        ];
        leaf.prop_recursive(8, 64, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..4).prop_map(Tree::List),
                proptest::collection::vec(inner, 1..4).prop_map(|values| Tree::Map(
                    values
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (format!("k{i}"), v))
                        .collect()
                )),
            ]
        })
    }

    fn tree_depth(tree: &Tree) -> usize {
        match tree {
            Tree::Leaf(_) => 0,
            Tree::List(items) => 1 + items.iter().map(tree_depth).max().unwrap_or(0),
            Tree::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(_, v)| tree_depth(v))
                    .max()
                    .unwrap_or(0)
            }
        }
    }

    /// Flow style, on one line.
    fn flow(tree: &Tree) -> String {
        match tree {
            Tree::Leaf(text) => text.clone(),
            Tree::List(items) => {
                format!(
                    "[{}]",
                    items.iter().map(flow).collect::<Vec<_>>().join(", ")
                )
            }
            Tree::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Block style at `indent`, switching to flow where `flow_below` says.
    fn block(tree: &Tree, indent: usize, flow_at: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match tree {
            Tree::Leaf(_) => unreachable!("leaves are written by their parent"),
            _ if flow_at == 0 => {
                out.push_str(&format!("{pad}x: {}\n", flow(tree)));
            }
            Tree::List(items) => {
                for item in items {
                    match item {
                        Tree::Leaf(text) => out.push_str(&format!("{pad}- {text}\n")),
                        _ => {
                            out.push_str(&format!("{pad}-\n"));
                            block(item, indent + 2, flow_at - 1, out);
                        }
                    }
                }
            }
            Tree::Map(entries) => {
                for (key, value) in entries {
                    match value {
                        Tree::Leaf(text) => out.push_str(&format!("{pad}{key}: {text}\n")),
                        _ => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            block(value, indent + 2, flow_at - 1, out);
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        // FLOWQ_FUZZ_CASES=N runs longer (docs/catalog.md).
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("FLOWQ_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300)
        ))]

        /// The scan never counts less than the parser's nesting, whatever
        /// mix of block and flow style, and scalars full of brackets.
        #[test]
        fn the_scan_never_undercounts_valid_documents(tree in tree(), flow_at in 0usize..5) {
            let tree = match tree {
                Tree::Leaf(_) => Tree::Map(vec![("k".into(), tree)]),
                other => other,
            };
            let mut text = String::new();
            block(&tree, 0, flow_at, &mut text);
            let parsed: serde_yaml::Value = serde_yaml::from_str(&text)
                .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}\n{text}")))?;
            proptest::prop_assert!(depth(&parsed) >= tree_depth(&tree).min(1));
            proptest::prop_assert!(scanned_depth(&text) >= depth(&parsed), "{}", text);
        }

        /// Random YAML-like soup: whenever serde_yaml reads it, the scan
        /// counted at least as deep.
        #[test]
        fn the_scan_never_undercounts_soup(pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "- ", "? ", "a", "b: ", "'x'", "'", "\"", "\"y\"", "[", "]", "{", "}", ", ",
                ": ", " #c", " ", "  ", "|", ">", "&a ", "!t ", "*a", "---", "''", "\\",
                "x:y", "\n", "\n  ", "\n    ", "\n- ", "...", "\t", ":", "-", "?", "|-",
                "\r\n", "!!str ", "[a: b]", "\r", "\u{85}", "\u{2028}",
            ]),
            0..60,
        )) {
            let text: String = pieces.concat();
            if let Ok(parsed) = serde_yaml::from_str::<serde_yaml::Value>(&text) {
                proptest::prop_assert!(scanned_depth(&text) >= depth(&parsed), "{:?}", text);
            }
        }
    }

    #[test]
    fn locates_plain_quoted_block_and_flow_values() {
        let text = "title: x\nquery: dport 22 last 1h\nq2: 'src 10.0.0.1'\nq3: |\n  dport 22\n  last 1h\nparams:\n  window: {type: duration, default: 24h}\n  ip:\n    type: ip\n    default: 10.0.0.1\n";
        assert_eq!(locate(text, &["query"]).unwrap().lines, vec![(2, 8)]);
        assert_eq!(locate(text, &["q2"]).unwrap().lines, vec![(3, 6)]);
        assert_eq!(locate(text, &["q3"]).unwrap().lines, vec![(5, 3), (6, 3)]);
        assert_eq!(
            locate(text, &["params", "window", "default"])
                .unwrap()
                .lines,
            vec![(8, 37)]
        );
        assert_eq!(
            locate(text, &["params", "ip", "default"]).unwrap().lines,
            vec![(11, 14)]
        );
        assert_eq!(locate(text, &["nothing"]), None);
    }
}
