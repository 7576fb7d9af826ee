//! Reading a flow-log file as lines: inflate (`.log.gz`, including
//! multi-member gzip) or read (`.log`) in fixed chunks into one reused
//! buffer, and hand out each line as a slice of it. Memory per file is the
//! chunk (plus the longest line), whatever the file's size.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::layout::{Compression, FileEntry};
use super::LocalError;

/// Bytes inflated or read per step.
const CHUNK: usize = 256 << 10;
/// Compressed bytes read from disk per step.
const DISK_CHUNK: usize = 128 << 10;
/// A longer line is not a flow-log record: fail rather than grow forever.
pub(crate) const MAX_LINE: usize = 16 << 20;

/// Whether to go on reading after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Calls `on_line` with every line of the file, without its `\n` (or
/// `\r\n`, as Athena's text reader also strips), until it says stop or
/// `stop()` turns true between chunks.
pub(crate) fn for_each_line(
    entry: &FileEntry,
    stop: &dyn Fn() -> bool,
    on_line: &mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>,
) -> Result<(), LocalError> {
    let file = File::open(&entry.path).map_err(|e| LocalError::io(&entry.path, e))?;
    // An empty object (a failed upload) holds no records; gzip would call
    // it cut short, but there is nothing lost to report.
    if entry.size == 0 {
        return Ok(());
    }
    match entry.compression {
        Compression::Gzip => {
            let input = MultiGzDecoder::new(BufReader::with_capacity(DISK_CHUNK, file));
            lines(input, &entry.path, true, stop, on_line)
        }
        Compression::Plain => lines(file, &entry.path, false, stop, on_line),
    }
}

fn lines(
    mut input: impl Read,
    path: &Path,
    gzip: bool,
    stop: &dyn Fn() -> bool,
    on_line: &mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>,
) -> Result<(), LocalError> {
    let mut buffer = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut lines_done: u64 = 0;
    loop {
        if stop() {
            return Ok(());
        }
        if filled == buffer.len() {
            if buffer.len() >= MAX_LINE {
                return Err(LocalError::LineTooLong {
                    path: path.to_path_buf(),
                    line: lines_done + 1,
                });
            }
            buffer.resize(buffer.len() * 2, 0);
        }
        let read =
            read_some(&mut input, &mut buffer[filled..]).map_err(|e| read_error(path, gzip, e))?;
        filled += read;
        let data = &buffer[..filled];
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', data) {
            lines_done += 1;
            let line = without_cr(&data[start..newline]);
            start = newline + 1;
            if on_line(line)? == Flow::Stop {
                return Ok(());
            }
        }
        if read == 0 {
            if start < filled {
                on_line(without_cr(&data[start..filled]))?;
            }
            return Ok(());
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
    }
}

fn read_some(input: &mut impl Read, into: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(into) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn without_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// flate2 reports damaged data as these kinds; anything else is the disk.
fn read_error(path: &Path, gzip: bool, error: io::Error) -> LocalError {
    let damaged = matches!(
        error.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    );
    if gzip && damaged {
        LocalError::Corrupt {
            path: path.to_path_buf(),
            detail: error.to_string(),
        }
    } else {
        LocalError::io(path, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8], chunk_lines: bool) -> Vec<String> {
        let mut out = Vec::new();
        let result = lines(bytes, Path::new("x"), false, &|| false, &mut |line| {
            out.push(String::from_utf8_lossy(line).into_owned());
            Ok(if chunk_lines && out.len() == 2 {
                Flow::Stop
            } else {
                Flow::Continue
            })
        });
        result.unwrap();
        out
    }

    #[test]
    fn lines_lose_their_endings_and_the_last_needs_none() {
        assert_eq!(collect(b"a b\nc\r\n\nd", false), ["a b", "c", "", "d"]);
        assert_eq!(collect(b"a\nb\n", false), ["a", "b"]);
        assert_eq!(collect(b"a\nb\nc\n", true), ["a", "b"]);
        assert!(collect(b"", false).is_empty());
    }

    #[test]
    fn lines_longer_than_a_chunk_are_whole() {
        let long = "x".repeat(CHUNK * 3 + 7);
        let text = format!("h\n{long}\nz");
        assert_eq!(collect(text.as_bytes(), false), ["h", long.as_str(), "z"]);
    }
}
