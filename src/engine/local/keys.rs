//! Fixed-width group keys and the tables that hold them.
//!
//! A grouping column's value becomes one or two 64-bit words ([`KeyPart`]):
//! integers as themselves, IPv4 addresses as their 32 bits, other text as an
//! id from the worker's [`Interner`], each with a tag for NULL. A group's
//! key is its columns' words side by side, so finding a group hashes a few
//! words and compares a few words: no bytes, no allocation, and no string
//! per group. [`Table`] keeps each group's key and aggregate states
//! together, `width` consecutive words: narrow groups in the slots of an
//! open-addressing array, so finding a group and updating it touch one
//! cache line; wide ones one after another, found through an index small
//! enough to stay in the caches.
//!
//! Equal words mean equal SQL values, and only then: the SQL groups strings
//! by their text, so an address is packed only when its text is the one
//! spelling that [`Ipv4Text`] gives back (dotted quad, no leading zeros);
//! `010.0.0.1` or an IPv6 address is interned as text like any string.

use std::hash::{BuildHasher, Hasher as _};
use std::sync::Mutex;

use crate::lang::ir::Column;
use crate::schema::FieldType;

use super::ipv4::parse_canonical_ipv4_at;
use super::record::{ColumnRef, Record, Slots};

/// foldhash, seeded per query: the keys come from the files being searched,
/// and a random seed keeps a crafted file from making every key collide.
/// The workers of a query share the seed, so that a key lands in the same
/// part of every worker's table (see [`Table::drain`]).
pub(crate) type Hasher = foldhash::fast::RandomState;

// ------------------------------------------------------------------ words

/// Tags in bits 48 and up of a word, the value below; 0 is NULL.
const TAG_SHIFT: u32 = 48;
const LOW: u64 = (1 << TAG_SHIFT) - 1;
/// An `int` column's value, or a text id of a text column.
const PRESENT: u64 = 1 << TAG_SHIFT;
/// An address column: IPv4 bits, or a text id.
const IPV4: u64 = 1 << TAG_SHIFT;
const TEXT: u64 = 2 << TAG_SHIFT;

/// How one column becomes key words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyPart {
    /// A 32-bit `int` column: one word, `PRESENT | value`.
    Int32 { slot: usize },
    /// A `bigint` column or `duration`: two words, `[present, value]`.
    Int64(ColumnRef),
    /// `srcaddr` and the other address columns: one word, IPv4 or text.
    Address { slot: usize },
    /// Other strings: one word, `PRESENT | id`.
    Text { slot: usize },
}

/// A column's value, decoded from its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    Null,
    Int(i64),
    Ipv4(u32),
    /// A text id of the interner the words came from.
    Text(usize),
}

impl KeyPart {
    pub fn new(column: Column, slots: &mut Slots) -> KeyPart {
        let address = matches!(column, Column::Field(f) if f.ty == FieldType::Address);
        match slots.column(column) {
            ColumnRef::Int { slot, int32: true } => KeyPart::Int32 { slot },
            ColumnRef::Text(slot) if address => KeyPart::Address { slot },
            ColumnRef::Text(slot) => KeyPart::Text { slot },
            other => KeyPart::Int64(other),
        }
    }

    pub fn words(self) -> usize {
        match self {
            KeyPart::Int64(_) => 2,
            _ => 1,
        }
    }

    /// Appends the record's value of this column.
    #[inline]
    pub fn encode(self, record: &Record, interner: &mut impl Intern, out: &mut Vec<u64>) {
        match self {
            KeyPart::Int32 { slot } => out.push(
                record
                    .int(slot, true)
                    .map_or(0, |v| KeyPart::int32_word(v as u32)),
            ),
            KeyPart::Int64(column) => match record.int_value(column) {
                Some(v) => out.extend([1, v as u64]),
                None => out.extend([0, 0]),
            },
            KeyPart::Address { slot } => out.push(match record.text_in_line(slot) {
                None => 0,
                Some((line, start, end)) => match parse_canonical_ipv4_at(line, start, end) {
                    Some(bits) => IPV4 | u64::from(bits),
                    None => TEXT | interner.intern(&line[start..end]) as u64,
                },
            }),
            KeyPart::Text { slot } => out.push(
                record
                    .text(slot)
                    .map_or(0, |text| PRESENT | interner.intern(text) as u64),
            ),
        }
    }

    pub fn decode(self, words: &[u64]) -> Decoded {
        let word = words[0];
        match self {
            _ if word == 0 => Decoded::Null,
            KeyPart::Int32 { .. } => Decoded::Int(i64::from(word as u32 as i32)),
            KeyPart::Int64(_) => Decoded::Int(words[1] as i64),
            KeyPart::Address { .. } if word & !LOW == IPV4 => Decoded::Ipv4(word as u32),
            KeyPart::Address { .. } | KeyPart::Text { .. } => Decoded::Text((word & LOW) as usize),
        }
    }

