//! String (BYTE_ARRAY) columns of a Parquet file, decoded page by page
//! here rather than by the parquet crate's value reader, which hands every
//! value over as a `ByteArray` holding a reference-counted slice of its
//! page: two atomic operations a value, most of the time of a string
//! filter (docs/benchmarks.md, "Parquet"). Here a value is a `&[u8]` into
//! the page or the dictionary, lent to the caller for the moment it takes
//! to copy it.
//!
//! Only what flow-log writers use is decoded: PLAIN values, dictionary
//! indices (PLAIN_DICTIONARY, RLE_DICTIONARY) over a PLAIN dictionary, and
//! RLE definition levels, in v1 and v2 data pages of a flat column.
//! [`handles`] says whether a column chunk uses nothing else; a chunk that
//! might goes through the crate's reader as before.

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::file::metadata::ColumnChunkMetaData;

/// Whether this module decodes the chunk: a flat column (no repetition
/// levels) whose declared encodings are all ones it knows. BIT_PACKED
/// (the deprecated level encoding) is accepted only for a column with no
/// definition levels, where writers list it for the empty repetition
/// levels.
// BIT_PACKED is deprecated, but writers still list it, so it is matched.
#[allow(deprecated)]
pub(crate) fn handles(chunk: &ColumnChunkMetaData, max_def: i16, max_rep: i16) -> bool {
    max_rep == 0
        && chunk.encodings().all(|e| match e {
            Encoding::PLAIN
            | Encoding::PLAIN_DICTIONARY
            | Encoding::RLE_DICTIONARY
            | Encoding::RLE => true,
            Encoding::BIT_PACKED => max_def == 0,
            _ => false,
        })
}

/// A string column chunk, read row by row across its pages.
pub(crate) struct StringColumn {
    pages: Box<dyn PageReader>,
    max_def: i16,
    dictionary: Option<Dictionary>,
    page: Option<DataPage>,
}

/// A PLAIN dictionary page: the values end to end and where each ends.
struct Dictionary {
    data: Bytes,
    ends: Vec<(usize, usize)>,
}

/// The current data page.
struct DataPage {
    /// Rows (definition levels) left in the page.
    rows_left: usize,
    levels: Option<Hybrid>,
    values: Values,
}

enum Values {
    Plain { data: Bytes, at: usize },
    Indices(Hybrid),
}

impl StringColumn {
    pub fn new(pages: Box<dyn PageReader>, max_def: i16) -> StringColumn {
        StringColumn {
            pages,
            max_def,
            dictionary: None,
            page: None,
        }
    }

