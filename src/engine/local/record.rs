//! One record: the fields a query needs, found in a line without copying.
//!
//! A query needs a few fields ([`Slots`]); each file's header says where
//! they are ([`FileColumns`]); a line is split only as far as the last
//! needed column, into byte ranges ([`Record`]). Values are parsed when a
//! test or an output asks for them, the way the SQL reads the columns:
//! strings through `NULLIF(col, '-')`, integers as Athena's text reader
//! does (anything that is not a number in range, `-` included, is NULL).

use crate::lang::ir::Column;
use crate::schema::{self, Field, FieldType};

use super::reader::Flow;

/// The fields a query reads; a field's slot is its index here.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots {
    fields: Vec<&'static Field>,
}

impl Slots {
    pub fn slot(&mut self, field: &'static Field) -> usize {
        match self.fields.iter().position(|f| std::ptr::eq(*f, field)) {
            Some(i) => i,
            None => {
                self.fields.push(field);
                self.fields.len() - 1
            }
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// The fields, in slot order.
    pub fn fields(&self) -> &[&'static Field] {
        &self.fields
    }

    /// How the SQL reads a column.
    pub fn column(&mut self, column: Column) -> ColumnRef {
        match column {
            Column::Field(f) => self.field(f),
            Column::Duration => ColumnRef::Duration {
                start: self.slot(schema::field_named("start").expect("known field")),
                end: self.slot(schema::field_named("end").expect("known field")),
            },
        }
    }

    pub fn field(&mut self, field: &'static Field) -> ColumnRef {
        let slot = self.slot(field);
        match field.ty {
            FieldType::Text | FieldType::Address => ColumnRef::Text(slot),
            FieldType::Int => ColumnRef::Int { slot, int32: true },
            FieldType::BigInt => ColumnRef::Int { slot, int32: false },
        }
    }
}

/// A column of a record, resolved to slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColumnRef {
    /// A string: NULL when absent or `-`.
    Text(usize),
    /// An `int` (32-bit) or `bigint` column.
    Int { slot: usize, int32: bool },
    /// `end - start`.
    Duration { start: usize, end: usize },
}

/// A value as SQL sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
}

/// Where the slots' fields are in one file's lines.
#[derive(Debug)]
pub(crate) struct FileColumns {
    /// For each column of the file (up to the last one needed), the slot
    /// it fills, if any.
    slot_of_column: Vec<Option<usize>>,
    /// The header line, to recognise a repeat of it (concatenated files).
    header: Vec<u8>,
}

impl FileColumns {
    /// Reads a header line (`version account-id ...`). `None` when no word
    /// of it is a known field name: the file has no header.
    pub fn from_header(header: &[u8], slots: &Slots) -> Option<FileColumns> {
        let names: Vec<&[u8]> = header.split(|b| *b == b' ').collect();
        let fields: Vec<Option<&'static Field>> = names
            .iter()
            .map(|name| {
                std::str::from_utf8(name)
                    .ok()
                    .and_then(|n| schema::field_named(n.trim()))
            })
            .collect();
        if fields.iter().all(Option::is_none) {
            return None;
        }
        let mut slot_of_column: Vec<Option<usize>> = fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let field = (*field)?;
                // A repeated name: the first column wins.
                let first = fields.iter().position(|f| *f == Some(field));
                let slot = slots.fields.iter().position(|f| std::ptr::eq(*f, field));
                slot.filter(|_| first == Some(i))
            })
            .collect();
        let needed = slot_of_column
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        slot_of_column.truncate(needed);
        Some(FileColumns {
            slot_of_column,
            header: header.to_vec(),
        })
    }

    pub fn is_header(&self, line: &[u8]) -> bool {
        line == self.header.as_slice()
    }
}

/// Byte range of a field in its line; `NONE` when the field is absent.
pub(crate) type Range = (u32, u32);
pub(crate) const NONE: Range = (u32::MAX, u32::MAX);

