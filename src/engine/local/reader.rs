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

/// A file's bytes: a file on disk, read in chunks, or an S3 object's body,
/// fetched whole into memory (objects are at most 75 MB, reference §2).
pub(crate) enum Body {
    File(File),
    Memory(bytes::Bytes),
}

impl Body {
    /// The file `entry` names, opened.
    pub fn open(entry: &FileEntry) -> Result<Body, LocalError> {
        File::open(&entry.path)
            .map(Body::File)
            .map_err(|e| LocalError::io(&entry.path, e))
    }
}

/// Whether to go on reading after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Calls `on_lines` with the file's contents in pieces of whole lines,
/// each line ending in `\n` (one is added to a last line without it),
/// until it says stop or `stop()` turns true between pieces.
pub(crate) fn for_each_chunk(
    entry: &FileEntry,
    body: Body,
    stop: &dyn Fn() -> bool,
    on_lines: &mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>,
) -> Result<(), LocalError> {
    // An empty object (a failed upload) holds no records; gzip would call
    // it cut short, but there is nothing lost to report.
    if entry.size == 0 {
        return Ok(());
    }
    let path = &entry.path;
    match (entry.compression, body) {
        (Compression::Gzip, Body::File(file)) => {
            let input = MultiGzDecoder::new(BufReader::with_capacity(DISK_CHUNK, file));
            chunks(input, path, true, stop, on_lines)
        }
        (Compression::Gzip, Body::Memory(bytes)) => {
            chunks(MultiGzDecoder::new(&bytes[..]), path, true, stop, on_lines)
        }
        (Compression::Plain, Body::File(file)) => chunks(file, path, false, stop, on_lines),
        (Compression::Plain, Body::Memory(bytes)) => {
            chunks(&bytes[..], path, false, stop, on_lines)
        }
        (Compression::Parquet, _) => {
            unreachable!("Parquet files are read by columns, not lines")
        }
    }
}

fn chunks(
    mut input: impl Read,
    path: &Path,
    gzip: bool,
    stop: &dyn Fn() -> bool,
    on_lines: &mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>,
) -> Result<(), LocalError> {
    let mut buffer = vec![0u8; CHUNK];
    let mut filled = 0;
    loop {
        if stop() {
            return Ok(());
        }
        if filled == buffer.len() {
            if buffer.len() >= MAX_LINE {
                return Err(LocalError::LineTooLong {
                    path: path.to_path_buf(),
                });
            }
            buffer.resize(buffer.len() * 2, 0);
        }
        let read =
            read_some(&mut input, &mut buffer[filled..]).map_err(|e| read_error(path, gzip, e))?;
        filled += read;
        if read == 0 {
            if filled > 0 && buffer[filled - 1] != b'\n' {
                buffer.truncate(filled);
                buffer.push(b'\n');
                filled += 1;
            }
            if filled > 0 {
                on_lines(&buffer[..filled])?;
            }
            return Ok(());
        }
        let Some(last) = memchr::memrchr(b'\n', &buffer[..filled]) else {
            continue;
        };
        let whole = last + 1;
        if on_lines(&buffer[..whole])? == Flow::Stop {
            return Ok(());
        }
        buffer.copy_within(whole..filled, 0);
        filled -= whole;
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

    /// The pieces handed out, and whether each ended a line.
    fn pieces(bytes: &[u8], stop_after: usize) -> Vec<String> {
        let mut out = Vec::new();
        let result = chunks(bytes, Path::new("x"), false, &|| false, &mut |piece| {
            assert_eq!(piece.last(), Some(&b'\n'));
            out.push(String::from_utf8_lossy(piece).into_owned());
            Ok(if out.len() == stop_after {
                Flow::Stop
            } else {
                Flow::Continue
            })
        });
        result.unwrap();
        out
    }

    #[test]
    fn pieces_are_whole_lines_and_the_last_gets_its_newline() {
        assert_eq!(pieces(b"a b\nc\r\n\nd", 9), ["a b\nc\r\n\n", "d\n"]);
        assert_eq!(pieces(b"a\nb\n", 9), ["a\nb\n"]);
        assert!(pieces(b"", 9).is_empty());
    }

    #[test]
    fn lines_longer_than_a_chunk_are_whole() {
        let long = "x".repeat(CHUNK * 3 + 7);
        let text = format!("h\n{long}\nz");
        let joined = pieces(text.as_bytes(), 99).concat();
        assert_eq!(joined, format!("{text}\n"));
        assert!(pieces(text.as_bytes(), 1).len() == 1);
    }
}