    /// Reads the next `rows` rows, calling `put(row, value)` for each one
    /// that is not NULL.
    pub fn read(
        &mut self,
        rows: usize,
        mut put: impl FnMut(usize, &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        for row in 0..rows {
            if self.page.as_ref().is_none_or(|p| p.rows_left == 0) {
                self.next_data_page()?;
            }
            let page = self.page.as_mut().expect("a data page was loaded");
            page.rows_left -= 1;
            if let Some(levels) = &mut page.levels {
                if levels.next()? != u32::try_from(self.max_def).unwrap_or(0) {
                    continue;
                }
            }
            match &mut page.values {
                Values::Plain { data, at } => put(row, plain_value(data, at)?)?,
                Values::Indices(indices) => {
                    let index = indices.next()?;
                    let dictionary = self
                        .dictionary
                        .as_ref()
                        .ok_or("dictionary indices with no dictionary page")?;
                    put(row, dictionary.value(index)?)?;
                }
            }
        }
        Ok(())
    }

    /// The bits of a definition level: enough for `max_def`.
    fn level_width(&self) -> u8 {
        (16 - self.max_def.max(0).leading_zeros()) as u8
    }

    fn next_data_page(&mut self) -> Result<(), String> {
        loop {
            let page = self
                .pages
                .get_next_page()
                .map_err(|e| e.to_string())?
                .ok_or("the column chunk ends before its rows do")?;
            match page {
                Page::DictionaryPage {
                    buf, num_values, ..
                } => {
                    self.dictionary = Some(Dictionary::read(buf, num_values)?);
                }
                Page::DataPage {
                    buf,
                    num_values,
                    encoding,
                    def_level_encoding,
                    ..
                } => {
                    let rows = to_usize(num_values);
                    let (levels, values) = if self.max_def > 0 {
                        if def_level_encoding != Encoding::RLE {
                            return Err(format!(
                                "definition levels encoded as {def_level_encoding}"
                            ));
                        }
                        let length = read_u32(&buf, 0)? as usize;
                        let levels = slice(&buf, 4, length)?;
                        let levels = Hybrid::new(levels, self.level_width());
                        (Some(levels), buf.slice(4 + length..))
                    } else {
                        (None, buf)
                    };
                    self.page = Some(DataPage {
                        rows_left: rows,
                        levels,
                        values: Values::new(encoding, values)?,
                    });
                    return Ok(());
                }
                Page::DataPageV2 {
                    buf,
                    num_values,
                    encoding,
                    def_levels_byte_len,
                    rep_levels_byte_len,
                    ..
                } => {
                    let rep = to_usize(rep_levels_byte_len);
                    let def = to_usize(def_levels_byte_len);
                    let levels = (self.max_def > 0)
                        .then(|| slice(&buf, rep, def).map(|l| Hybrid::new(l, self.level_width())))
                        .transpose()?;
                    let values = buf.slice(rep.saturating_add(def).min(buf.len())..);
                    self.page = Some(DataPage {
                        rows_left: to_usize(num_values),
                        levels,
                        values: Values::new(encoding, values)?,
                    });
                    return Ok(());
                }
            }
        }
    }
}

impl Values {
    fn new(encoding: Encoding, data: Bytes) -> Result<Values, String> {
        match encoding {
            Encoding::PLAIN => Ok(Values::Plain { data, at: 0 }),
            Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                let width = *data
                    .first()
                    .ok_or("a dictionary page of indices is empty")?;
                if width > 32 {
                    return Err(format!("dictionary indices of {width} bits"));
                }
                Ok(Values::Indices(Hybrid::new(data.slice(1..), width)))
            }
            other => Err(format!("string values encoded as {other}")),
        }
    }
}

impl Dictionary {
    fn read(data: Bytes, count: u32) -> Result<Dictionary, String> {
        let mut ends = Vec::with_capacity(to_usize(count).min(1 << 20));
        let mut at = 0;
        for _ in 0..count {
            let start = at + 4;
            plain_value(&data, &mut at)?;
            ends.push((start, at));
        }
        Ok(Dictionary { data, ends })
    }

    fn value(&self, index: u32) -> Result<&[u8], String> {
        let (start, end) = *self.ends.get(to_usize(index)).ok_or_else(|| {
            format!(
                "dictionary index {index} past its {} values",
                self.ends.len()
            )
        })?;
        Ok(&self.data[start..end])
    }
}

/// A PLAIN BYTE_ARRAY value at `at`: a 4-byte little-endian length, then
/// the bytes; `at` moves past it.
fn plain_value<'d>(data: &'d [u8], at: &mut usize) -> Result<&'d [u8], String> {
    let length = read_u32(data, *at)? as usize;
    let value = data
        .get(*at + 4..)
        .and_then(|rest| rest.get(..length))
        .ok_or("a string value runs past its page")?;
    *at += 4 + length;
    Ok(value)
}

fn read_u32(data: &[u8], at: usize) -> Result<u32, String> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "a page ends inside a length".to_string())
}

fn slice(data: &Bytes, start: usize, length: usize) -> Result<Bytes, String> {
    let end = start
        .checked_add(length)
        .filter(|end| *end <= data.len())
        .ok_or("levels run past their page")?;
    Ok(data.slice(start..end))
}

fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The RLE / bit-packing hybrid encoding of levels and dictionary
/// indices (the Parquet format's Encodings.md): runs of one repeated
/// value, and groups of 8 values packed in `width` bits each, LSB first.
struct Hybrid {
    data: Bytes,
    at: usize,
    width: u8,
    /// Values left in the current repeated run, and its value.
    repeat_left: u32,
    repeat_value: u32,
    /// Values left in the current packed run, and the bit where the next
    /// one starts.
    packed_left: u32,
    packed_bit: usize,
}