/// A line split into the query's fields, or a row of a Parquet file
/// (engine/local/parquet.rs): its strings copied into `line`, its integers
/// already typed in `ints`.
pub(crate) struct Record<'a> {
    line: &'a [u8],
    ranges: &'a [Range],
    /// Per slot, the typed integer of a Parquet row (`None` is NULL);
    /// empty for a text line, whose integers are parsed from `line`.
    ints: &'a [Option<i64>],
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// Reused storage for a record's field ranges.
#[derive(Debug)]
pub(crate) struct Splitter {
    ranges: Vec<Range>,
}

impl Splitter {
    pub fn new(slots: &Slots) -> Splitter {
        Splitter {
            ranges: vec![NONE; slots.len()],
        }
    }

    /// Calls `on_record` with each record of `lines` (whole lines, each
    /// ending in `\n`; a `\r` before it is dropped). Blank lines and
    /// repeats of the header are not records.
    ///
    /// Fields are split on single spaces, as Athena's text reader does (two
    /// spaces make an empty field); missing trailing fields are absent,
    /// that is NULL. Spaces and newlines are found 64 bytes at a time
    /// ([`Delimiters`]) rather than by a search per field.
    pub fn records(
        &mut self,
        lines: &[u8],
        columns: &FileColumns,
        account: Option<&str>,
        region: Option<&str>,
        on_record: &mut dyn FnMut(&Record) -> Flow,
    ) -> Flow {
        let wanted = columns.slot_of_column.as_slice();
        let (mut line_start, mut field_start, mut column) = (0, 0, 0);
        let ranges = self.ranges.as_mut_slice();
        ranges.fill(NONE);
        for end in Delimiters::new(lines) {
            let newline = lines[end] == b'\n';
            if let Some(Some(slot)) = wanted.get(column) {
                let cr = newline && end > field_start && lines[end - 1] == b'\r';
                let field_end = end - usize::from(cr);
                ranges[*slot] = (
                    (field_start - line_start) as u32,
                    (field_end - line_start) as u32,
                );
            }
            column += 1;
            field_start = end + 1;
            if !newline {
                continue;
            }
            // A full line set every wanted slot, so none is reset per line
            // (that was a call to memset per record); a short line's missing
            // fields still hold the previous line's.
            if column < wanted.len() {
                forget_missing(ranges, &wanted[column..]);
            }
            let line = &lines[line_start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() && !columns.is_header(line) {
                let record = Record {
                    line,
                    ranges,
                    ints: &[],
                    account,
                    region,
                };
                if on_record(&record) == Flow::Stop {
                    return Flow::Stop;
                }
            }
            column = 0;
            line_start = end + 1;
        }
        Flow::Continue
    }
}

/// Makes the fields of a short line's missing columns absent (NULL).
#[cold]
#[inline(never)]
fn forget_missing(ranges: &mut [Range], missing: &[Option<usize>]) {
    missing
        .iter()
        .flatten()
        .for_each(|&slot| ranges[slot] = NONE);
}

/// The positions of spaces and newlines in a piece of text, in order.
///
/// Each 64-byte block becomes a bit mask of its delimiters (a loop the
/// compiler turns into vector compares on every target), and positions
/// come from its set bits: about one instruction per byte and a few per
/// field, where a search per field pays a call and a setup each time.
struct Delimiters<'a> {
    text: &'a [u8],
    /// Start of the block `mask` describes.
    base: usize,
    mask: u64,
}

const BLOCK: usize = 64;

impl<'a> Delimiters<'a> {
    fn new(text: &'a [u8]) -> Delimiters<'a> {
        let mut delimiters = Delimiters {
            text,
            base: 0,
            mask: 0,
        };
        delimiters.mask = delimiters.block_mask();
        delimiters
    }

    fn block_mask(&self) -> u64 {
        let block = &self.text[self.base.min(self.text.len())..];
        match block.get(..BLOCK) {
            Some(full) => delimiter_mask(full.try_into().expect("a block")),
            None => block
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b' ' || b == b'\n')
                .fold(0, |mask, (i, _)| mask | 1 << i),
        }
    }
}