    /// Rewrites a text id in `words` (this part's words) by `map`, for
    /// moving a key from one worker's interner to another's.
    pub fn remap(self, words: &mut [u64], map: &[usize]) {
        if self.has_text(words) {
            let word = words[0];
            words[0] = (word & !LOW) | map[(word & LOW) as usize] as u64;
        }
    }

    /// Whether this is a 32-bit `int` column, whose non-NULL words are
    /// [`KeyPart::int32_word`]s.
    pub fn is_int32(self) -> bool {
        matches!(self, KeyPart::Int32 { .. })
    }

    /// The word of a non-NULL value of an [`KeyPart::Int32`] column.
    #[inline]
    pub fn int32_word(bits: u32) -> u64 {
        PRESENT | u64::from(bits)
    }

    /// The 32 bits of an [`KeyPart::int32_word`].
    #[inline]
    pub fn int32_bits(word: u64) -> u32 {
        word as u32
    }

    /// Whether `words` (this part's) hold a text id, which means something
    /// only to the interner the words came from.
    #[inline]
    pub fn has_text(self, words: &[u64]) -> bool {
        match self {
            KeyPart::Address { .. } => words[0] & !LOW == TEXT,
            KeyPart::Text { .. } => words[0] != 0,
            KeyPart::Int32 { .. } | KeyPart::Int64(_) => false,
        }
    }
}

/// The dotted quad of an IPv4 address, formatted on the stack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ipv4Text {
    /// The text's bytes in order, then zeros.
    bytes: [u8; 16],
    len: u8,
}

/// An octet's decimal digits, left-aligned, and their count.
pub(super) const fn octet_digits(octet: u8) -> ([u8; 3], usize) {
    if octet >= 100 {
        (
            [
                b'0' + octet / 100,
                b'0' + octet / 10 % 10,
                b'0' + octet % 10,
            ],
            3,
        )
    } else if octet >= 10 {
        ([b'0' + octet / 10, b'0' + octet % 10, 0], 2)
    } else {
        ([b'0' + octet, 0, 0], 1)
    }
}

/// Each octet's digits followed by a dot, as the low bytes of a word in
/// text order (little-endian), and their count with the dot.
const OCTET_DOT: [(u32, u8); 256] = {
    let mut table = [(0u32, 0u8); 256];
    let mut i = 0;
    while i < 256 {
        let (digits, count) = octet_digits(i as u8);
        let mut bytes = [0u8; 4];
        let mut j = 0;
        while j < count {
            bytes[j] = digits[j];
            j += 1;
        }
        bytes[count] = b'.';
        table[i] = (u32::from_le_bytes(bytes), count as u8 + 1);
        i += 1;
    }
    table
};

