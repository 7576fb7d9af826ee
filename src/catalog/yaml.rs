//! Everything flowq does with YAML goes through this module, so that the
//! YAML library (serde_yaml, deprecated upstream but the user's choice) can
//! be replaced by a maintained fork in one place.
//!
//! It offers deserialization with located errors (and a "did you mean" for
//! unknown keys), and a small locator that finds where a key's value stands
//! in the text, so a query inside a YAML file gets errors at its own
//! file:line:col.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::suggest;

/// The largest config or search file flowq reads. Real ones are a few KB;
/// the cap keeps an endless device or a runaway file from filling memory.
pub const MAX_FILE_BYTES: usize = 1 << 20;

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
    if text.starts_with(BYTE_ORDER_MARK) {
        text.drain(..BYTE_ORDER_MARK.len_utf8());
    }
    Ok(text)
}

/// `text` without a leading byte-order mark.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text)
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
/// The text is checked for size first.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let text = without_bom(text);
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
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