/// Bit `i` set when byte `i` is a space or a newline.
#[cfg(target_arch = "x86_64")]
fn delimiter_mask(block: &[u8; BLOCK]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut mask = 0u64;
    // SAFETY: SSE2 is part of the x86_64 baseline, so these instructions
    // exist on every x86_64 CPU; each unaligned 16-byte load lies inside
    // `block` (offsets 0, 16, 32, 48 of 64 bytes).
    unsafe {
        let space = _mm_set1_epi8(b' ' as i8);
        let newline = _mm_set1_epi8(b'\n' as i8);
        for lane in 0..BLOCK / 16 {
            let bytes = _mm_loadu_si128(block.as_ptr().add(16 * lane).cast::<__m128i>());
            let hits = _mm_or_si128(_mm_cmpeq_epi8(bytes, space), _mm_cmpeq_epi8(bytes, newline));
            let bits = _mm_movemask_epi8(hits) as u32 & 0xffff;
            mask |= u64::from(bits) << (16 * lane);
        }
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
fn delimiter_mask(block: &[u8; BLOCK]) -> u64 {
    swar_delimiter_mask(block)
}

/// The same mask eight bytes at a time in plain integer arithmetic, for
/// targets without the x86_64 path.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn swar_delimiter_mask(block: &[u8; BLOCK]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // High bit of each byte set exactly where the byte is zero.
    let zero_bytes = |x: u64| !(((x & LOW7) + LOW7) | x | LOW7);
    let mut mask = 0u64;
    for (i, word) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let hits =
            zero_bytes(word ^ 0x2020_2020_2020_2020) | zero_bytes(word ^ 0x0a0a_0a0a_0a0a_0a0a);
        // Gathers each byte's flag into bit `byte index` of the top byte.
        let bits = ((hits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        mask |= bits << (8 * i);
    }
    mask
}

impl Iterator for Delimiters<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += BLOCK;
            if self.base >= self.text.len() {
                return None;
            }
            self.mask = self.block_mask();
        }
        let position = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(position)
    }
}

impl<'a> Record<'a> {
    /// A Parquet row: `ranges` index `text`, `ints` holds every integer
    /// slot (and any value for a text slot, which is never read there).
    pub fn typed(
        text: &'a [u8],
        ranges: &'a [Range],
        ints: &'a [Option<i64>],
        account: Option<&'a str>,
        region: Option<&'a str>,
    ) -> Record<'a> {
        Record {
            line: text,
            ranges,
            ints,
            account,
            region,
        }
    }

    /// The field's bytes as written, `-` included; `None` when absent.
    pub fn raw(&self, slot: usize) -> Option<&'a [u8]> {
        let (start, end) = self.range(slot)?;
        Some(&self.line[start..end])
    }

    /// Where the field is in the line; `None` when absent.
    #[inline]
    fn range(&self, slot: usize) -> Option<(usize, usize)> {
        let (start, end) = self.ranges[slot];
        (start != u32::MAX).then_some((start as usize, end as usize))
    }

    /// [`Record::text`] as the line it is in and its range there, for a
    /// parser that loads bytes past the field's end (the line's next
    /// fields) rather than the field byte by byte.
    #[inline]
    pub fn text_in_line(&self, slot: usize) -> Option<(&'a [u8], usize, usize)> {
        let (start, end) = self.range(slot)?;
        (&self.line[start..end] != b"-").then_some((self.line, start, end))
    }

    /// `NULLIF(col, '-')`.
    pub fn text(&self, slot: usize) -> Option<&'a [u8]> {
        self.text_in_line(slot)
            .map(|(line, start, end)| &line[start..end])
    }

    pub fn int(&self, slot: usize, int32: bool) -> Option<i64> {
        if let Some(typed) = self.ints.get(slot) {
            // An INT64 column read as an `int` field: out of range is NULL,
            // as the text reader makes it.
            return typed.filter(|v| !int32 || i32::try_from(*v).is_ok());
        }
        let (start, end) = self.range(slot)?;
        if let Some(value) = word_digits(self.line, start, end) {
            // At most 16 digits: within i64.
            let value = value as i64;
            return (!int32 || value <= i64::from(i32::MAX)).then_some(value);
        }
        parse_int(&self.line[start..end], int32)
    }

    pub fn value(&self, column: ColumnRef) -> Value<'a> {
        let value = match column {
            ColumnRef::Text(slot) => self.text(slot).map(Value::Text),
            ColumnRef::Int { slot, int32 } => self.int(slot, int32).map(Value::Int),
            ColumnRef::Duration { .. } => self.int_value(column).map(Value::Int),
        };
        value.unwrap_or(Value::Null)
    }

    /// The field as [`ten_digit_number`] reads it: `None` unless it is
    /// ten decimal digits in a line (a Parquet row's integers are typed).
    #[inline]
    pub fn ten_digits(&self, slot: usize) -> Option<u128> {
        if self.ints.get(slot).is_some() {
            return None;
        }
        let (start, end) = self.range(slot)?;
        ten_digit_number(&self.line[start..end])
    }

    /// An integer column's value (`None` is NULL).
    pub fn int_value(&self, column: ColumnRef) -> Option<i64> {
        match column {
            ColumnRef::Int { slot, int32 } => self.int(slot, int32),
            ColumnRef::Duration { start, end } => {
                // bigint subtraction; out of range would fail in Athena,
                // and cannot come from real timestamps.
                self.int(end, false)?.checked_sub(self.int(start, false)?)
            }
            ColumnRef::Text(_) => None,
        }
    }
}