impl Ipv4Text {
    /// Without a branch or a bounds check: each octet's digits and dot are
    /// or-ed into a 128-bit word at the length so far (the last dot is
    /// then cut), which writing a million addresses felt.
    #[inline]
    pub fn new(bits: u32) -> Ipv4Text {
        let mut text = 0u128;
        let mut len = 0u32;
        for octet in bits.to_be_bytes() {
            let (word, n) = OCTET_DOT[octet as usize];
            text |= u128::from(word) << (8 * len);
            len += u32::from(n);
        }
        // Drop the last octet's dot.
        let len = len - 1;
        text &= !(0xff << (8 * len));
        Ipv4Text {
            bytes: text.to_le_bytes(),
            len: len as u8,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn as_str(&self) -> &str {
        &self.padded()[..self.len()]
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The text followed by zero bytes, 16 bytes in all (for
    /// [`CsvLines::push_padded_cell`](crate::engine::output::CsvLines::push_padded_cell)).
    pub fn padded(&self) -> &str {
        debug_assert!(self.bytes[..self.len()]
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.'));
        debug_assert!(self.bytes[self.len()..].iter().all(|b| *b == 0));
        // SAFETY: `new` writes only `OCTET_DOT`'s bytes, ASCII digits and
        // dots, into the first `len` bytes, and zeros after them: all
        // ASCII. Checking them (`from_utf8`) was 3% of the CPU of writing
        // a million rows of two addresses.
        unsafe { std::str::from_utf8_unchecked(&self.bytes) }
    }

    /// The text's bytes as a big-endian number, its length plus one in
    /// the last byte (at most 15 bytes, so that byte is free): the number
    /// a string of this text sorts by.
    #[inline]
    pub fn prefix(&self) -> u128 {
        u128::from_be_bytes(self.bytes) | (u128::from(self.len) + 1)
    }
}

// ------------------------------------------------------------------ index

/// Bits of a slot that hold an entry's id (plus one; 0 is an empty slot):
/// 2^40 entries would take terabytes, so they are never too few.
const ID_BITS: u32 = 40;
const ID_MASK: u64 = (1 << ID_BITS) - 1;

/// An open-addressing hash index (linear probing) of entries numbered
/// `0..len`, kept elsewhere. Each slot holds an entry's id and the top 24
/// bits of its hash, so most mismatches are rejected without looking at the
/// entry. The index never holds more than 3/4 of its slots.
#[derive(Debug)]
struct Index {
    slots: Vec<u64>,
}

impl Default for Index {
    fn default() -> Index {
        Index { slots: vec![0; 16] }
    }
}

impl Index {
    /// The id of the entry with `hash` for which `is_it` holds, or `Err`
    /// with the slot where a new entry of that hash belongs.
    #[inline]
    fn find(&self, hash: u64, is_it: impl Fn(usize) -> bool) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let tag = hash & !ID_MASK;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Err(at);
            }
            if slot & !ID_MASK == tag {
                let id = (slot & ID_MASK) as usize - 1;
                if is_it(id) {
                    return Ok(id);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// Puts entry `id` at `slot` (from [`Index::find`]); `len` is the number
    /// of entries with it, and `hash_of` gives any entry's hash should the
    /// index have to grow.
    #[inline]
    fn insert(&mut self, slot: usize, hash: u64, id: usize, hash_of: impl Fn(usize) -> u64) {
        self.slots[slot] = (hash & !ID_MASK) | (id as u64 + 1);
        let len = id + 1;
        if len * 4 > self.slots.len() * 3 {
            self.grow(len, hash_of);
        }
    }

    fn grow(&mut self, len: usize, hash_of: impl Fn(usize) -> u64) {
        let size = self.slots.len() * 2;
        self.slots = Vec::new();
        self.slots = vec![0; size];
        let mask = size - 1;
        for id in 0..len {
            let hash = hash_of(id);
            let mut at = hash as usize & mask;
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = (hash & !ID_MASK) | (id as u64 + 1);
        }
    }
}

// ------------------------------------------------------------------ interner

/// The distinct texts one worker has seen in text key columns, each stored
/// once, back to back in one buffer, and named by a dense id.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    bytes: Vec<u8>,
    /// Where text `id` ends in `bytes`; it starts where `id - 1` ends.
    ends: Vec<usize>,
    index: Index,
    hasher: Hasher,
}

fn text_of<'a>(bytes: &'a [u8], ends: &[usize], id: usize) -> &'a [u8] {
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &bytes[start..ends[id]]
}

impl Interner {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, id: usize) -> &[u8] {
        text_of(&self.bytes, &self.ends, id)
    }

    /// Interns every text of `other`: for each of its ids, ours.
    pub fn intern_all(&mut self, other: &Interner) -> Vec<usize> {
        (0..other.len())
            .map(|id| self.intern(other.get(id)))
            .collect()
    }

    #[inline]
    pub fn intern(&mut self, text: &[u8]) -> usize {
        let hash = self.hasher.hash_one(text);
        let (bytes, ends) = (&self.bytes, &self.ends);
        match self.index.find(hash, |id| text_of(bytes, ends, id) == text) {
            Ok(id) => id,
            Err(slot) => {
                let id = self.ends.len();
                self.bytes.extend_from_slice(text);
                self.ends.push(self.bytes.len());
                let (bytes, ends, hasher) = (&self.bytes, &self.ends, &self.hasher);
                self.index.insert(slot, hash, id, |id| {
                    hasher.hash_one(text_of(bytes, ends, id))
                });
                id
            }
        }
    }
}

/// Where the texts of keys get their ids: a worker's own [`Interner`], or
/// one the workers of an exchange share, so that a key holding a text id
/// means the same to every worker and can be sent to another.
pub(crate) trait Intern {
    fn intern(&mut self, text: &[u8]) -> usize;
}

impl Intern for Interner {
    #[inline]
    fn intern(&mut self, text: &[u8]) -> usize {
        Interner::intern(self, text)
    }
}

/// A shared interner, locked for each text: only texts that are not IPv4
/// addresses are interned in an exchange (3% of the addresses of the
/// benchmark), so the lock is rarely taken and more rarely contended.
impl Intern for &Mutex<Interner> {
    fn intern(&mut self, text: &[u8]) -> usize {
        self.lock().expect("no worker panicked").intern(text)
    }
}

// ------------------------------------------------------------------ table

/// A slot's first word when it holds no record: no key word is all ones
/// (see the tags above), so no key starts with it.
const EMPTY: u64 = u64::MAX;
/// A record's first word once [`Table::take`] has taken it: no key word
/// has these tag bits either.
const TAKEN: u64 = u64::MAX - 1;
/// A table is split by the top bits of the hash into this many parts,
/// each of which grows on its own, so that growing a table of a million
/// groups never holds two copies of it.
const PART_BITS: u32 = 6;
/// Slots of a part before it first grows.
const FIRST_SLOTS: usize = 8;
/// A record id: its part in the top bits, its place in the part below.
const SLOT_BITS: u32 = 48;
/// Records of this many words or more are found through an index
/// ([`Table`]): a narrower record is at most twice an index slot, and
/// then one miss on the record itself costs less than a miss on the
/// index followed by one on the record, for every group seen again.
const INDEXED_WIDTH: usize = 4;
/// The bits of a key's hash an index slot keeps beside its record's
/// place: those that pick the slot, so growing needs no key, and the
/// rest to tell keys apart without reading their records.
const HASH_BITS: u32 = 32;
const HASH_MASK: u64 = (1 << HASH_BITS) - 1;
/// Bytes of a part's records copied when they grow, at most.
const COPIED_BYTES: usize = 64 << 10;
/// Bytes reserved for a part's records once they are past [`COPIED_BYTES`].
const MAPPED_BYTES: usize = 1 << 20;
/// An index slot that names no record: no record's place is all ones.
/// Not 0, so that a new index is written before it is read: the pages of
/// a zeroed allocation are first mapped to the kernel's zero page, and
/// the first write to each then faults again and flushes the other
/// workers' TLBs (an IPI per page: 6% of the CPU of the address
/// group-bys, measured).
const FREE: u64 = u64::MAX;

/// Groups (or distinct values): records of `width` words, the first
/// `key_words` of which are the key, in parts picked by the key's hash.
/// A part lays its records out in one of two ways, by their width:
///
/// - *inline*, narrow records: in the slots of an open-addressing array
///   (linear probing, at most 3/4 full), so that finding a record touches
///   one cache line.
/// - *indexed*, records of [`INDEXED_WIDTH`] words or more: one after
///   another in the order they came, found through an index of one word a
///   slot (the same probing) that holds each record's place and hash
///   bits. The index is a quarter of the records' size or less, so over a
///   million groups it stays in the cache where slots of whole records
///   cannot: a new group (most of them, when nearly every pair of
///   addresses is new) costs a probe of the index and an append, growing
///   moves index words without hashing a key, and reading the groups out
///   reads no empty slots.
///
/// A record's id stays valid until the next insertion.
#[derive(Debug)]
pub(crate) struct Table {
    key_words: usize,
    width: usize,
    /// The parts this table holds: all of them, or a half split off
    /// ([`Table::split_half`]), starting at this one.
    first: usize,
    parts: Vec<Part>,
    hasher: Hasher,
}

#[derive(Debug)]
struct Part {
    /// Indexed: per slot, [`FREE`] or a record's place in the high 32
    /// bits and the low [`HASH_BITS`] of its key's hash. Inline: empty.
    index: Vec<u64>,
    /// Slots minus one (a power of two minus one), of the index or inline.
    mask: usize,
    /// Records of `width` words: inline, a slot each (the first word of
    /// an empty one [`EMPTY`]); indexed, in the order they came.
    records: Vec<u64>,
    /// Records added, taken ones included (they still end no search).
    count: usize,
    /// Records [`Table::take`] took.
    taken: usize,
}

impl Part {
    fn new(indexed: bool, width: usize) -> Part {
        let (index, records) = match indexed {
            true => (vec![FREE; FIRST_SLOTS], Vec::new()),
            false => (Vec::new(), vec![EMPTY; FIRST_SLOTS * width]),
        };
        Part {
            index,
            mask: FIRST_SLOTS - 1,
            records,
            count: 0,
            taken: 0,
        }
    }

    /// Whether adding a record filled the slots more than 3/4.
    fn is_full(&self) -> bool {
        self.count * 4 > (self.mask + 1) * 3
    }

    /// Room for at least one more indexed record of `width` words: twice
    /// as many, but past [`COPIED_BYTES`] at once [`MAPPED_BYTES`], a
    /// block that glibc maps on its own (`src/main.rs` sets its threshold
    /// there). The records of a million groups then go back to the system
    /// part by part as they are sorted ([`Table::drain`]), where blocks
    /// on the heap stayed in the process: the pairs' peak was 107 MB, not
    /// 90. Further growth remaps the block's pages rather than copying
    /// them; pages reserved but never written cost address space only.
    #[cold]
    fn make_room(&mut self, width: usize) {
        let words = self.records.capacity();
        let doubled = (words * 2).max(width * FIRST_SLOTS);
        let wanted = match words * 8 >= COPIED_BYTES {
            true => doubled.max(MAPPED_BYTES / 8),
            false => doubled,
        };
        self.records.reserve_exact(wanted - self.records.len());
    }

    /// Doubles the index's slots and puts its entries back by their hash
    /// bits, without reading a record.
    fn grow_index(&mut self) {
        let slots = (self.mask + 1) * 2;
        assert!(
            slots as u64 <= 1 << HASH_BITS,
            "an index's slots fit its hash bits (2^32 slots would take 32 GB)"
        );
        let mask = slots - 1;
        let mut index = vec![FREE; slots];
        for &entry in self.index.iter().filter(|&&e| e != FREE) {
            let mut slot = entry as usize & mask;
            while index[slot] != FREE {
                slot = (slot + 1) & mask;
            }
            index[slot] = entry;
        }
        self.index = index;
        self.mask = mask;
    }

    /// Doubles the inline slots and puts the records back by their hashes,
    /// leaving taken ones behind.
    fn grow_inline(&mut self, width: usize, key_words: usize, hasher: &Hasher) {
        let slots = (self.mask + 1) * 2;
        let old = std::mem::replace(&mut self.records, vec![EMPTY; slots * width]);
        self.mask = slots - 1;
        self.count -= std::mem::take(&mut self.taken);
        for record in old.chunks_exact(width) {
            if matches!(record[0], EMPTY | TAKEN) {
                continue;
            }
            let mut slot = Table::hash(hasher, &record[..key_words]) as usize & self.mask;
            while self.records[slot * width] != EMPTY {
                slot = (slot + 1) & self.mask;
            }
            self.records[slot * width..(slot + 1) * width].copy_from_slice(record);
        }
    }
}

impl Table {
    pub fn new(key_words: usize, width: usize, hasher: Hasher) -> Table {
        assert!(key_words > 0 && key_words <= width, "records have a key");
        let indexed = Table::indexes(width);
        Table {
            key_words,
            width,
            first: 0,
            parts: (0..1 << PART_BITS)
                .map(|_| Part::new(indexed, width))
                .collect(),
            hasher,
        }
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.count - p.taken).sum()
    }

    /// Whether records of `width` words are found through an index (see
    /// [`Table`]).
    fn indexes(width: usize) -> bool {
        width >= INDEXED_WIDTH
    }

    #[inline]
    fn indexed(&self) -> bool {
        Table::indexes(self.width)
    }

    /// Moves the upper half of this table's parts into a table of their
    /// own, so that two threads can work on the two halves.
    pub fn split_half(&mut self) -> Table {
        let upper = self.parts.split_off(self.parts.len() / 2);
        Table {
            key_words: self.key_words,
            width: self.width,
            first: self.first + self.parts.len(),
            parts: upper,
            hasher: self.hasher.clone(),
        }
    }

    /// The part where keys of this hash live, in a whole table.
    #[inline]
    fn part_of(hash: u64) -> usize {
        (hash >> (64 - PART_BITS)) as usize
    }

    /// Which of `shares` equal shares of the parts keys of this hash fall in
    /// (the worker that owns them, when workers share out the groups).
    #[inline]
    pub fn share_of(hash: u64, shares: usize) -> usize {
        (Table::part_of(hash) * shares) >> PART_BITS
    }

    /// Hands out the records `pick` gives a destination, with it, and
    /// takes them out of the table, which holds the rest: each keeps its
    /// place with a first word that is no key's, so that searches past it
    /// go on as before.
    pub fn take<T>(&mut self, pick: impl Fn(&[u64]) -> Option<T>, mut each: impl FnMut(T, &[u64])) {
        let width = self.width;
        for part in &mut self.parts {
            for record in part.records.chunks_exact_mut(width) {
                if matches!(record[0], EMPTY | TAKEN) {
                    continue;
                }
                if let Some(to) = pick(record) {
                    each(to, record);
                    record[0] = TAKEN;
                    part.taken += 1;
                }
            }
        }
    }

    /// Whether keys of this hash belong in this table's parts.
    #[inline]
    pub fn owns(&self, hash: u64) -> bool {
        (self.first..self.first + self.parts.len()).contains(&Table::part_of(hash))
    }

    fn place(&self, id: u64) -> (usize, usize) {
        let number = (id & ((1 << SLOT_BITS) - 1)) as usize;
        ((id >> SLOT_BITS) as usize, number * self.width)
    }

    #[cfg(test)]
    pub fn record(&self, id: u64) -> &[u64] {
        let (part, at) = self.place(id);
        &self.parts[part].records[at..at + self.width]
    }

    pub fn record_mut(&mut self, id: u64) -> &mut [u64] {
        let (part, at) = self.place(id);
        &mut self.parts[part].records[at..at + self.width]
    }

    /// Every record with its id, part by part.
    #[cfg(test)]
    pub fn records(&self) -> impl Iterator<Item = (u64, &[u64])> {
        let width = self.width;
        self.parts.iter().enumerate().flat_map(move |(part, p)| {
            p.records
                .chunks_exact(width)
                .enumerate()
                .filter(|(_, record)| !matches!(record[0], EMPTY | TAKEN))
                .map(move |(number, record)| ((part as u64) << SLOT_BITS | number as u64, record))
        })
    }

    /// Gives back the records part by part, freeing each part's memory once
    /// its records are handed out: for merging a table into another of the
    /// same seed, whose parts then fill in the order these empty, so that
    /// the two together never take much more than the merged table.
    pub fn drain(self, mut each: impl FnMut(&[u64])) {
        let width = self.width;
        for part in self.parts {
            for record in part.records.chunks_exact(width) {
                if !matches!(record[0], EMPTY | TAKEN) {
                    each(record);
                }
            }
        }
    }

    /// The hash of `key` in a table of this seed.
    #[inline]
    pub fn hash(hasher: &Hasher, key: &[u64]) -> u64 {
        let mut h = hasher.build_hasher();
        for word in key {
            h.write_u64(*word);
        }
        h.finish()
    }

    /// The id of `key`'s record, added with every other word 0 if it is new,
    /// and whether it is.
    #[inline]
    pub fn entry(&mut self, key: &[u64]) -> (u64, bool) {
        self.entry_hashed(key, self.hash_key(key))
    }

    /// The hash [`Table::entry_hashed`] wants for `key`.
    #[inline]
    pub fn hash_key(&self, key: &[u64]) -> u64 {
        Table::hash(&self.hasher, key)
    }

    /// This table's part for keys of this hash, if it holds them.
    #[inline]
    fn part_for(&self, hash: u64) -> Option<&Part> {
        self.parts
            .get(Table::part_of(hash).wrapping_sub(self.first))
    }

    /// Asks the CPU to fetch the slot (of the index, or inline) where the
    /// search for a key of this hash starts, for an
    /// [`Table::entry_hashed`] a little later.
    #[inline]
    pub fn prefetch_hash(&self, hash: u64) {
        let Some(part) = self.part_for(hash) else {
            return;
        };
        let slot = hash as usize & part.mask;
        let word = match self.indexed() {
            true => part.index.get(slot),
            false => part.records.get(slot * self.width),
        };
        if let Some(word) = word {
            prefetch(word);
        }
    }

    /// For an indexed table, asks the CPU to fetch the record that the
    /// index slot fetched by [`Table::prefetch_hash`] names, if its hash
    /// bits are this key's: a key that is there is then found without
    /// waiting on its record.
    #[inline]
    pub fn prefetch_record(&self, hash: u64) {
        if !self.indexed() {
            return;
        }
        let Some(part) = self.part_for(hash) else {
            return;
        };
        let entry = part.index.get(hash as usize & part.mask).copied();
        if let Some(entry) = entry.filter(|&e| e != FREE && e & HASH_MASK == hash & HASH_MASK) {
            if let Some(word) = part.records.get((entry >> HASH_BITS) as usize * self.width) {
                prefetch(word);
            }
        }
    }

    /// [`Table::entry`] with the key's hash already known.
    #[inline]
    pub fn entry_hashed(&mut self, key: &[u64], hash: u64) -> (u64, bool) {
        debug_assert_eq!(key.len(), self.key_words);
        debug_assert!(self.owns(hash));
        let part_index = Table::part_of(hash) - self.first;
        let (number, new) = match self.indexed() {
            true => self.entry_indexed(part_index, key, hash),
            false => self.entry_inline(part_index, key, hash),
        };
        ((part_index as u64) << SLOT_BITS | number as u64, new)
    }

    #[inline]
    fn entry_indexed(&mut self, part_index: usize, key: &[u64], hash: u64) -> (usize, bool) {
        let (width, key_words) = (self.width, self.key_words);
        let part = &mut self.parts[part_index];
        let bits = hash & HASH_MASK;
        let mut slot = hash as usize & part.mask;
        loop {
            let entry = part.index[slot];
            if entry == FREE {
                break;
            }
            if entry & HASH_MASK == bits {
                let number = (entry >> HASH_BITS) as usize;
                let at = number * width;
                if same_words(&part.records[at..at + key_words], key) {
                    return (number, false);
                }
            }
            slot = (slot + 1) & part.mask;
        }
        let number = part.count;
        let place = u32::try_from(number)
            .ok()
            .filter(|&n| n != u32::MAX)
            .expect("a part holds fewer than 2^32 - 1 records (that would take 32 GB)");
        part.index[slot] = u64::from(place) << HASH_BITS | bits;
        if part.records.capacity() - part.records.len() < width {
            part.make_room(width);
        }
        part.records.extend_from_slice(key);
        part.records
            .resize(part.records.len() + width - key_words, 0);
        part.count += 1;
        if part.is_full() {
            part.grow_index();
        }
        (number, true)
    }

    #[inline]
    fn entry_inline(&mut self, part_index: usize, key: &[u64], hash: u64) -> (usize, bool) {
        let (width, key_words) = (self.width, self.key_words);
        let part = &mut self.parts[part_index];
        let mut slot = hash as usize & part.mask;
        loop {
            let at = slot * width;
            let record = &part.records[at..at + key_words];
            if record[0] == EMPTY {
                break;
            }
            if same_words(record, key) {
                return (slot, false);
            }
            slot = (slot + 1) & part.mask;
        }
        part.count += 1;
        if part.is_full() {
            part.grow_inline(width, key_words, &self.hasher);
            slot = hash as usize & part.mask;
            while part.records[slot * width] != EMPTY {
                slot = (slot + 1) & part.mask;
            }
        }
        let record = &mut part.records[slot * width..(slot + 1) * width];
        record[..key_words].copy_from_slice(key);
        record[key_words..].fill(0);
        (slot, true)
    }
}

// ------------------------------------------------------------------ direct

/// Values of a one-column `int` key that a [`DirectTable`] holds by
/// position: NULL and 0 to 65,535, which covers every port, protocol and
/// TCP flag set a flow log can hold.
const DIRECT_SLOTS: usize = 1 + 65_536;

/// Groups of a key of one 32-bit `int` column (`by dport`), each in the
/// slot its value names: no hash and no probe, and the slots of the
/// 65,537 values fit the caches. A value outside the range (a malformed
/// port) has no slot and goes to a [`Table`] beside it.
#[derive(Debug)]
pub(crate) struct DirectTable {
    width: usize,
    /// `DIRECT_SLOTS * width` words; a slot's first word is [`EMPTY`]
    /// until its group is made.
    words: Vec<u64>,
}

impl DirectTable {
    pub fn new(width: usize) -> DirectTable {
        DirectTable {
            width,
            words: vec![EMPTY; DIRECT_SLOTS * width],
        }
    }

