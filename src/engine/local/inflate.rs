//! A whole gzip file inflated in one call by libdeflate, which inflates
//! flow-log objects about 1.3x as fast as zlib-rs in chunks
//! (docs/benchmarks.md, "The fourth round"): it decodes into the final
//! buffer, with no window to keep between calls.
//!
//! It takes only what it can finish in one call: a single gzip member
//! whose trailer gives an inflated size within the caller's limit.
//! Anything else (several members, damage, a larger file) is refused, and
//! the caller reads the same bytes with the streaming reader, which joins
//! members and names the damage. So a file is never judged two ways.

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// The smallest gzip member: a 10-byte header, an empty deflate block and
/// the 8-byte trailer (CRC-32 and inflated size).
const SMALLEST_MEMBER: usize = 20;

/// Inflates `gzip` into `out` (replacing what it held) and says whether it
/// could: `gzip` is exactly one member, undamaged (libdeflate checks the
/// CRC-32 and the size), whose inflated size is at most `limit` bytes.
pub(crate) fn inflate_one_member(gzip: &[u8], limit: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    let Some(size) = trailer_size(gzip).filter(|&size| size <= limit) else {
        return false;
    };
    out.reserve_exact(size);
    let Some(decompressor) = Decompressor::new() else {
        return false;
    };
    let (mut read, mut written) = (0usize, 0usize);
    // SAFETY: the input pointer and length are `gzip`'s; the output is
    // `out`'s spare capacity, at least `size` bytes, which libdeflate
    // writes at most `size` of and reports how many in `written`.
    let result = unsafe {
        libdeflate_gzip_decompress_ex(
            decompressor.0,
            gzip.as_ptr().cast(),
            gzip.len(),
            out.as_mut_ptr().cast(),
            size,
            &mut read,
            &mut written,
        )
    };
    // Bytes after the member (a second member, or trailing junk) are not
    // libdeflate's to judge: the streaming reader reads the whole file.
    if result != libdeflate_result_LIBDEFLATE_SUCCESS || read != gzip.len() || written > size {
        return false;
    }
    // SAFETY: libdeflate initialised the first `written` bytes, and
    // `written` is within the capacity reserved above.
    unsafe { out.set_len(written) };
    true
}

/// The inflated size a member's trailer gives (its last four bytes,
/// little-endian, modulo 2^32; libdeflate checks it against what it wrote).
fn trailer_size(gzip: &[u8]) -> Option<usize> {
    if gzip.len() < SMALLEST_MEMBER {
        return None;
    }
    let last: [u8; 4] = gzip[gzip.len() - 4..].try_into().ok()?;
    usize::try_from(u32::from_le_bytes(last)).ok()
}

/// A libdeflate decompressor, freed on drop.
struct Decompressor(*mut libdeflate_decompressor);

impl Decompressor {
    fn new() -> Option<Decompressor> {
        // SAFETY: no arguments; a null result (out of memory) is checked.
        let pointer = unsafe { libdeflate_alloc_decompressor() };
        (!pointer.is_null()).then_some(Decompressor(pointer))
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_free_decompressor(self.0) }
    }
}

/// `bytes` as one gzip member, for the tests of this and of the reader.
#[cfg(test)]
pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflated(gzip: &[u8], limit: usize) -> Option<Vec<u8>> {
        let mut out = b"left over".to_vec();
        inflate_one_member(gzip, limit, &mut out).then_some(out)
    }

    #[test]
    fn one_member_within_the_limit_inflates_whole() {
        let text: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        assert_eq!(inflated(&gzip(&text), text.len()).unwrap(), text);
        assert_eq!(inflated(&gzip(b""), 0).unwrap(), b"");
    }

    #[test]
    fn what_it_cannot_finish_in_one_call_is_refused() {
        let one = gzip(b"version account-id\n");
        // Over the limit by one byte.
        assert_eq!(inflated(&one, 18), None);
        // Two members: the streaming reader joins them.
        assert_eq!(
            inflated(&[one.clone(), one.clone()].concat(), 1 << 20),
            None
        );
        // Trailing junk, a cut-short member, a damaged CRC, not gzip at all.
        assert_eq!(inflated(&[&one[..], b"x"].concat(), 1 << 20), None);
        assert_eq!(inflated(&one[..one.len() - 1], 1 << 20), None);
        let mut damaged = one.clone();
        let crc = damaged.len() - 8;
        damaged[crc] ^= 1;
        assert_eq!(inflated(&damaged, 1 << 20), None);
        assert_eq!(inflated(&[b'x'; 64], usize::MAX), None);
        // A trailer that under-states the size: libdeflate runs out of room.
        let mut short = gzip(b"0123456789");
        let size = short.len() - 4;
        short[size] = 9;
        assert_eq!(inflated(&short, 1 << 20), None);
    }
}