/// The value of the field at `start..end` of `line` if it is 1 to 16
/// decimal digits and 8 bytes of the line start at `start` (every integer
/// field but a last one): read eight digits at a time, with no branch on
/// the number of digits, which varies from record to record in ports and
/// byte counts and so is mispredicted in a loop over the digits. `None`
/// means "not this way": a sign, `-`, other bytes or a short line are
/// left to [`parse_int`].
#[inline]
fn word_digits(line: &[u8], start: usize, end: usize) -> Option<u64> {
    let n = end - start;
    let first: [u8; 8] = line.get(start..start + 8)?.try_into().ok()?;
    let first = u64::from_le_bytes(first);
    match n {
        1..=8 => eight_digits(leading_zeros_before(first, n)),
        9..=16 => {
            let last: [u8; 8] = line[end - 8..end].try_into().ok()?;
            let high = eight_digits(leading_zeros_before(first, n - 8))?;
            Some(high * 100_000_000 + eight_digits(u64::from_le_bytes(last))?)
        }
        _ => None,
    }
}

/// The first `n` (1 to 8) bytes of a word loaded little-endian, as the
/// last digits of eight: the bytes after them shifted out, ASCII zeros
/// shifted in before them.
#[inline]
fn leading_zeros_before(word: u64, n: usize) -> u64 {
    debug_assert!((1..=8).contains(&n));
    let kept = 8 * n as u32;
    (word << (64 - kept)) | ZERO_DIGITS.checked_shr(kept).unwrap_or(0)
}

/// Eight ASCII zeros, loaded little-endian.
const ZERO_DIGITS: u64 = u64::from_le_bytes(*b"00000000");

/// Whether each of a word's eight bytes is an ASCII digit.
#[inline]
fn all_digits(word: u64) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Each byte is in 0x30..=0x3F, and still is with 6 added: 0x30..=0x39
    // (no byte carries into the next: 0x3F + 6 < 0x100).
    word & HIGH_NIBBLES == ZERO_DIGITS
        && word.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES == ZERO_DIGITS
}

/// The value of eight ASCII digits loaded little-endian (the first digit
/// in the low byte), or `None` if a byte is not a digit.
#[inline]
fn eight_digits(word: u64) -> Option<u64> {
    if !all_digits(word) {
        return None;
    }
    // Pairs of digits, then fours, then all eight: no lane's product
    // reaches the next lane.
    let v = word & 0x0F0F_0F0F_0F0F_0F0F;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
}