    /// The slot of an [`KeyPart::Int32`] key word, if it has one.
    #[inline]
    fn slot(word: u64) -> Option<usize> {
        match word {
            0 => Some(0),
            _ if word & !LOW == PRESENT && word & LOW < 65_536 => Some(1 + (word & LOW) as usize),
            _ => None,
        }
    }

    /// The record of the group of this key word, made with every other
    /// word 0 if new; `None` if the value has no slot.
    #[inline]
    pub fn entry(&mut self, word: u64) -> Option<&mut [u64]> {
        let at = DirectTable::slot(word)? * self.width;
        let record = &mut self.words[at..at + self.width];
        if record[0] == EMPTY {
            record[0] = word;
            record[1..].fill(0);
        }
        Some(record)
    }

    /// Asks the CPU to fetch the slot of this key word, for an
    /// [`DirectTable::entry`] a little later; false if it has no slot.
    #[inline]
    pub fn prefetch(&self, word: u64) -> bool {
        match DirectTable::slot(word) {
            Some(slot) => {
                prefetch(&self.words[slot * self.width]);
                true
            }
            None => false,
        }
    }

    /// Every group's record, in the order of the values, NULL last: the
    /// order of a query that gives none, which the sort then finds made.
    pub fn records(&self) -> impl Iterator<Item = &[u64]> {
        let (null, values) = self.words.split_at(self.width);
        values
            .chunks_exact(self.width)
            .chain([null])
            .filter(|record| record[0] != EMPTY)
    }

