//! Reading a flow-log file as lines: inflate (`.log.gz`, including
//! multi-member gzip) or read (`.log`), and hand out whole lines as slices
//! of a buffer. A small `.log.gz` (at most [`WHOLE_MAX`] bytes, and as many
//! inflated) is read and inflated whole, in one call to libdeflate
//! ([`inflate`](super::inflate)); any other file is read in fixed chunks
//! into one reused buffer. So memory per file is at most [`WHOLE_MAX`]
//! twice over, or the chunk (plus the longest line), whatever its size.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::inflate::inflate_one_member;
use super::layout::{Compression, FileEntry};
use super::LocalError;

/// Bytes inflated or read per step.
const CHUNK: usize = 256 << 10;
/// Compressed bytes read from disk per step.
const DISK_CHUNK: usize = 128 << 10;
/// A longer line is not a flow-log record: fail rather than grow forever.
pub(crate) const MAX_LINE: usize = 16 << 20;
/// A `.log.gz` file of at most this many bytes, whose trailer says it
/// inflates to at most as many, is inflated whole. Below [`MAX_LINE`], so
/// no line of such a file is too long, as in a chunked read.
const WHOLE_MAX: usize = 8 << 20;
const _: () = assert!(WHOLE_MAX < MAX_LINE);

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

/// Memory a worker reuses from file to file for the files read whole: a
/// `.log.gz` file's bytes and its inflated text (each at most
/// [`WHOLE_MAX`]), so that reading a file allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    gzip: Vec<u8>,
    text: Vec<u8>,
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
    buffers: &mut Buffers,
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
        (Compression::Gzip, Body::File(file)) if entry.size <= WHOLE_MAX as u64 => {
            // Read through `take`, as the file may have grown since it was
            // listed: what lies past the limit is chunked after these bytes.
            let head = &mut buffers.gzip;
            head.clear();
            (&file)
                .take(WHOLE_MAX as u64 + 1)
                .read_to_end(head)
                .map_err(|e| LocalError::io(path, e))?;
            if head.len() <= WHOLE_MAX {
                return gzip_in_memory(head, &mut buffers.text, path, stop, on_lines);
            }
            let rest = head.as_slice().chain(file);
            let input = MultiGzDecoder::new(BufReader::with_capacity(DISK_CHUNK, rest));
            chunks(input, path, true, stop, on_lines)
        }
        (Compression::Gzip, Body::File(file)) => {
            let input = MultiGzDecoder::new(BufReader::with_capacity(DISK_CHUNK, file));
            chunks(input, path, true, stop, on_lines)
        }
        (Compression::Gzip, Body::Memory(bytes)) => {
            gzip_in_memory(&bytes, &mut buffers.text, path, stop, on_lines)
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

/// A whole `.log.gz` file's bytes: inflated in one call if
/// [`inflate_one_member`] takes them, else in chunks (which also names any
/// damage). `text` is where it inflates.
fn gzip_in_memory(
    gzip: &[u8],
    text: &mut Vec<u8>,
    path: &Path,
    stop: &dyn Fn() -> bool,
    on_lines: &mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>,
) -> Result<(), LocalError> {
    if inflate_one_member(gzip, WHOLE_MAX, text) {
        return pieces(text, stop, on_lines);
    }
    chunks(MultiGzDecoder::new(gzip), path, true, stop, on_lines)
}

/// Hands out `text` as [`chunks`] would: pieces of whole lines of about
/// [`CHUNK`] bytes, the last line given its `\n` if it lacks one, with
/// `stop()` looked at before each piece.
fn pieces(
    text: &mut Vec<u8>,
    stop: &dyn Fn() -> bool,
    on_lines: &mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>,
) -> Result<(), LocalError> {
    if text.last().is_some_and(|&b| b != b'\n') {
        text.push(b'\n');
    }
    let mut rest = &text[..];
    while !rest.is_empty() {
        if stop() {
            return Ok(());
        }
        let within = rest.len().min(CHUNK);
        // The text ends in a newline, so a long line's end is found.
        let end = match memchr::memrchr(b'\n', &rest[..within]) {
            Some(last) => last + 1,
            None => within + memchr::memchr(b'\n', &rest[within..]).map_or(0, |at| at + 1),
        };
        let (piece, after) = rest.split_at(end);
        if on_lines(piece)? == Flow::Stop {
            return Ok(());
        }
        rest = after;
    }
    Ok(())
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
    use super::super::inflate::gzip;
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

    /// The text `read` hands out, joined, or its error; and the number of
    /// pieces.
    fn read_out(
        read: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<Flow, LocalError>) -> Result<(), LocalError>,
    ) -> (Result<Vec<u8>, String>, usize) {
        let (mut text, mut pieces) = (Vec::new(), 0);
        let result = read(&mut |piece| {
            assert_eq!(piece.last(), Some(&b'\n'));
            text.extend_from_slice(piece);
            pieces += 1;
            Ok(Flow::Continue)
        });
        (result.map(|()| text).map_err(|e| e.to_string()), pieces)
    }

    #[test]
    fn a_file_inflated_whole_reads_as_one_inflated_in_chunks() {
        let long = "y".repeat(CHUNK * 2 + 3);
        let many: String = (0..40_000).map(|i| format!("line {i}\n")).collect();
        let texts = [
            "a b\nc\r\n\nd".to_string(),
            "a\nb\n".to_string(),
            String::new(),
            format!("h\n{long}\nz"),
            many,
        ];
        let one = gzip(b"h\nx\n");
        let mut damaged = one.clone();
        damaged[12] ^= 0xff;
        let mut inputs: Vec<(Vec<u8>, bool)> =
            texts.iter().map(|t| (gzip(t.as_bytes()), true)).collect();
        inputs.extend([
            ([gzip(b"h\nx"), gzip(b"y\n")].concat(), false),
            ([&one[..], b"junk"].concat(), false),
            (one[..one.len() - 3].to_vec(), false),
            (damaged, false),
            (b"not gzip at all, not at all".to_vec(), false),
        ]);
        for (input, whole) in inputs {
            let mut text = Vec::new();
            assert_eq!(inflate_one_member(&input, WHOLE_MAX, &mut text), whole);
            let path = Path::new("x.log.gz");
            let in_memory =
                read_out(|on| gzip_in_memory(&input, &mut Vec::new(), path, &|| false, on));
            let chunked =
                read_out(|on| chunks(MultiGzDecoder::new(&input[..]), path, true, &|| false, on));
            assert_eq!(in_memory.0, chunked.0);
        }
    }

    #[test]
    fn a_file_inflated_whole_stops_between_pieces() {
        let many: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
        let input = gzip(many.as_bytes());
        let mut seen = 0;
        let result = gzip_in_memory(
            &input,
            &mut Vec::new(),
            Path::new("x"),
            &|| false,
            &mut |_| {
                seen += 1;
                Ok(if seen == 2 {
                    Flow::Stop
                } else {
                    Flow::Continue
                })
            },
        );
        result.unwrap();
        assert_eq!(seen, 2);
        let (_, all) =
            read_out(|on| gzip_in_memory(&input, &mut Vec::new(), Path::new("x"), &|| false, on));
        assert!(all > 2, "{all} pieces");
        let (text, none) =
            read_out(|on| gzip_in_memory(&input, &mut Vec::new(), Path::new("x"), &|| true, on));
        assert_eq!((text.unwrap().len(), none), (0, 0));
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