/// A text of exactly ten ASCII digits as a number that orders as their
/// values do: its bytes, big-endian. Texts of one length order as their
/// numbers (leading zeros and all), so a ten-digit field is compared to a
/// ten-digit bound without converting either. `None` for any other text.
#[inline]
pub(crate) fn ten_digit_number(text: &[u8]) -> Option<u128> {
    let text: &[u8; 10] = text.try_into().ok()?;
    let (high, low) = text.split_at(8);
    let high = u64::from_be_bytes(high.try_into().expect("8 bytes"));
    let digits = all_digits(high) && low.iter().all(u8::is_ascii_digit);
    digits.then(|| u128::from(high) << 16 | u128::from(u16::from_be_bytes([low[0], low[1]])))
}

/// An integer as Hive's text reader parses it: an optional sign and
/// decimal digits, in range of the column's type; anything else is NULL.
#[inline]
pub(crate) fn parse_int(bytes: &[u8], int32: bool) -> Option<i64> {
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    // Up to 18 digits cannot leave i64: no checks per digit, which is most
    // of the time of a count over a port or a timestamp.
    let value = if digits.len() <= 18 {
        let mut value: i64 = 0;
        for &b in digits {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            value = value * 10 + i64::from(digit);
        }
        if negative {
            -value
        } else {
            value
        }
    } else {
        parse_long_int(negative, digits)?
    };
    if int32 && i32::try_from(value).is_err() {
        return None;
    }
    Some(value)
}