    /// Folds another worker's groups into these by `merge(mine, theirs)`
    /// on groups both have.
    pub fn merge(&mut self, other: &DirectTable, mut merge: impl FnMut(&mut [u64], &[u64])) {
        let width = self.width;
        let pairs = self
            .words
            .chunks_exact_mut(width)
            .zip(other.words.chunks_exact(width));
        for (mine, theirs) in pairs {
            match (mine[0], theirs[0]) {
                (_, EMPTY) => {}
                (EMPTY, _) => mine.copy_from_slice(theirs),
                _ => merge(mine, theirs),
            }
        }
    }
}

/// Groups handed out one by one, freeing memory as they go, for sorting.
pub(crate) trait Drain {
    fn len(&self) -> usize;
    fn drain(self, each: impl FnMut(&[u64]));
}

impl Drain for Table {
    fn len(&self) -> usize {
        Table::len(self)
    }

    fn drain(self, each: impl FnMut(&[u64])) {
        Table::drain(self, each);
    }
}

impl Drain for DirectTable {
    fn len(&self) -> usize {
        self.records().count()
    }

    fn drain(self, mut each: impl FnMut(&[u64])) {
        self.records().for_each(&mut each);
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn prefetch(word: &u64) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: SSE is part of the x86_64 baseline, so the instruction
    // exists; a prefetch only hints the cache and never faults, and the
    // address is a valid reference anyway.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(word).cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch(_: &u64) {}

/// Slice equality, without a call to `bcmp` for the common short keys.
#[inline]
fn same_words(a: &[u64], b: &[u64]) -> bool {
    match (a, b) {
        ([x], [y]) => x == y,
        ([x0, x1], [y0, y1]) => x0 == y0 && x1 == y1,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::local::ipv4::parse_canonical_ipv4;

    #[test]
    fn only_the_canonical_spelling_of_an_ipv4_address_is_packed() {
        for text in [
            "0.0.0.0",
            "10.0.0.1",
            "255.255.255.255",
            "1.22.103.4",
            "100.200.250.9",
        ] {
            let bits = parse_canonical_ipv4(text.as_bytes()).expect(text);
            assert_eq!(bits, u32::from(text.parse::<std::net::Ipv4Addr>().unwrap()));
            assert_eq!(Ipv4Text::new(bits).as_str(), text);
        }
        // Every octet in every place, against std's formatting.
        for octet in 0..=255u32 {
            for shift in [0, 8, 16, 24] {
                let bits = octet << shift | 0x0102_0304 & !(0xff << shift);
                let text = std::net::Ipv4Addr::from(bits).to_string();
                assert_eq!(Ipv4Text::new(bits).as_str(), text);
            }
        }
        for text in [
            "010.0.0.1",
            "1.2.3.04",
            "256.0.0.1",
            "1.2.3.256",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "+1.2.3.4",
            "::ffff:1.2.3.4",
            "2001:db8::1",
            "-",
            "",
            "1000.1.1.1",
            "1.2.3.1000",
            "300.300.300.3",
        ] {
            assert_eq!(parse_canonical_ipv4(text.as_bytes()), None, "{text:?}");
        }
    }

    /// Texts drawn by a fixed generator (any up to 16 bytes of digits,
    /// dots and one other byte; and four octets of one to three digits,
    /// perhaps with one byte changed) parse as the text that std's
    /// formatting of its address gives back, and only then.
    #[test]
    fn an_ipv4_address_parses_exactly_when_std_writes_it_so() {
        const BYTES: &[u8] = b"0123456789....x";
        let mut next = crate::engine::local::test_draws();
        let mut parsed = 0;
        for _ in 0..400_000 {
            let pick = |n: u64| BYTES[(n % BYTES.len() as u64) as usize];
            let mut text: Vec<u8> = Vec::new();
            if next().is_multiple_of(2) {
                let len = next() % 17;
                text.extend((0..len).map(|_| pick(next())));
            } else {
                for octet in 0..4 {
                    if octet > 0 {
                        text.push(b'.');
                    }
                    let digits = 1 + next() % 3;
                    text.extend((0..digits).map(|_| b'0' + (next() % 10) as u8));
                }
                if next().is_multiple_of(4) {
                    let at = (next() % text.len() as u64) as usize;
                    text[at] = pick(next());
                }
            }
            let canonical = std::str::from_utf8(&text)
                .ok()
                .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok())
                .filter(|address| address.to_string().as_bytes() == text.as_slice())
                .map(u32::from);
            assert_eq!(
                parse_canonical_ipv4(&text),
                canonical,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            parsed += usize::from(canonical.is_some());
        }
        // The draw reaches both answers often enough to mean something.
        assert!(parsed > 10_000, "{parsed} addresses drawn");
    }

    #[test]
    fn an_interner_names_each_text_once() {
        let mut interner = Interner::default();
        let words: Vec<String> = (0..1000).map(|i| format!("eni-{i:x}")).collect();
        let ids: Vec<usize> = words
            .iter()
            .map(|w| interner.intern(w.as_bytes()))
            .collect();
        for (word, id) in words.iter().zip(&ids) {
            assert_eq!(interner.intern(word.as_bytes()), *id);
            assert_eq!(interner.get(*id), word.as_bytes());
        }
        assert_eq!(interner.intern(b""), 1000);
        assert_eq!(interner.get(1000), b"");
        assert_eq!(interner.len(), 1001);
    }

    /// Both layouts: width 3 is inline, width 5 indexed.
    #[test]
    fn a_table_finds_each_key_once_across_growth() {
        for width in [3, 5] {
            let mut table = Table::new(2, width, Hasher::default());
            assert_eq!(table.indexed(), width >= INDEXED_WIDTH);
            for round in 0..3 {
                for i in 0..5000u64 {
                    let (id, new) = table.entry(&[i % 7, i]);
                    assert_eq!(new, round == 0);
                    assert_eq!(table.record(id)[..2], [i % 7, i]);
                    table.record_mut(id)[2] += 1;
                }
            }
            assert_eq!(table.len(), 5000);
            assert_eq!(table.records().count(), 5000);
            assert!(table.records().all(|(_, r)| r[2] == 3));
            let mut keys = Vec::new();
            table.drain(|r| keys.push(r[1]));
            keys.sort_unstable();
            assert_eq!(keys, (0..5000).collect::<Vec<_>>());
        }
    }

    /// Taken records are neither found nor given back, in either layout,
    /// and a key taken and added again is new, also after growing.
    #[test]
    fn a_table_forgets_what_it_hands_out() {
        for width in [2, 4] {
            let mut table = Table::new(1, width, Hasher::default());
            for i in 0..1000u64 {
                table.entry(&[i]);
            }
            let mut handed = Vec::new();
            table.take(
                |r| (r[0] % 3 == 0).then_some(r[0]),
                |key, _| handed.push(key),
            );
            handed.sort_unstable();
            assert_eq!(handed, (0..1000).step_by(3).collect::<Vec<u64>>());
            assert_eq!(table.len(), 1000 - handed.len());
            for i in 0..4000u64 {
                assert_eq!(table.entry(&[i]).1, i % 3 == 0 || i >= 1000, "{i}");
            }
            assert_eq!(table.len(), 4000);
            let mut keys = Vec::new();
            table.drain(|r| keys.push(r[0]));
            keys.sort_unstable();
            assert_eq!(keys, (0..4000).collect::<Vec<_>>());
        }
    }
}