impl Hybrid {
    fn new(data: Bytes, width: u8) -> Hybrid {
        Hybrid {
            data,
            at: 0,
            width,
            repeat_left: 0,
            repeat_value: 0,
            packed_left: 0,
            packed_bit: 0,
        }
    }

    fn next(&mut self) -> Result<u32, String> {
        loop {
            if self.repeat_left > 0 {
                self.repeat_left -= 1;
                return Ok(self.repeat_value);
            }
            if self.packed_left > 0 {
                self.packed_left -= 1;
                let value = self.bits_at(self.packed_bit);
                self.packed_bit += usize::from(self.width);
                return Ok(value);
            }
            self.next_run()?;
        }
    }

    fn next_run(&mut self) -> Result<(), String> {
        let header = self.varint()?;
        let count = header >> 1;
        if header & 1 == 1 {
            // `count` groups of 8 values, `count * width` bytes.
            let bytes = usize::try_from(count)
                .ok()
                .and_then(|groups| groups.checked_mul(usize::from(self.width)))
                .ok_or("a packed run too long")?;
            if self
                .at
                .checked_add(bytes)
                .is_none_or(|end| end > self.data.len())
            {
                return Err("a packed run runs past its data".into());
            }
            self.packed_bit = self.at * 8;
            self.packed_left = count.checked_mul(8).ok_or("a packed run too long")?;
            self.at += bytes;
        } else {
            let bytes = usize::from(self.width).div_ceil(8);
            let value = self
                .data
                .get(self.at..self.at + bytes)
                .ok_or("a repeated run runs past its data")?;
            self.repeat_value = value
                .iter()
                .rev()
                .fold(0u32, |v, b| (v << 8) | u32::from(*b));
            self.repeat_left = count;
            self.at += bytes;
        }
        Ok(())
    }

    /// `width` bits starting at bit `bit` of the data, LSB first.
    fn bits_at(&self, bit: usize) -> u32 {
        if self.width == 0 {
            return 0;
        }
        let byte = bit / 8;
        let mut word = [0u8; 8];
        let available = self.data.len().saturating_sub(byte).min(8);
        word[..available].copy_from_slice(&self.data[byte..byte + available]);
        let word = u64::from_le_bytes(word) >> (bit % 8);
        (word & ((1u64 << self.width) - 1)) as u32
    }