#[cold]
fn parse_long_int(negative: bool, digits: &[u8]) -> Option<i64> {
    let mut value: i64 = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // Accumulate negatively so i64::MIN parses.
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_athena_text_tables() {
        assert_eq!(parse_int(b"443", true), Some(443));
        assert_eq!(parse_int(b"-12", false), Some(-12));
        assert_eq!(parse_int(b"+7", true), Some(7));
        for bad in [&b"-"[..], b"", b"+", b"1.5", b" 1", b"1e3", b"0x10"] {
            assert_eq!(parse_int(bad, false), None, "{bad:?}");
        }
        assert_eq!(parse_int(b"2147483648", true), None);
        assert_eq!(parse_int(b"2147483648", false), Some(2_147_483_648));
        assert_eq!(parse_int(b"-9223372036854775808", false), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808", false), None);
        assert_eq!(parse_int(b"9223372036854775807", false), Some(i64::MAX));
        assert_eq!(
            parse_int(b"-999999999999999999", false),
            Some(-999_999_999_999_999_999)
        );
        assert_eq!(parse_int(b"00000000000000000000042", false), Some(42));
        assert_eq!(parse_int(b"-0000000000000000000x", false), None);
    }

    #[test]
    fn integers_read_a_word_at_a_time_parse_as_one_digit_at_a_time() {
        let mut fields: Vec<Vec<u8>> = Vec::new();
        for len in 0..=20 {
            let digits = b"12345678901234567890"[..len].to_vec();
            for bad in [
                b'0',
                b'9',
                b'/',
                b':',
                b'-',
                b'+',
                b' ',
                b'@',
                0x39 + 16,
                0xff,
            ] {
                for at in 0..len {
                    let mut field = digits.clone();
                    field[at] = bad;
                    fields.push(field);
                }
            }
            fields.push(digits.clone());
            fields.push([b"-".as_slice(), &digits].concat());
            fields.push(b"99999999999999999999"[..len].to_vec());
        }
        fields.extend([
            b"2147483647".to_vec(),
            b"2147483648".to_vec(),
            b"00000000".to_vec(),
        ]);
        for field in &fields {
            for int32 in [false, true] {
                let want = parse_int(field, int32);
                // With 8 bytes and more after the field, and with none.
                for after in [b" 12345678 1".as_slice(), b""] {
                    let line = [b"x ".as_slice(), field, after].concat();
                    let ranges = [(2, 2 + field.len() as u32)];
                    let record = Record::typed(&line, &ranges, &[], None, None);
                    assert_eq!(record.int(0, int32), want, "{field:?} {after:?}");
                }
            }
        }
    }

    #[test]
    fn ten_digit_numbers_order_as_their_values() {
        let alphabet = b"0123456789+- a/:";
        let mut draw = crate::engine::local::test_draws();
        let mut numbers = Vec::new();
        for i in 0..200_000 {
            let len = [9, 10, 10, 10, 11][i % 5];
            // Mostly digits, so that most draws are ten-digit texts.
            let text: Vec<u8> = (0..len)
                .map(|_| match draw() % 64 {
                    n @ 0..=9 => alphabet[10 + n as usize % 6],
                    n => alphabet[n as usize % 10],
                })
                .collect();
            let ten = ten_digit_number(&text);
            let all_digits = text.len() == 10 && text.iter().all(u8::is_ascii_digit);
            assert_eq!(
                ten.is_some(),
                all_digits,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            if let Some(ten) = ten {
                numbers.push((ten, parse_int(&text, false).expect("ten digits")));
            }
        }
        assert!(numbers.len() > 10_000);
        for pair in numbers.windows(2) {
            let ((a, x), (b, y)) = (pair[0], pair[1]);
            assert_eq!(a.cmp(&b), x.cmp(&y), "{x} and {y}");
        }
    }

    #[test]
    fn a_line_splits_only_into_the_needed_fields() {
        let mut slots = Slots::default();
        let dstport = slots.field(schema::field_named("dstport").unwrap());
        let action = slots.field(schema::field_named("action").unwrap());
        let vpc = slots.field(schema::field_named("vpc-id").unwrap());
        let header = b"version srcaddr dstport action bytes";
        let columns = FileColumns::from_header(header, &slots).unwrap();
        assert_eq!(columns.slot_of_column, [None, None, Some(0), Some(1)]);
        let lines = b"2 10.0.0.1 22 - 40\n2 10.0.0.1\n\n2 10.0.0.1 22  40\r\nversion srcaddr dstport action bytes\n";
        let mut seen = Vec::new();
        let mut splitter = Splitter::new(&slots);
        splitter.records(lines, &columns, None, None, &mut |record| {
            seen.push([dstport, action, vpc].map(|c| format!("{:?}", record.value(c))));
            Flow::Continue
        });
        let v = |s: &str| s.to_string();
        assert_eq!(
            seen,
            [
                // '-' is NULL; vpc-id is not in this file's format: NULL.
                [v("Int(22)"), v("Null"), v("Null")],
                // A short line: the missing fields are NULL.
                [v("Null"), v("Null"), v("Null")],
                // Two spaces make an empty field, a string, not NULL; the
                // blank line and the repeated header are no records.
                [v("Int(22)"), v("Text([])"), v("Null")],
            ]
        );
    }

    #[test]
    fn delimiters_are_found_across_blocks() {
        let text: Vec<u8> = (0..300u32)
            .map(|i| match i % 7 {
                0 => b' ',
                3 if i % 2 == 0 => b'\n',
                // Every other byte value, high bits included, as filler.
                _ => (i * 37 % 256) as u8,
            })
            .collect();
        let expected: Vec<usize> = (0..300)
            .filter(|&i| text[i] == b' ' || text[i] == b'\n')
            .collect();
        for end in [0, 1, 63, 64, 65, 128, 200, 300] {
            let found: Vec<usize> = Delimiters::new(&text[..end]).collect();
            let want: Vec<usize> = expected.iter().copied().filter(|&i| i < end).collect();
            assert_eq!(found, want, "first {end} bytes");
        }
        for block in text.chunks_exact(BLOCK) {
            let block: &[u8; BLOCK] = block.try_into().unwrap();
            assert_eq!(delimiter_mask(block), swar_delimiter_mask(block));
        }
    }

    #[test]
    fn a_first_line_of_data_is_no_header() {
        let slots = Slots::default();
        assert!(FileColumns::from_header(b"2 123456789012 eni-1 - -", &slots).is_none());
        assert!(FileColumns::from_header(b"version future-field", &slots).is_some());
    }
}