    fn varint(&mut self) -> Result<u32, String> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = *self.data.get(self.at).ok_or("the values run out")?;
            self.at += 1;
            value |= u32::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a run header longer than 5 bytes".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(data: &[u8], width: u8, n: usize) -> Result<Vec<u32>, String> {
        let mut h = Hybrid::new(Bytes::copy_from_slice(data), width);
        (0..n).map(|_| h.next()).collect()
    }

    #[test]
    fn repeated_runs() {
        // 5 times the value 3 (width 2: one byte), then 2 times 1.
        assert_eq!(
            decode(&[5 << 1, 3, 2 << 1, 1], 2, 7).unwrap(),
            [3, 3, 3, 3, 3, 1, 1]
        );
    }

    #[test]
    fn packed_runs_lsb_first() {
        // The Parquet spec's example: 0..7 in 3 bits, one group.
        let packed = [0b1000_1000, 0b1100_0110, 0b1111_1010];
        let mut data = vec![(1 << 1) | 1];
        data.extend_from_slice(&packed);
        assert_eq!(decode(&data, 3, 8).unwrap(), [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn wide_repeated_values_are_little_endian() {
        // width 17: three bytes.
        assert_eq!(
            decode(&[1 << 1, 0x01, 0x02, 0x01], 17, 1).unwrap(),
            [0x0001_0201]
        );
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        assert!(decode(&[], 3, 1).is_err());
        assert!(decode(&[(4 << 1) | 1, 0xff], 3, 1).is_err());
        assert!(decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 3, 1).is_err());
        assert!(decode(&[2 << 1], 8, 1).is_err());
        assert!(decode(&[0, 0], 8, 1).is_err());
    }

    /// Writes `values` as one optional string column (several pages) with
    /// the given writer settings, then reads it back with this module and
    /// returns what it read, NULLs as None.
    fn round_trip(
        values: &[Option<String>],
        dictionary: bool,
        v2: bool,
        encoding: Option<Encoding>,
    ) -> Option<Vec<Option<Vec<u8>>>> {
        use parquet::data_type::{ByteArray, ByteArrayType};
        use parquet::file::properties::{WriterProperties, WriterVersion};
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;

        let schema = parse_message_type("message m { optional binary s (UTF8); }").unwrap();
        let version = if v2 {
            WriterVersion::PARQUET_2_0
        } else {
            WriterVersion::PARQUET_1_0
        };
        let mut properties = WriterProperties::builder()
            .set_writer_version(version)
            .set_dictionary_enabled(dictionary)
            .set_data_page_row_count_limit(100)
            .set_write_batch_size(50);
        if let Some(encoding) = encoding {
            properties = properties.set_encoding(encoding);
        }
        let properties = properties.build();
        let mut out = Vec::new();
        let mut writer =
            SerializedFileWriter::new(&mut out, Arc::new(schema), Arc::new(properties)).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        let present: Vec<ByteArray> = values
            .iter()
            .flatten()
            .map(|v| ByteArray::from(v.as_str()))
            .collect();
        let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
        column
            .typed::<ByteArrayType>()
            .write_batch(&present, Some(&levels), None)
            .unwrap();
        column.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();

        let reader = SerializedFileReader::new(Bytes::from(out)).unwrap();
        let chunk = reader.metadata().row_group(0).column(0).clone();
        if !handles(&chunk, 1, 0) {
            return None;
        }
        let pages = reader
            .get_row_group(0)
            .unwrap()
            .get_column_page_reader(0)
            .unwrap();
        let mut column = StringColumn::new(pages, 1);
        let mut read = vec![None; values.len()];
        let mut done = 0;
        while done < values.len() {
            let rows = (values.len() - done).min(37);
            column
                .read(rows, |row, v| {
                    read[done + row] = Some(v.to_vec());
                    Ok(())
                })
                .unwrap();
            done += rows;
        }
        Some(read)
    }

    #[test]
    fn reads_what_the_parquet_writer_writes() {
        // Repeats (for the dictionary), NULLs in runs and alone, an empty
        // string, and more rows than a page holds.
        let values: Vec<Option<String>> = (0..1000)
            .map(|i| match i % 7 {
                0 => None,
                1 if i % 3 == 0 => Some(String::new()),
                _ if (400..430).contains(&i) => None,
                _ => Some(format!("10.0.{}.{}", i % 5, i % 11)),
            })
            .collect();
        let expected: Vec<Option<Vec<u8>>> = values
            .iter()
            .map(|v| v.as_ref().map(|s| s.as_bytes().to_vec()))
            .collect();
        let plain = Some(Encoding::PLAIN);
        for (dictionary, v2) in [(true, false), (false, false), (true, true), (false, true)] {
            assert_eq!(
                round_trip(&values, dictionary, v2, plain),
                Some(expected.clone()),
                "dictionary {dictionary}, v2 pages {v2}"
            );
        }
        // An encoding it does not decode is left to the crate's reader.
        let delta = Some(Encoding::DELTA_BYTE_ARRAY);
        assert_eq!(round_trip(&values, false, true, delta), None);
    }

    #[test]
    fn plain_values_are_length_prefixed() {
        let data = [2, 0, 0, 0, b'h', b'i', 0, 0, 0, 0, 9, 0, 0, 0];
        let mut at = 0;
        assert_eq!(plain_value(&data, &mut at).unwrap(), b"hi");
        assert_eq!(plain_value(&data, &mut at).unwrap(), b"");
        assert!(plain_value(&data, &mut at).is_err());
    }
}
