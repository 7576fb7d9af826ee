//! `GROUP BY` with SQL's aggregate rules:
//!
//! - `count()` counts rows, `count(col)` counts non-NULL values and
//!   `count_distinct(col)` distinct non-NULL values (exactly); all are 0 on
//!   no rows;
//! - `sum`, `min`, `max` and `avg` ignore NULLs and are NULL when no value
//!   is left; `sum` is a bigint (a total outside it fails, as in Athena);
//!   `avg` of integers is a double;
//! - a query with aggregates and no `by` returns one row, even over no
//!   records; with `by`, one row per group that has records.
//!
//! Each worker keeps its groups in a [`Table`]: a group is its key words
//! ([`KeyPart`]) followed by its aggregates' state words, so a record of
//! an existing group costs a hash of a few words and a probe, and
//! allocates nothing. Texts in keys (and `min`/`max` of
//! strings) are ids of the worker's [`Interner`], or of the one interner
//! the workers of an [`Exchange`] share. `count_distinct` keeps one more
//! table per aggregate whose keys are (group, value): exact, and a handful
//! of words per distinct value. Workers that share out their groups end
//! with tables that hold none of the same groups; other workers' tables
//! merge into one at the end, their text ids translated. Memory grows with
//! the groups (and distinct values), never with the records.
//!
//! The result is not built as rows: [`Finished`] holds the merged groups
//! and the ids of the ones to print, in order ([`super::rows`] picks them),
//! and writes each straight to the sink.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicBool, Ordering as MemoryOrdering};
use std::sync::{Arc, Mutex};

use crate::engine::output::{CellRef, CsvLines, RowSink, WRITE_PIECE};
use crate::lang::ast::AggFn;
use crate::lang::ir::{OrderKey, Output, OutputValue};

use super::keys::{
    octet_digits, Decoded, DirectTable, Drain, Hasher, Intern, Interner, Ipv4Text, KeyPart, Table,
};
use super::record::{ColumnRef, Record, Slots};
use super::rows;
use super::LocalError;

/// What a grouped query computes, resolved to slots and word offsets.
#[derive(Clone, Debug)]
pub(crate) struct Grouping {
    parts: Vec<KeyPart>,
    /// Where each part's words start in a key.
    part_at: Vec<usize>,
    key_words: usize,
    aggregates: Vec<Aggregate>,
    /// Words of a group: key and states.
    width: usize,
    /// Where each output column comes from.
    outputs: Vec<Source>,
    /// The seed of every worker's tables.
    hasher: Hasher,
    /// Words of a staged record (hash, key, inputs), or 0 when records are
    /// added at once: without `by` (no lookup to hide) and with `min` or
    /// `max` of a string (whose input is text of the record).
    stride: usize,
    /// Whether groups go to a [`DirectTable`] first: a key of one 32-bit
    /// `int` column and aggregates of numbers only.
    direct: bool,
}

#[derive(Clone, Debug)]
struct Aggregate {
    kind: Kind,
    /// Its first state word in a group.
    at: usize,
    /// Where its input starts in a staged record.
    input: usize,
    /// The output column's name, for errors.
    name: String,
}

/// An aggregate and the state words it keeps in each group; every state
/// starts as all zeros.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `count()`: `[rows]`.
    Rows,
    /// `count(col)`: `[non-NULL values]`.
    Values(ColumnRef),
    /// `sum`: the exact total as an i128, `[low 64 bits, high bits << 1 |
    /// seen]` (the high half of a total of fewer than 2^63 values of 64 bits
    /// is below 2^62 in magnitude, so the shift loses nothing).
    Sum(ColumnRef),
    /// `avg`: `[total low, total high, count]`.
    Avg(ColumnRef),
    /// `min`/`max` of an integer column: `[value, seen]`.
    IntExtreme { column: ColumnRef, max: bool },
    /// `min`/`max` of a string column: `[0, or 1 + text id]`.
    TextExtreme { slot: usize, max: bool },
    /// `count_distinct`: `[distinct values, the first values]`: as many
    /// values as fit in [`INLINE`] words are kept in the group itself (see
    /// [`Kept`]), the rest in the aggregate's own table, keyed by the
    /// group's key and the value. A group of a few distinct values (most
    /// groups, over many groups) then needs no lookup beyond its own.
    Distinct { part: KeyPart, set: usize },
}

/// Words of a `count_distinct` state that hold values.
const INLINE: usize = 3;

/// How a `count_distinct` group keeps its first distinct values in its
/// [`INLINE`] words: those of an `int` column two to a word, as their 32
/// bits (NULL is never kept), so that 6 ports fit where 3 words would
/// hold 3; others word for word. Over 463 k sources, 27% of the records
/// fell in groups of more than 3 distinct ports, each then a lookup in
/// the aggregate's table; 1% in groups of more than 6.
#[derive(Clone, Copy, Debug)]
enum Kept {
    Halves,
    Words(usize),
}

impl Kept {
    fn of(part: KeyPart) -> Kept {
        match part.is_int32() {
            true => Kept::Halves,
            false => Kept::Words(part.words()),
        }
    }

    /// Values the state holds.
    fn room(self) -> usize {
        match self {
            Kept::Halves => 2 * INLINE,
            Kept::Words(words) => INLINE / words,
        }
    }

    fn half_at(kept: &[u64], i: usize) -> u32 {
        (kept[i / 2] >> (32 * (i % 2))) as u32
    }

    /// Whether `value` is one of the `count` values kept.
    #[inline]
    fn contains(self, kept: &[u64], count: usize, value: &[u64]) -> bool {
        match (self, value) {
            (Kept::Halves, _) => {
                let half = KeyPart::int32_bits(value[0]);
                (0..count).any(|i| Kept::half_at(kept, i) == half)
            }
            // One-word values (addresses) compare as words, not as slices
            // (a call to memcmp each).
            (Kept::Words(1), [word]) => kept[..count].contains(word),
            (Kept::Words(words), _) => kept.chunks_exact(words).take(count).any(|v| v == value),
        }
    }

    /// Keeps `value` as the `i`th value.
    #[inline]
    fn put(self, kept: &mut [u64], i: usize, value: &[u64]) {
        match self {
            Kept::Halves => {
                let shift = 32 * (i % 2);
                let word = &mut kept[i / 2];
                *word = *word & !(u64::from(u32::MAX) << shift)
                    | u64::from(KeyPart::int32_bits(value[0])) << shift;
            }
            Kept::Words(words) => kept[i * words..(i + 1) * words].copy_from_slice(value),
        }
    }

    /// Each of the `count` values kept, as its words.
    fn each(self, kept: &[u64], count: usize, mut each: impl FnMut(&[u64])) {
        match self {
            Kept::Halves => {
                for i in 0..count {
                    each(&[KeyPart::int32_word(Kept::half_at(kept, i))]);
                }
            }
            Kept::Words(words) => kept.chunks_exact(words).take(count).for_each(each),
        }
    }
}

impl Kind {
    fn words(self) -> usize {
        match self {
            Kind::Sum(_) | Kind::IntExtreme { .. } => 2,
            Kind::Avg(_) => 3,
            Kind::Distinct { .. } => 1 + INLINE,
            _ => 1,
        }
    }

    /// Whether its state is kept from numbers alone (no texts, no set).
    fn of_numbers(self) -> bool {
        !matches!(self, Kind::TextExtreme { .. } | Kind::Distinct { .. })
    }

    /// Words of its input in a staged record: whether a value was there
    /// and the value, or a distinct value.
    fn input_words(self) -> usize {
        match self {
            Kind::Rows | Kind::TextExtreme { .. } => 0,
            Kind::Values(_) => 1,
            Kind::Sum(_) | Kind::Avg(_) | Kind::IntExtreme { .. } => 2,
            Kind::Distinct { part, .. } => part.words(),
        }
    }
}

/// Records a worker holds back before adding them: each one's group slot
/// is prefetched when it arrives and read this many records later, so the
/// cache misses of looking up many groups overlap instead of following
/// one another (over hundreds of thousands of groups, the miss was most
/// of the time of a lookup).
const STAGED: usize = 16;

/// Groups a worker's table holds at most for records to be added as they
/// come, unstaged: a table this small stays in the caches, where staging
/// would only copy each record once more (`by action`, `by protocol`).
const SMALL_TABLE: usize = 1024;
/// Records a worker adds between looks at its table's size.
const SIZE_EVERY: u32 = 4096;

/// Where an output column's value lies in a group's record, resolved once
/// so that reading it (a million groups sorted and written, several times
/// each) goes through no list of parts or aggregates.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// A key part, whose words start at `at`.
    Key { part: KeyPart, at: usize },
    /// An aggregate's state, which starts at `at`.
    State { kind: Kind, at: usize },
}

impl Grouping {
    pub fn new(output: &Output, group_by: &[usize], slots: &mut Slots) -> Grouping {
        // Each output column's key part or aggregate, by index, until
        // their offsets are known.
        enum Output {
            Key(usize),
            Aggregate(usize),
        }
        let mut parts = Vec::new();
        let mut outputs = Vec::new();
        let mut kinds = Vec::new();
        let mut distinct_sets = 0;
        for column in &output.columns {
            match column.value {
                OutputValue::Column(c) => {
                    outputs.push(Output::Key(parts.len()));
                    parts.push(KeyPart::new(c, slots));
                }
                OutputValue::Aggregate { function, argument } => {
                    outputs.push(Output::Aggregate(kinds.len()));
                    let kind = match (function, argument) {
                        (AggFn::Count, None) => Kind::Rows,
                        (AggFn::CountDistinct, Some(c)) => {
                            distinct_sets += 1;
                            Kind::Distinct {
                                part: KeyPart::new(c, slots),
                                set: distinct_sets - 1,
                            }
                        }
                        (function, Some(c)) => {
                            let column = slots.column(c);
                            let max = function == AggFn::Max;
                            match (function, column) {
                                (AggFn::Count, _) => Kind::Values(column),
                                (AggFn::Sum, _) => Kind::Sum(column),
                                (AggFn::Avg, _) => Kind::Avg(column),
                                (_, ColumnRef::Text(slot)) => Kind::TextExtreme { slot, max },
                                _ => Kind::IntExtreme { column, max },
                            }
                        }
                        (_, None) => unreachable!("the checker gives these a field"),
                    };
                    kinds.push((kind, column.name.clone()));
                }
            }
        }
        debug_assert_eq!(parts.len(), group_by.len(), "grouped columns are the keys");
        let part_at: Vec<usize> = parts
            .iter()
            .scan(0, |at, part| {
                let start = *at;
                *at += part.words();
                Some(start)
            })
            .collect();
        // A query without `by` has one group, of a constant one-word key.
        let key_words = parts.iter().map(|p| p.words()).sum::<usize>().max(1);
        let mut width = key_words;
        let mut stride = 1 + key_words;
        let aggregates: Vec<Aggregate> = kinds
            .into_iter()
            .map(|(kind, name)| {
                width += kind.words();
                stride += kind.input_words();
                Aggregate {
                    kind,
                    at: width - kind.words(),
                    input: stride - kind.input_words(),
                    name,
                }
            })
            .collect();
        let outputs = outputs
            .into_iter()
            .map(|output| match output {
                Output::Key(i) => Source::Key {
                    part: parts[i],
                    at: part_at[i],
                },
                Output::Aggregate(i) => Source::State {
                    kind: aggregates[i].kind,
                    at: aggregates[i].at,
                },
            })
            .collect();
        let staged = !parts.is_empty()
            && !aggregates
                .iter()
                .any(|a| matches!(a.kind, Kind::TextExtreme { .. }));
        let direct = matches!(parts[..], [KeyPart::Int32 { .. }])
            && aggregates.iter().all(|a| a.kind.of_numbers());
        Grouping {
            direct,
            parts,
            part_at,
            key_words,
            aggregates,
            width,
            outputs,
            hasher: Hasher::default(),
            stride: if staged { stride } else { 0 },
        }
    }

    /// Whether workers share out the groups by hash ([`Exchange`]): keys
    /// of numbers and addresses (a text key is all ids of one worker's
    /// interner), aggregates of numbers (or distinct numbers), and not in
    /// direct slots (whose merge costs nothing).
    pub fn exchanges(&self) -> bool {
        self.stride != 0
            && !self.direct
            && !self.parts.is_empty()
            && !self.parts.iter().any(|p| matches!(p, KeyPart::Text { .. }))
            && self.aggregates.iter().all(|a| match a.kind {
                // Distinct values that are never text ids travel too.
                Kind::Distinct { part, .. } => {
                    matches!(part, KeyPart::Int32 { .. } | KeyPart::Int64(_))
                }
                kind => kind.of_numbers(),
            })
    }
}

/// Where workers hand each other records: each worker owns an equal share
/// of the table parts (by hash), and a record whose group another worker
/// owns is sent to it in batches, so that at the end every group is in
/// one worker's table and nothing is merged. The rare addresses that are
/// not IPv4 get their text ids from one interner the workers share, so a
/// key holding one travels like any other.
#[derive(Debug)]
pub(crate) struct Exchange {
    inboxes: Vec<Mutex<Vec<Vec<u64>>>>,
    /// The workers' texts, shared so that a key holding a text id means
    /// the same to every worker: were they a worker's own, its keys could
    /// not travel, and would have to be moved (on one thread) into one
    /// worker's table after the scan, leaving that worker more to sort.
    texts: Mutex<Interner>,
    /// Whether an inbox may hold batches, so that looking costs no lock.
    posted: Vec<AtomicBool>,
    /// Batches an inbox holds at most while workers read: a worker that
    /// does not look (waiting for an object, or done) must not make
    /// memory grow with the records. A batch that finds the inbox full is
    /// added by its sender, to groups that are moved to their owner at the
    /// end.
    cap: usize,
}

/// Records a worker gathers for another before sending them.
const BATCH: usize = 1024;
/// Records a worker adds between looks at its inbox.
const LOOK_EVERY: u32 = 1024;
/// Batches an inbox holds at most while workers read (about 5 MB of
/// staged records of two addresses and a sum).
const INBOX_CAP: usize = 128;

impl Exchange {
    pub fn new(workers: usize) -> Exchange {
        Exchange::with_cap(workers, INBOX_CAP)
    }

    fn with_cap(workers: usize, cap: usize) -> Exchange {
        Exchange {
            inboxes: (0..workers).map(|_| Mutex::default()).collect(),
            texts: Mutex::default(),
            posted: (0..workers).map(|_| AtomicBool::new(false)).collect(),
            cap,
        }
    }

    fn workers(&self) -> usize {
        self.inboxes.len()
    }

    /// Puts a batch in a worker's inbox, or gives it back if the inbox is
    /// full and the workers are still reading (`!last`).
    fn send(&self, to: usize, batch: Vec<u64>, last: bool) -> Result<(), Vec<u64>> {
        let mut inbox = self.inboxes[to].lock().expect("no worker panicked");
        if !last && inbox.len() >= self.cap {
            return Err(batch);
        }
        inbox.push(batch);
        drop(inbox);
        self.posted[to].store(true, MemoryOrdering::Release);
        Ok(())
    }

    /// The batches sent to `me` so far.
    fn receive(&self, me: usize) -> Vec<Vec<u64>> {
        self.posted[me].store(false, MemoryOrdering::Relaxed);
        std::mem::take(&mut *self.inboxes[me].lock().expect("no worker panicked"))
    }

    fn posted(&self, me: usize) -> bool {
        self.posted[me].load(MemoryOrdering::Acquire)
    }
}

/// A worker's place in an [`Exchange`].
#[derive(Debug)]
struct Member {
    exchange: Arc<Exchange>,
    me: usize,
    /// Records gathered for each worker (none for `me`), `stride` words each.
    outboxes: Vec<Vec<u64>>,
    until_look: u32,
    /// Whether a batch came back from a full inbox and was added here.
    spilled: bool,
}

/// The groups one worker has seen.
#[derive(Debug)]
pub(crate) struct Groups {
    /// The groups of keys a [`DirectTable`] has slots for, if the grouping
    /// is [`Grouping::direct`].
    direct: Option<DirectTable>,
    table: Table,
    texts: Interner,
    /// One table per `count_distinct`: keys are a group's key and a value.
    distinct: Vec<Table>,
    /// The key being built.
    key: Vec<u64>,
    /// The group of a query without `by`, once made.
    only: Option<u64>,
    /// Up to [`STAGED`] records waiting to be added, `stride` words each,
    /// in a ring: `next` is where the next goes (and the oldest is).
    staged: Vec<u64>,
    waiting: usize,
    next: usize,
    /// Whether records are added unstaged: while the table is still
    /// [`SMALL_TABLE`] (looked at every [`SIZE_EVERY`] records) and its
    /// groups are all hashed and this worker's (no direct slots, whose
    /// array outgrows the caches, and no exchange).
    small: bool,
    until_size: u32,
    /// A distinct value's key being built.
    value_key: Vec<u64>,
    /// A record being staged for another worker, `stride` words.
    entry: Vec<u64>,
    /// The exchange this worker shares groups through, if any.
    member: Option<Member>,
}

impl Groups {
    pub fn new(grouping: &Grouping) -> Groups {
        let distinct = grouping
            .aggregates
            .iter()
            .filter_map(|a| match a.kind {
                Kind::Distinct { part, .. } => {
                    let words = grouping.key_words + part.words();
                    Some(Table::new(words, words, grouping.hasher.clone()))
                }
                _ => None,
            })
            .collect();
        Groups {
            direct: grouping.direct.then(|| DirectTable::new(grouping.width)),
            table: Table::new(grouping.key_words, grouping.width, grouping.hasher.clone()),
            texts: Interner::default(),
            distinct,
            key: Vec::with_capacity(grouping.key_words + 2),
            only: None,
            staged: vec![0; STAGED * grouping.stride],
            waiting: 0,
            next: 0,
            small: !grouping.direct,
            until_size: SIZE_EVERY,
            value_key: Vec::with_capacity(grouping.key_words + 2),
            entry: vec![0; grouping.stride],
            member: None,
        }
    }

    /// Groups of worker `me` of an exchange ([`Grouping::exchanges`]).
    pub fn exchanging(grouping: &Grouping, exchange: Arc<Exchange>, me: usize) -> Groups {
        let outboxes = vec![Vec::new(); exchange.workers()];
        Groups {
            member: Some(Member {
                exchange,
                me,
                outboxes,
                until_look: LOOK_EVERY,
                spilled: false,
            }),
            small: false,
            ..Groups::new(grouping)
        }
    }

    /// The group of a query without `by`, made on first use; its key is
    /// left in `self.key`.
    fn the_group(&mut self) -> u64 {
        self.key.clear();
        self.key.push(0);
        match self.only {
            Some(id) => id,
            None => *self.only.insert(self.table.entry(&self.key).0),
        }
    }

    /// Adds a record, or stages it to be added a few records later, or
    /// sends it to the worker that owns its group.
    #[inline]
    pub fn add(&mut self, grouping: &Grouping, record: &Record) {
        if grouping.stride == 0 || self.unstaged() {
            return self.add_now(grouping, record);
        }
        if self.member.is_some() {
            self.look_at_inbox(grouping);
        }
        // Two calls, not one through `dyn Intern`: that was 3-6% slower
        // on the address group-bys.
        match &self.member {
            Some(member) => {
                encode_key(grouping, record, &mut &member.exchange.texts, &mut self.key)
            }
            None => encode_key(grouping, record, &mut self.texts, &mut self.key),
        }
        // A direct group needs no hash (see `add_entry`).
        let direct = self
            .direct
            .as_ref()
            .is_some_and(|d| d.prefetch(self.key[0]));
        let hash = if direct {
            0
        } else {
            self.table.hash_key(&self.key)
        };
        if let Some(owner) = self.owner_elsewhere(hash) {
            return self.send(grouping, record, hash, owner);
        }
        if !direct {
            self.table.prefetch_hash(hash);
        }
        let stride = grouping.stride;
        let at = self.next * stride;
        if self.waiting == STAGED {
            self.prefetch_halfway(stride);
            self.apply(grouping, at);
        } else {
            self.waiting += 1;
        }
        self.next = (self.next + 1) % STAGED;
        let entry = &mut self.staged[at..at + stride];
        fill_entry(
            grouping,
            record,
            hash,
            &mut self.texts,
            &mut self.key,
            entry,
        );
    }

    /// Asks for the record of the group staged half a ring ago, whose
    /// index slot has had time to arrive: a group that is there is then
    /// in the cache by the time its record is added. Not for direct
    /// groupings, whose staged records mostly have no hash (see `add`).
    #[inline]
    fn prefetch_halfway(&self, stride: usize) {
        if self.direct.is_none() {
            let halfway = (self.next + STAGED / 2) % STAGED;
            self.table.prefetch_record(self.staged[halfway * stride]);
        }
    }

    /// Whether a record is added at once, unstaged ([`Groups::small`]).
    #[inline]
    fn unstaged(&mut self) -> bool {
        if !self.small {
            return false;
        }
        self.until_size -= 1;
        if self.until_size == 0 {
            self.until_size = SIZE_EVERY;
            // Tables only grow: once large, records are staged for good.
            self.small = self.table.len() <= SMALL_TABLE;
        }
        self.small
    }

    /// The worker that owns the group of this hash, if that is another
    /// worker.
    #[inline]
    fn owner_elsewhere(&self, hash: u64) -> Option<usize> {
        let member = self.member.as_ref()?;
        let owner = Table::share_of(hash, member.exchange.workers());
        (owner != member.me).then_some(owner)
    }

    fn send(&mut self, grouping: &Grouping, record: &Record, hash: u64, owner: usize) {
        let member = self.member.as_mut().expect("only members send");
        let outbox = &mut member.outboxes[owner];
        let entry = &mut self.entry;
        fill_entry(
            grouping,
            record,
            hash,
            &mut self.texts,
            &mut self.key,
            entry,
        );
        append_words(outbox, entry);
        if outbox.len() >= BATCH * grouping.stride {
            let batch = std::mem::replace(outbox, Vec::with_capacity(BATCH * grouping.stride));
            if let Err(batch) = member.exchange.send(owner, batch, false) {
                member.spilled = true;
                for entry in batch.chunks_exact(grouping.stride) {
                    self.apply_entry(grouping, entry);
                }
            }
        }
    }

    /// Every [`LOOK_EVERY`] records, adds what other workers sent.
    #[inline]
    fn look_at_inbox(&mut self, grouping: &Grouping) {
        let Some(member) = &mut self.member else {
            return;
        };
        member.until_look -= 1;
        if member.until_look == 0 {
            member.until_look = LOOK_EVERY;
            if member.exchange.posted(member.me) {
                self.receive(grouping);
            }
        }
    }

    /// Adds every batch other workers have sent this one so far.
    fn receive(&mut self, grouping: &Grouping) {
        let Some(member) = &self.member else {
            return;
        };
        let batches = member.exchange.receive(member.me);
        let stride = grouping.stride;
        for batch in batches {
            for (i, entry) in batch.chunks_exact(stride).enumerate() {
                if let Some(ahead) = batch.get((i + STAGED) * stride) {
                    self.table.prefetch_hash(*ahead);
                }
                if let Some(halfway) = batch.get((i + STAGED / 2) * stride) {
                    self.table.prefetch_record(*halfway);
                }
                self.apply_entry(grouping, entry);
            }
        }
    }

    /// Adds the staged record at `at`, read in place beside the tables
    /// (taking the ring out of `self` and back was 30 instructions a
    /// record).
    fn apply(&mut self, grouping: &Grouping, at: usize) {
        let Groups {
            direct,
            table,
            distinct,
            value_key,
            staged,
            ..
        } = self;
        let entry = &staged[at..at + grouping.stride];
        add_entry(grouping, direct, table, distinct, value_key, entry);
    }

    /// Adds a record staged as `entry` (hash, key words, inputs).
    fn apply_entry(&mut self, grouping: &Grouping, entry: &[u64]) {
        let Groups {
            direct,
            table,
            distinct,
            value_key,
            ..
        } = self;
        add_entry(grouping, direct, table, distinct, value_key, entry);
    }

    /// Adds every staged record.
    fn flush(&mut self, grouping: &Grouping) {
        while self.waiting > 0 {
            let oldest = (self.next + STAGED - self.waiting) % STAGED;
            self.apply(grouping, oldest * grouping.stride);
            self.waiting -= 1;
        }
    }

    fn add_now(&mut self, grouping: &Grouping, record: &Record) {
        let group = if grouping.parts.is_empty() {
            self.the_group()
        } else {
            encode_key(grouping, record, &mut self.texts, &mut self.key);
            self.table.entry(&self.key).0
        };
        for aggregate in &grouping.aggregates {
            let state = &mut self.table.record_mut(group)[aggregate.at..];
            match aggregate.kind {
                Kind::TextExtreme { slot, max } => {
                    if let Some(text) = record.text(slot) {
                        let better = match state[0] {
                            0 => true,
                            best => wins(text.cmp(self.texts.get(best as usize - 1)), max),
                        };
                        if better {
                            state[0] = 1 + self.texts.intern(text) as u64;
                        }
                    }
                }
                Kind::Distinct { part, set } => {
                    let key_words = grouping.key_words;
                    part.encode(record, &mut self.texts, &mut self.key);
                    let (key, value) = self.key.split_at(key_words);
                    if value[0] != 0 {
                        let state = &mut self.table.record_mut(group)[aggregate.at..];
                        let values = &mut self.distinct[set];
                        add_distinct(state, key, part, value, values, &mut self.value_key);
                    }
                    self.key.truncate(key_words);
                }
                kind => add_number(kind, state, record),
            }
        }
    }

    /// Adds another worker's groups to these, freeing theirs as it goes.
    fn merge(&mut self, mut other: Groups, grouping: &Grouping) {
        other.flush(grouping);
        let Groups {
            table: theirs,
            texts: their_texts,
            distinct: their_distinct,
            ..
        } = other;
        // Workers of an exchange share their texts: no ids to translate.
        let texts = match self.member {
            Some(_) => None,
            None => Some(self.texts.intern_all(&their_texts)),
        };
        drop(their_texts);
        let key_words = grouping.key_words;
        let mut record = vec![0; grouping.width];
        let mut scratch = Vec::new();
        theirs.drain(|theirs| {
            record.copy_from_slice(theirs);
            if let Some(texts) = &texts {
                translate(&mut record, grouping, texts);
            }
            let key = &record[..key_words];
            let group = self.table.entry(key).0;
            let state = self.table.record_mut(group);
            for aggregate in &grouping.aggregates {
                let at = aggregate.at;
                let (mine, theirs) = (&mut state[at..], &record[at..]);
                merge_state(aggregate.kind, mine, theirs, &self.texts);
                // Their values kept in the group, added to ours one by one.
                if let Kind::Distinct { part, set } = aggregate.kind {
                    let kept_as = Kept::of(part);
                    let kept = (theirs[0] as usize).min(kept_as.room());
                    kept_as.each(&theirs[1..=INLINE], kept, |value| {
                        let values = &mut self.distinct[set];
                        add_distinct(mine, key, part, value, values, &mut scratch);
                    });
                }
            }
        });
        // Their values kept in their tables.
        let mut their_distinct = their_distinct.into_iter();
        let mut key = Vec::with_capacity(key_words + 2);
        for aggregate in &grouping.aggregates {
            let Kind::Distinct { part, set } = aggregate.kind else {
                continue;
            };
            let values = their_distinct.next().expect("one table per count_distinct");
            values.drain(|their_value| {
                key.clear();
                key.extend_from_slice(their_value);
                if let Some(texts) = &texts {
                    for (part, at) in grouping.parts.iter().zip(&grouping.part_at) {
                        part.remap(&mut key[*at..], texts);
                    }
                    part.remap(&mut key[key_words..], texts);
                }
                let (key, value) = key.split_at(key_words);
                let group = self.table.entry(key).0;
                let state = &mut self.table.record_mut(group)[aggregate.at..];
                let values = &mut self.distinct[set];
                add_distinct(state, key, part, value, values, &mut scratch);
            });
        }
    }

    /// The groups of all workers merged, and the first `limit` in `order`
    /// (for a query with no `by`, exactly one group). Fails if a sum left
    /// bigint in any group, as the SQL does.
    ///
    /// The work is split by the halves of the tables' parts, on two threads
    /// unless `threads` is 1: each merges the second worker's half into the
    /// first's (a key with text translated to our ids may hash into the
    /// other half: it is passed on), and then sorts its half; the writer
    /// interleaves the two. Further workers, and the groups of
    /// `count_distinct` queries (whose values live in tables of their own),
    /// are merged first, one by one.
    pub fn combine(
        states: Vec<Groups>,
        grouping: &Grouping,
        order: &[OrderKey],
        limit: Option<u64>,
        threads: usize,
    ) -> Result<Finished, LocalError> {
        let mut states = states;
        if states.first().is_some_and(|s| s.member.is_some()) {
            return Groups::combine_shares(states, grouping, order, limit, threads);
        }
        let direct = merge_direct(&mut states, grouping);
        let mut states = states.into_iter();
        let mut merged = states.next().unwrap_or_else(|| Groups::new(grouping));
        merged.flush(grouping);
        let mut second = None;
        for other in states {
            if second.is_none() && merged.distinct.is_empty() {
                second = Some(other);
            } else {
                merged.merge(other, grouping);
            }
        }
        if grouping.parts.is_empty() {
            merged.the_group();
        }
        let Groups {
            table: mut lower,
            texts: mut my_texts,
            ..
        } = merged;
        let mut upper = lower.split_half();
        let (mut theirs, mut texts) = (None, Vec::new());
        if let Some(mut other) = second {
            other.flush(grouping);
            texts = my_texts.intern_all(&other.texts);
            let their_upper = other.table.split_half();
            theirs = Some((other.table, their_upper));
        }
        let (their_lower, their_upper) = theirs.unzip();
        let limit = rows_at_most(limit);
        let pieces = {
            let parallel = threads > 1;
            let my_texts = &my_texts;
            let merge = |mine: &mut Table, theirs: Option<Table>| {
                let mut passed = Vec::new();
                if let Some(theirs) = theirs {
                    merge_half(mine, theirs, grouping, &texts, my_texts, &mut passed);
                }
                passed
            };
            let (to_upper, to_lower) = both(
                parallel,
                || merge(&mut lower, their_lower),
                || merge(&mut upper, their_upper),
            );
            let view = View {
                grouping,
                texts: my_texts,
                order,
            };
            let finish = |mut mine: Table, passed: Vec<u64>| {
                merge_records(&mut mine, &passed, grouping, my_texts);
                drop(passed);
                sort(mine, grouping, limit, &view)
            };
            let (lower, upper) = both(
                parallel,
                || finish(lower, to_lower),
                || finish(upper, to_upper),
            );
            let mut parts = vec![lower?, upper?];
            if let Some(direct) = direct {
                parts.push(sort(direct, grouping, limit, &view)?);
            }
            parts
        };
        Ok(Finished {
            grouping: grouping.clone(),
            order: order.to_vec(),
            texts: my_texts,
            pieces,
            limit,
            parallel: threads > 1,
        })
    }
}

impl Groups {
    /// [`Groups::combine`] for workers of an [`Exchange`]: each adds what
    /// it still holds and what was sent to it (and, after a spill, the
    /// groups it holds of others go to them); then each worker's groups,
    /// which no other worker has, are sorted on their own thread.
    fn combine_shares(
        mut states: Vec<Groups>,
        grouping: &Grouping,
        order: &[OrderKey],
        limit: Option<u64>,
        threads: usize,
    ) -> Result<Finished, LocalError> {
        for state in &mut states {
            let member = state.member.as_mut().expect("all workers are members");
            for (owner, outbox) in member.outboxes.iter_mut().enumerate() {
                if !outbox.is_empty() {
                    let sent = member.exchange.send(owner, std::mem::take(outbox), true);
                    debug_assert!(sent.is_ok(), "the last batches always go");
                }
            }
        }
        let parallel = threads > 1;
        let mut states = on_threads(states, parallel, |mut state| {
            state.flush(grouping);
            state.receive(grouping);
            state
        });
        let mut moving = Vec::new();
        for (me, state) in states.iter_mut().enumerate() {
            moving.extend(state.take_foreign(grouping, me));
        }
        for (to, groups) in moving {
            states[to].merge(groups, grouping);
        }
        let exchange = &states[0]
            .member
            .as_ref()
            .expect("all workers are members")
            .exchange;
        let my_texts = std::mem::take(&mut *exchange.texts.lock().expect("no worker panicked"));
        let limit = rows_at_most(limit);
        let view = View {
            grouping,
            texts: &my_texts,
            order,
        };
        let tables = states.into_iter().map(|state| state.table).collect();
        let pieces = on_threads(tables, parallel, |table: Table| {
            sort(table, grouping, limit, &view)
        });
        Ok(Finished {
            grouping: grouping.clone(),
            order: order.to_vec(),
            pieces: pieces.into_iter().collect::<Result<_, LocalError>>()?,
            texts: my_texts,
            limit,
            parallel,
        })
    }
}

impl Groups {
    /// Takes out the groups (and their distinct values) that another
    /// worker owns, which a worker holds only after a spill, each worker's
    /// in groups of their own. Worker `me` then holds only groups no other
    /// worker has.
    fn take_foreign(&mut self, grouping: &Grouping, me: usize) -> Vec<(usize, Groups)> {
        let member = self.member.as_ref().expect("only members take");
        let (workers, spilled) = (member.exchange.workers(), member.spilled);
        if !spilled {
            return Vec::new();
        }
        let key_words = grouping.key_words;
        let home = |record: &[u64]| {
            let key = &record[..key_words];
            let to = Table::share_of(Table::hash(&grouping.hasher, key), workers);
            (to != me).then_some(to)
        };
        let mut moving: Vec<Option<Groups>> = (0..workers).map(|_| None).collect();
        self.table.take(home, |to, record| {
            let groups = moving[to].get_or_insert_with(|| Groups::new(grouping));
            let group = groups.table.entry(&record[..key_words]).0;
            groups.table.record_mut(group).copy_from_slice(record);
        });
        for set in 0..self.distinct.len() {
            self.distinct[set].take(home, |to, record| {
                let groups = moving[to].get_or_insert_with(|| Groups::new(grouping));
                groups.distinct[set].entry(record);
            });
        }
        moving
            .into_iter()
            .enumerate()
            .filter_map(|(to, groups)| Some((to, groups?)))
            .collect()
    }
}

/// A query's limit as a count of rows (none, or past memory, is all).
fn rows_at_most(limit: Option<u64>) -> usize {
    limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX))
}

/// `work` on each item, each on a thread of its own if `parallel`.
fn on_threads<T: Send, R: Send>(
    items: Vec<T>,
    parallel: bool,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    if !parallel {
        return items.into_iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| scope.spawn(move || work(item)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a merging thread panicked"))
            .collect()
    })
}

/// The workers' [`DirectTable`]s, taken from them (their staged records
/// added first) and folded into one.
fn merge_direct(states: &mut [Groups], grouping: &Grouping) -> Option<DirectTable> {
    // Staged records may be bound for the direct tables.
    let mut tables = states.iter_mut().filter_map(|s| {
        s.flush(grouping);
        s.direct.take()
    });
    let mut merged = tables.next()?;
    // Aggregates of numbers read no texts. One empty interner for every
    // group: made per group, it was an allocation per port merged.
    let no_texts = Interner::default();
    for theirs in tables {
        merged.merge(&theirs, |mine, theirs| {
            merge_group(grouping, mine, theirs, &no_texts);
        });
    }
    Some(merged)
}

/// Runs `a` and `b`, on two threads if `parallel`.
fn both<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let b = scope.spawn(b);
        let a = a();
        (a, b.join().expect("a merging thread panicked"))
    })
}

/// Rewrites their text ids in a record of theirs (keys, `min`/`max` of
/// strings, kept distinct values) to ours.
fn translate(record: &mut [u64], grouping: &Grouping, texts: &[usize]) {
    for (part, at) in grouping.parts.iter().zip(&grouping.part_at) {
        part.remap(&mut record[*at..], texts);
    }
    for aggregate in &grouping.aggregates {
        let state = &mut record[aggregate.at..];
        match aggregate.kind {
            Kind::TextExtreme { .. } if state[0] != 0 => {
                state[0] = 1 + texts[state[0] as usize - 1] as u64;
            }
            // Values of an int column, kept as halves, hold no text.
            Kind::Distinct { part, .. } => {
                if let kept_as @ Kept::Words(words) = Kept::of(part) {
                    let kept = (state[0] as usize).min(kept_as.room());
                    for value in state[1..1 + kept * words].chunks_exact_mut(words) {
                        part.remap(value, texts);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Adds their groups of one half to ours (a query without
/// `count_distinct`); those whose translated key belongs to the other half
/// are appended to `passed`.
fn merge_half(
    mine: &mut Table,
    theirs: Table,
    grouping: &Grouping,
    texts: &[usize],
    my_texts: &Interner,
    passed: &mut Vec<u64>,
) {
    let key_words = grouping.key_words;
    let mut record = vec![0; grouping.width];
    theirs.drain(|theirs| {
        record.copy_from_slice(theirs);
        translate(&mut record, grouping, texts);
        let hash = mine.hash_key(&record[..key_words]);
        if !mine.owns(hash) {
            passed.extend_from_slice(&record);
            return;
        }
        let group = mine.entry_hashed(&record[..key_words], hash).0;
        merge_group(grouping, mine.record_mut(group), &record, my_texts);
    });
}

/// Adds groups (in our text ids, back to back) to ours.
fn merge_records(mine: &mut Table, records: &[u64], grouping: &Grouping, my_texts: &Interner) {
    for record in records.chunks_exact(grouping.width) {
        let group = mine.entry(&record[..grouping.key_words]).0;
        merge_group(grouping, mine.record_mut(group), record, my_texts);
    }
}

/// The first `sum` whose total in this group left bigint, which fails
/// the query as it fails the SQL.
fn sum_left_bigint<'g>(grouping: &'g Grouping, record: &[u64]) -> Option<&'g Aggregate> {
    grouping.aggregates.iter().find(|a| {
        matches!(a.kind, Kind::Sum(_)) && i64::try_from(load_sum(&record[a.at..]).0).is_err()
    })
}

/// The first `limit` groups of a table in the view's order. Fails if a
/// sum left bigint in any group (all are looked at as they are drained).
fn sort(
    table: impl Drain,
    grouping: &Grouping,
    limit: usize,
    view: &View,
) -> Result<Sorted, LocalError> {
    let mut left = None;
    let mut check = |record: &[u64]| {
        if left.is_none() {
            left = sum_left_bigint(grouping, record);
        }
    };
    let sorted = match grouping.width {
        ..=2 => Sorted::Two(select(table, limit, view, &mut check)),
        3..=4 => Sorted::Four(select(table, limit, view, &mut check)),
        5..=8 => Sorted::Eight(select(table, limit, view, &mut check)),
        width => {
            let mut records = Vec::with_capacity(table.len() * width);
            table.drain(|record| {
                check(record);
                records.extend_from_slice(record);
            });
            let dense = Dense {
                view,
                records: &records,
                width,
            };
            let mut selection = rows::Selection::new(&dense, limit, records.len() / width);
            (0..(records.len() / width) as u64).for_each(|i| selection.push(i));
            let order = selection.finish();
            Sorted::Wide { records, order }
        }
    };
    match left {
        Some(aggregate) => Err(LocalError::Overflow {
            column: aggregate.name.clone(),
        }),
        None => Ok(sorted),
    }
}

/// The first `limit` groups in order, each copied out of the table (which
/// is freed part by part meanwhile) into an array of `N` words: sorting
/// and writing them then read memory in order, where reading records by
/// their slots would miss the cache (and the TLB) at every group.
fn select<const N: usize>(
    table: impl Drain,
    limit: usize,
    view: &View,
    check: &mut dyn FnMut(&[u64]),
) -> Vec<(u128, [u64; N])> {
    let mut selection = rows::Selection::new(view, limit, table.len());
    table.drain(|record| {
        check(record);
        // Word by word, N of them: a copy of the record's length into a
        // zeroed array was a call to memset and one to memcpy per group.
        selection.push(std::array::from_fn(|i| record.get(i).copied().unwrap_or(0)));
    });
    selection.finish()
}

/// Adds a record staged as `entry` (hash, key words, inputs) to its
/// group: in the direct slots if they hold its key, else in the table.
#[inline]
fn add_entry(
    grouping: &Grouping,
    direct: &mut Option<DirectTable>,
    table: &mut Table,
    distinct: &mut [Table],
    value_key: &mut Vec<u64>,
    entry: &[u64],
) {
    let key_words = grouping.key_words;
    let key = &entry[1..=key_words];
    let group = match direct.as_mut().and_then(|d| d.entry(key[0])) {
        Some(group) => group,
        None => {
            let id = table.entry_hashed(key, entry[0]).0;
            table.record_mut(id)
        }
    };
    for aggregate in &grouping.aggregates {
        let input = &entry[aggregate.input..];
        let state = &mut group[aggregate.at..];
        match aggregate.kind {
            Kind::Rows => state[0] += 1,
            Kind::Values(_) => state[0] += input[0],
            Kind::Sum(_) if input[0] == 1 => {
                let (total, _) = load_sum(state);
                store_sum(state, total + i128::from(input[1] as i64), true);
            }
            Kind::Avg(_) if input[0] == 1 => {
                store_i128(state, load_i128(state) + i128::from(input[1] as i64));
                state[2] += 1;
            }
            Kind::IntExtreme { max, .. } if input[0] == 1 => {
                keep_int(state, input[1] as i64, max);
            }
            Kind::Distinct { part, set } if input[0] != 0 => {
                let value = &input[..part.words()];
                let values = &mut distinct[set];
                add_distinct(state, key, part, value, values, value_key);
            }
            _ => {}
        }
    }
}

/// Appends a staged record to a buffer with stores of a known size for
/// the usual strides (2 to 8 words): as a slice of any length it was a
/// call to memset (to make room) per record sent to another worker.
#[inline]
fn append_words(buffer: &mut Vec<u64>, words: &[u64]) {
    fn fixed<const N: usize>(buffer: &mut Vec<u64>, words: &[u64]) {
        let words: &[u64; N] = words.try_into().expect("N words");
        buffer.extend_from_slice(words);
    }
    match words.len() {
        2 => fixed::<2>(buffer, words),
        3 => fixed::<3>(buffer, words),
        4 => fixed::<4>(buffer, words),
        5 => fixed::<5>(buffer, words),
        6 => fixed::<6>(buffer, words),
        7 => fixed::<7>(buffer, words),
        8 => fixed::<8>(buffer, words),
        _ => buffer.extend_from_slice(words),
    }
}

/// The words of a record's key, into `key`.
#[inline]
fn encode_key(grouping: &Grouping, record: &Record, texts: &mut impl Intern, key: &mut Vec<u64>) {
    key.clear();
    for part in &grouping.parts {
        part.encode(record, texts, key);
    }
}

/// Stages a record as `entry`: its key's hash, the key (in `key`), and
/// each aggregate's input.
#[inline]
fn fill_entry(
    grouping: &Grouping,
    record: &Record,
    hash: u64,
    texts: &mut Interner,
    key: &mut Vec<u64>,
    entry: &mut [u64],
) {
    let key_words = grouping.key_words;
    entry[0] = hash;
    entry[1..=key_words].copy_from_slice(key);
    for aggregate in &grouping.aggregates {
        let input = &mut entry[aggregate.input..];
        match aggregate.kind {
            Kind::Rows | Kind::TextExtreme { .. } => {}
            Kind::Values(column) => {
                input[0] = u64::from(record.value(column) != super::record::Value::Null);
            }
            Kind::Sum(column) | Kind::Avg(column) | Kind::IntExtreme { column, .. } => {
                match record.int_value(column) {
                    Some(v) => input[..2].copy_from_slice(&[1, v as u64]),
                    None => input[0] = 0,
                }
            }
            Kind::Distinct { part, .. } => {
                part.encode(record, texts, key);
                input[..part.words()].copy_from_slice(&key[key_words..]);
                key.truncate(key_words);
            }
        }
    }
}

/// Adds a record's value to the state of an aggregate of numbers
/// ([`Kind::of_numbers`]); the others are added by their callers.
#[inline]
fn add_number(kind: Kind, state: &mut [u64], record: &Record) {
    match kind {
        Kind::Rows => state[0] += 1,
        Kind::Values(column) => {
            state[0] += u64::from(record.value(column) != super::record::Value::Null);
        }
        Kind::Sum(column) => {
            if let Some(v) = record.int_value(column) {
                let (total, _) = load_sum(state);
                store_sum(state, total + i128::from(v), true);
            }
        }
        Kind::Avg(column) => {
            if let Some(v) = record.int_value(column) {
                store_i128(state, load_i128(state) + i128::from(v));
                state[2] += 1;
            }
        }
        Kind::IntExtreme { column, max } => {
            if let Some(v) = record.int_value(column) {
                keep_int(state, v, max);
            }
        }
        Kind::TextExtreme { .. } | Kind::Distinct { .. } => {
            unreachable!("not an aggregate of numbers")
        }
    }
}

/// Adds a value of `part` (its words; not NULL) to the distinct values of
/// the group of `key`, whose `count_distinct` state is `state`: kept in
/// the group as [`Kept`] says while there is room, else in `table` under
/// the group's key and the value. A value is in one place only: the
/// group's values are looked at first, and the table only once they are
/// full.
#[inline]
fn add_distinct(
    state: &mut [u64],
    key: &[u64],
    part: KeyPart,
    value: &[u64],
    table: &mut Table,
    scratch: &mut Vec<u64>,
) {
    let kept_as = Kept::of(part);
    let room = kept_as.room();
    let count = state[0] as usize;
    let kept = &mut state[1..=INLINE];
    if kept_as.contains(kept, count.min(room), value) {
        return;
    }
    if count < room {
        kept_as.put(kept, count, value);
        state[0] += 1;
        return;
    }
    scratch.clear();
    scratch.extend_from_slice(key);
    scratch.extend_from_slice(value);
    if table.entry(scratch).1 {
        state[0] += 1;
    }
}

/// Whether `ordering` (of a value against the best so far) makes the value
/// the new best of a `min` (or `max`).
fn wins(ordering: Ordering, max: bool) -> bool {
    if max {
        ordering.is_gt()
    } else {
        ordering.is_lt()
    }
}

fn keep_int(state: &mut [u64], v: i64, max: bool) {
    if state[1] == 0 || wins(v.cmp(&(state[0] as i64)), max) {
        state[0] = v as u64;
        state[1] = 1;
    }
}

fn load_i128(words: &[u64]) -> i128 {
    i128::from(words[1] as i64) << 64 | i128::from(words[0])
}

fn store_i128(words: &mut [u64], v: i128) {
    words[0] = v as u64;
    words[1] = (v >> 64) as u64;
}

fn load_sum(words: &[u64]) -> (i128, bool) {
    let high = (words[1] as i64) >> 1;
    (
        i128::from(high) << 64 | i128::from(words[0]),
        words[1] & 1 == 1,
    )
}

fn store_sum(words: &mut [u64], total: i128, seen: bool) {
    words[0] = total as u64;
    words[1] = (((total >> 64) as i64) << 1) as u64 | u64::from(seen);
}

/// Folds their group's states into ours, aggregate by aggregate (their
/// text ids already ours).
fn merge_group(grouping: &Grouping, mine: &mut [u64], theirs: &[u64], my_texts: &Interner) {
    for aggregate in &grouping.aggregates {
        let at = aggregate.at;
        merge_state(aggregate.kind, &mut mine[at..], &theirs[at..], my_texts);
    }
}

/// Folds another worker's state of one aggregate into ours, its text ids
/// already ours. Distinct counts are left to the value merge.
fn merge_state(kind: Kind, mine: &mut [u64], theirs: &[u64], my_texts: &Interner) {
    match kind {
        Kind::Rows | Kind::Values(_) => mine[0] += theirs[0],
        Kind::Sum(_) => {
            let ((a, seen_a), (b, seen_b)) = (load_sum(mine), load_sum(theirs));
            store_sum(mine, a + b, seen_a || seen_b);
        }
        Kind::Avg(_) => {
            store_i128(mine, load_i128(mine) + load_i128(theirs));
            mine[2] += theirs[2];
        }
        Kind::IntExtreme { max, .. } => {
            if theirs[1] != 0 {
                keep_int(mine, theirs[0] as i64, max);
            }
        }
        Kind::TextExtreme { max, .. } => {
            if theirs[0] != 0 {
                let better = match mine[0] {
                    0 => true,
                    best => {
                        let (theirs, best) = (theirs[0] as usize - 1, best as usize - 1);
                        wins(my_texts.get(theirs).cmp(my_texts.get(best)), max)
                    }
                };
                if better {
                    mine[0] = theirs[0];
                }
            }
        }
        Kind::Distinct { .. } => {}
    }
}

// ------------------------------------------------------------------ values

/// One output value of a group, as the order compares it.
#[derive(Clone, Copy, Debug)]
enum Value<'a> {
    Null,
    Int(i64),
    Float(f64),
    Ipv4(u32),
    Text(&'a [u8]),
}

/// How the order and the output read a group's record.
struct View<'a> {
    grouping: &'a Grouping,
    texts: &'a Interner,
    order: &'a [OrderKey],
}

impl<'a> View<'a> {
    fn value(&self, column: usize, record: &[u64]) -> Value<'a> {
        let grouping = self.grouping;
        match grouping.outputs[column] {
            Source::Key { part, at } => match part.decode(&record[at..]) {
                Decoded::Null => Value::Null,
                Decoded::Int(v) => Value::Int(v),
                Decoded::Ipv4(bits) => Value::Ipv4(bits),
                Decoded::Text(id) => Value::Text(self.texts.get(id)),
            },
            Source::State { kind, at } => {
                let state = &record[at..];
                match kind {
                    Kind::Rows | Kind::Values(_) | Kind::Distinct { .. } => {
                        Value::Int(state[0] as i64)
                    }
                    Kind::Sum(_) => match load_sum(state) {
                        (_, false) => Value::Null,
                        // Checked to fit by `finish`.
                        (total, true) => Value::Int(total as i64),
                    },
                    Kind::Avg(_) if state[2] == 0 => Value::Null,
                    // Exact while the total is below 2^53, as Trino's double sum.
                    Kind::Avg(_) => Value::Float(load_i128(state) as f64 / state[2] as f64),
                    Kind::IntExtreme { .. } if state[1] == 0 => Value::Null,
                    Kind::IntExtreme { .. } => Value::Int(state[0] as i64),
                    Kind::TextExtreme { .. } if state[0] == 0 => Value::Null,
                    Kind::TextExtreme { .. } => Value::Text(self.texts.get(state[0] as usize - 1)),
                }
            }
        }
    }

    /// A number that orders groups as sort key `level` does (NULL last)
    /// wherever two groups' numbers differ, and whether equal numbers mean
    /// equal values: always, but for strings of 16 bytes or more. A string
    /// (or an address) gives its first 15 bytes and then its length plus
    /// one, or 17 when it is longer than that; all of an IPv4 address.
    /// Numbers of values are never 0 or all ones, so NULL (all ones) stays
    /// last in both directions.
    fn prefix_at(&self, level: usize, record: &[u64]) -> (u128, bool) {
        let Some(key) = self.order.get(level) else {
            return (0, true);
        };
        let (ascending, exact) = match self.value(key.column, record) {
            Value::Null => return (u128::MAX, true),
            Value::Int(v) => (u128::from((v as u64) ^ (1 << 63)) << 64 | 1, true),
            Value::Float(f) => {
                let bits = f.to_bits();
                let key = if bits >> 63 == 1 {
                    !bits
                } else {
                    bits | 1 << 63
                };
                (u128::from(key) << 64 | 1, true)
            }
            Value::Ipv4(bits) => (Ipv4Text::new(bits).prefix(), true),
            Value::Text(text) => text_prefix(text),
        };
        if key.descending {
            (!ascending, exact)
        } else {
            (ascending, exact)
        }
    }

    /// `ORDER BY` on the output columns, each `NULLS LAST` whatever its
    /// direction; strings by their bytes.
    fn compare(&self, a: &[u64], b: &[u64]) -> Ordering {
        for key in self.order {
            let ordering = match (self.value(key.column, a), self.value(key.column, b)) {
                (Value::Null, Value::Null) => Ordering::Equal,
                (Value::Null, _) => return Ordering::Greater,
                (_, Value::Null) => return Ordering::Less,
                (x, y) if key.descending => compare_values(y, x),
                (x, y) => compare_values(x, y),
            };
            if ordering.is_ne() {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

fn text_prefix(text: &[u8]) -> (u128, bool) {
    let mut bytes = [0u8; 16];
    let n = text.len().min(15);
    bytes[..n].copy_from_slice(&text[..n]);
    let exact = text.len() < 16;
    bytes[15] = if exact { text.len() as u8 + 1 } else { 17 };
    (u128::from_be_bytes(bytes), exact)
}

/// Records as slices (the writer's merge) and as arrays (the sorts).
impl<R: AsRef<[u64]> + ?Sized> rows::SortKeys<R> for View<'_> {
    fn levels(&self) -> usize {
        self.order.len()
    }

    fn prefix(&self, level: usize, record: &R) -> (u128, bool) {
        self.prefix_at(level, record.as_ref())
    }

    fn compare(&self, a: &R, b: &R) -> Ordering {
        View::compare(self, a.as_ref(), b.as_ref())
    }
}

/// Groups of more than 8 words, back to back, sorted by their index.
struct Dense<'a> {
    view: &'a View<'a>,
    records: &'a [u64],
    width: usize,
}

impl Dense<'_> {
    fn record(&self, index: u64) -> &[u64] {
        let at = index as usize * self.width;
        &self.records[at..at + self.width]
    }
}

impl rows::SortKeys<u64> for Dense<'_> {
    fn levels(&self) -> usize {
        self.view.order.len()
    }

    fn prefix(&self, level: usize, index: &u64) -> (u128, bool) {
        self.view.prefix_at(level, self.record(*index))
    }

    fn compare(&self, a: &u64, b: &u64) -> Ordering {
        self.view.compare(self.record(*a), self.record(*b))
    }
}

fn compare_values(a: Value, b: Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(&y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(&y),
        (Value::Ipv4(x), Value::Ipv4(y)) => ipv4_text_order(x).cmp(&ipv4_text_order(y)),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Ipv4(x), Value::Text(y)) => Ipv4Text::new(x).as_bytes().cmp(y),
        (Value::Text(x), Value::Ipv4(y)) => x.cmp(Ipv4Text::new(y).as_bytes()),
        // One column holds one kind of value (and NULLs are handled
        // before); a mix cannot happen.
        _ => Ordering::Equal,
    }
}

/// Each octet's place among the decimal texts of 0..=255 in byte order
/// ("0" < "1" < "10" < "100" < "101" < ... < "99").
const OCTET_TEXT_RANK: [u8; 256] = {
    let mut rank = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let mut below = 0;
        let mut j = 0;
        while j < 256 {
            if octet_text_less(j as u8, i as u8) {
                below += 1;
            }
            j += 1;
        }
        rank[i] = below;
        i += 1;
    }
    rank
};

const fn octet_text_less(a: u8, b: u8) -> bool {
    let ((x, xn), (y, yn)) = (octet_digits(a), octet_digits(b));
    let mut i = 0;
    while i < xn && i < yn {
        if x[i] != y[i] {
            return x[i] < y[i];
        }
        i += 1;
    }
    xn < yn
}

/// A number that orders IPv4 addresses as their dotted-quad texts order:
/// texts compare octet by octet, since the dot sorts below every digit (a
/// shorter octet that is a prefix of a longer one sorts first, as does a
/// shorter text).
fn ipv4_text_order(bits: u32) -> u32 {
    u32::from_be_bytes(
        bits.to_be_bytes()
            .map(|octet| OCTET_TEXT_RANK[octet as usize]),
    )
}

// ------------------------------------------------------------------ output

/// The groups a query prints, in order.
pub(crate) struct Finished {
    grouping: Grouping,
    order: Vec<OrderKey>,
    texts: Interner,
    /// The groups, sorted, in pieces: each half of the hashed groups, and
    /// the direct groups if any.
    pieces: Vec<Sorted>,
    limit: usize,
    /// Whether more than one thread may work (not with `--threads 1`).
    parallel: bool,
}

/// Sorted groups, copied into arrays of the smallest size that holds them,
/// each beside its first sort key's number ([`rows::Selection::finish`]).
enum Sorted {
    Two(Vec<(u128, [u64; 2])>),
    Four(Vec<(u128, [u64; 4])>),
    Eight(Vec<(u128, [u64; 8])>),
    Wide {
        records: Vec<u64>,
        order: Vec<(u128, u64)>,
    },
}

impl Sorted {
    fn len(&self) -> usize {
        match self {
            Sorted::Two(rows) => rows.len(),
            Sorted::Four(rows) => rows.len(),
            Sorted::Eight(rows) => rows.len(),
            Sorted::Wide { order, .. } => order.len(),
        }
    }

    /// The `i`th group's first-key number and record (for the arrays,
    /// with the padding).
    fn group(&self, i: usize, width: usize) -> (u128, &[u64]) {
        match self {
            Sorted::Two(rows) => (rows[i].0, &rows[i].1),
            Sorted::Four(rows) => (rows[i].0, &rows[i].1),
            Sorted::Eight(rows) => (rows[i].0, &rows[i].1),
            Sorted::Wide { records, order } => {
                let at = order[i].1 as usize * width;
                (order[i].0, &records[at..at + width])
            }
        }
    }
}

impl Finished {
    pub fn len(&self) -> usize {
        self.pieces
            .iter()
            .map(Sorted::len)
            .sum::<usize>()
            .min(self.limit)
    }

    /// Writes the rows to `sink`, taking the next of the pieces' groups
    /// in order each time. To a CSV sink, groups are formatted straight
    /// into its lines ([`Finished::writes_csv_lines`]).
    pub fn write(&self, sink: &mut dyn RowSink) -> std::io::Result<()> {
        if self.writes_csv_lines(sink) {
            if self.slices_csv() {
                return self.write_csv_sliced(sink);
            }
            let mut lines = CsvLines::default();
            let (from, to) = self.whole_pieces();
            self.format_csv((&from, &to), &mut lines, |full| {
                sink.csv_lines(full)?;
                full.clear();
                Ok(())
            })?;
            return sink.csv_lines(&lines);
        }
        let mut writer = self.row_writer();
        let (from, to) = self.whole_pieces();
        self.merge_pieces(&from, &to, self.len(), |record| writer.write(record, sink))
    }

    /// Whether CSV lines are formatted on two threads
    /// ([`Finished::write_csv_sliced`]): when more than one may work and
    /// there are many rows, none of them cut by a limit (slices hold every
    /// group).
    fn slices_csv(&self) -> bool {
        let groups = self.pieces.iter().map(Sorted::len).sum::<usize>();
        self.parallel && groups >= SLICED_ROWS && groups <= self.limit
    }

    /// Every group of every piece: where each piece starts and ends.
    fn whole_pieces(&self) -> (Vec<usize>, Vec<usize>) {
        let to = self.pieces.iter().map(Sorted::len).collect();
        (vec![0; self.pieces.len()], to)
    }

    /// Formats the groups at `from[i]..to[i]` of each piece `i` as rows
    /// into `lines`, handing them to `full` each time they reach
    /// [`WRITE_PIECE`] bytes (`full` leaves them empty, or swaps in other
    /// lines to fill); what is left stays in `lines`.
    fn format_csv(
        &self,
        (from, to): (&[usize], &[usize]),
        lines: &mut CsvLines,
        mut full: impl FnMut(&mut CsvLines) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let writer = self.row_writer();
        let count = from.iter().zip(to).map(|(f, t)| t - f).sum::<usize>();
        self.merge_pieces(from, to, count.min(self.limit), |record| {
            writer.write_csv(record, lines);
            if lines.len() >= WRITE_PIECE {
                full(lines)?;
            }
            Ok(())
        })
    }

    /// Where the rows in order are cut into `slices` runs: for each cut,
    /// each piece's position of the first group at or after the cut.
    /// The cuts are evenly spaced groups of the largest piece, found in
    /// the others by bisection in the rows' order.
    fn cuts(&self, slices: usize) -> Vec<Vec<usize>> {
        let width = self.grouping.width;
        let view = self.order_view();
        let largest = (0..self.pieces.len())
            .max_by_key(|&p| self.pieces[p].len())
            .unwrap_or(0);
        let (from, to) = self.whole_pieces();
        let mut cuts = vec![from];
        for slice in 1..slices {
            let at = self.pieces[largest].len() * slice / slices;
            let pivot = self.pieces[largest].group(at, width);
            let cut = self.pieces.iter().map(|piece| {
                let (mut low, mut high) = (0, piece.len());
                while low < high {
                    let middle = low + (high - low) / 2;
                    let group = piece.group(middle, width);
                    if rows::first_number_order(&view, group, pivot).is_lt() {
                        low = middle + 1;
                    } else {
                        high = middle;
                    }
                }
                low
            });
            cuts.push(cut.collect());
        }
        cuts.push(to);
        cuts
    }

    /// [`Finished::write`] of CSV lines formatted on two threads: the rows
    /// in order are cut into [`SLICES`] runs, and one thread formats the
    /// even runs, the other the odd ones, while this one hands their
    /// lines to the sink in order. Each formatter has three buffers going
    /// round (formatting, waiting, being written). If the sink fails (a
    /// closed pipe), this thread stops taking lines, the formatters stop
    /// at their next piece, and the sink's error is returned.
    fn write_csv_sliced(&self, sink: &mut dyn RowSink) -> std::io::Result<()> {
        let cuts = self.cuts(SLICES);
        let stopped = || std::io::Error::other("the writer stopped");
        std::thread::scope(|scope| {
            let mut formatters = Vec::new();
            for first in 0..2 {
                // Lines of a slice, and whether they end it.
                let (full_sender, full) = std::sync::mpsc::sync_channel::<(CsvLines, bool)>(1);
                let (empty_sender, empty) = std::sync::mpsc::channel::<CsvLines>();
                for _ in 0..2 {
                    empty_sender
                        .send(CsvLines::default())
                        .expect("the receiver is here");
                }
                let cuts = &cuts;
                let thread = scope.spawn(move || -> std::io::Result<()> {
                    let mut lines = CsvLines::default();
                    for slice in (first..SLICES).step_by(2) {
                        let range = (&cuts[slice][..], &cuts[slice + 1][..]);
                        self.format_csv(range, &mut lines, |lines| {
                            let next = empty.recv().map_err(|_| stopped())?;
                            let filled = std::mem::replace(lines, next);
                            full_sender.send((filled, false)).map_err(|_| stopped())
                        })?;
                        let next = empty.recv().map_err(|_| stopped())?;
                        let filled = std::mem::replace(&mut lines, next);
                        full_sender.send((filled, true)).map_err(|_| stopped())?;
                    }
                    Ok(())
                });
                formatters.push((full, empty_sender, thread));
            }
            let mut written = Ok(());
            'slices: for slice in 0..SLICES {
                let (full, empty, _) = &formatters[slice % 2];
                loop {
                    let Ok((mut lines, last)) = full.recv() else {
                        break 'slices;
                    };
                    written = sink.csv_lines(&lines);
                    if written.is_err() {
                        break 'slices;
                    }
                    lines.clear();
                    // A formatter that has finished takes no more buffers.
                    let _ = empty.send(lines);
                    if last {
                        break;
                    }
                }
            }
            let mut formatted = Ok(());
            for (full, empty, thread) in formatters {
                drop((full, empty));
                let result = thread.join().expect("a formatting thread panicked");
                formatted = formatted.and(result);
            }
            // The sink's error explains a formatter's "stopped".
            written.and(formatted)
        })
    }

    /// Whether [`Finished::write`] formats groups into CSV lines itself,
    /// with no buffer or dynamic call between a cell and the line (78 ms
    /// for a million rows of two addresses and a sum, where 97 ms): to a
    /// sink that takes them.
    fn writes_csv_lines(&self, sink: &dyn RowSink) -> bool {
        sink.takes_csv_lines()
    }

    /// The groups as the query orders them (the writer's merge, the cuts).
    fn order_view(&self) -> View<'_> {
        View {
            grouping: &self.grouping,
            texts: &self.texts,
            order: &self.order,
        }
    }

    fn row_writer(&self) -> RowWriter<'_> {
        RowWriter {
            view: View {
                grouping: &self.grouping,
                texts: &self.texts,
                order: &[],
            },
            text: String::new(),
            values: Vec::with_capacity(self.grouping.outputs.len()),
        }
    }

    /// Hands `each` at most `count` of the groups at positions
    /// `from[i]..to[i]` of each piece `i`, in order: the least of the
    /// pieces' next groups each time, by their first-key numbers where
    /// these differ (a comparison of values took 3% of the CPU of writing
    /// a million groups, on the one thread that writes).
    fn merge_pieces(
        &self,
        from: &[usize],
        to: &[usize],
        count: usize,
        mut each: impl FnMut(&[u64]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let view = self.order_view();
        let width = self.grouping.width;
        let mut next = from.to_vec();
        for _ in 0..count {
            let mut best: Option<(usize, (u128, &[u64]))> = None;
            for (piece, sorted) in self.pieces.iter().enumerate() {
                if next[piece] == to[piece] {
                    continue;
                }
                let group = sorted.group(next[piece], width);
                if best.is_none_or(|(_, b)| rows::first_number_order(&view, group, b).is_lt()) {
                    best = Some((piece, group));
                }
            }
            let Some((piece, (_, record))) = best else {
                break;
            };
            next[piece] += 1;
            each(record)?;
        }
        Ok(())
    }
}

/// Results of at least this many rows are formatted as CSV on two threads
/// ([`Finished::write_csv_sliced`]); for fewer, starting threads costs
/// more than they give.
const SLICED_ROWS: usize = 20_000;

/// The runs [`Finished::write_csv_sliced`] cuts the rows into.
const SLICES: usize = 64;

/// Formats groups as rows into buffers it reuses: no allocation per row.
/// Into [`CsvLines`] a group's cells go one by one, with no buffer between.
struct RowWriter<'a> {
    view: View<'a>,
    text: String,
    /// Each column's value, texts as ranges of `text`.
    values: Vec<Pending>,
}

impl RowWriter<'_> {
    fn write_csv(&self, record: &[u64], lines: &mut CsvLines) {
        for column in 0..self.view.grouping.outputs.len() {
            match self.view.value(column, record) {
                Value::Null => lines.push_cell(column, CellRef::Null),
                Value::Int(v) => lines.push_cell(column, CellRef::Int(v)),
                Value::Float(f) => lines.push_cell(column, CellRef::Float(f)),
                Value::Ipv4(bits) => {
                    let text = Ipv4Text::new(bits);
                    lines.push_padded_cell(column, text.padded(), text.len());
                }
                Value::Text(bytes) => {
                    // Not UTF-8 is printed with replacement characters.
                    let text = String::from_utf8_lossy(bytes);
                    lines.push_cell(column, CellRef::Text(&text));
                }
            }
        }
        lines.end_row();
    }

    fn write(&mut self, record: &[u64], sink: &mut dyn RowSink) -> std::io::Result<()> {
        let text = &mut self.text;
        text.clear();
        self.values.clear();
        for column in 0..self.view.grouping.outputs.len() {
            let start = text.len();
            self.values.push(match self.view.value(column, record) {
                Value::Null => Pending::Null,
                Value::Int(v) => Pending::Int(v),
                Value::Float(f) => Pending::Float(f),
                Value::Ipv4(bits) => {
                    text.push_str(Ipv4Text::new(bits).as_str());
                    Pending::Text(start, text.len())
                }
                Value::Text(bytes) => {
                    // Not UTF-8 is printed with replacement characters.
                    text.push_str(&String::from_utf8_lossy(bytes));
                    Pending::Text(start, text.len())
                }
            });
        }
        let text = &self.text;
        sink.row_refs(&mut self.values.iter().map(|value| match *value {
            Pending::Null => CellRef::Null,
            Pending::Int(v) => CellRef::Int(v),
            Pending::Float(f) => CellRef::Float(f),
            Pending::Text(start, end) => CellRef::Text(&text[start..end]),
        }))
    }
}

#[derive(Clone, Copy)]
enum Pending {
    Null,
    Int(i64),
    Float(f64),
    Text(usize, usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::local::reader::Flow;
    use crate::engine::local::record::{FileColumns, Splitter};
    use crate::engine::output::{Cell, CellRef, ColumnInfo};
    use crate::lang::check::CheckContext;
    use crate::lang::ir::Params;

    struct Collect(Vec<Vec<Cell>>);

    impl RowSink for Collect {
        fn begin(&mut self, _: &[ColumnInfo]) -> std::io::Result<()> {
            Ok(())
        }
        fn row(&mut self, row: &[Cell]) -> std::io::Result<()> {
            self.0.push(row.to_vec());
            Ok(())
        }
        fn finish(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const HEADER: &[u8] = b"interface-id srcaddr dstport action bytes";

    /// Groups of `lines` (after HEADER), one worker per piece, combined on
    /// `threads`, as rows.
    fn grouped_on(query: &str, pieces: &[&[&str]], threads: usize) -> Vec<Vec<Cell>> {
        grouped_with(query, pieces, threads, false)
    }

    /// [`grouped_on`], the workers sharing out the groups through an
    /// [`Exchange`] if `exchange` (and the query allows it).
    fn grouped_with(
        query: &str,
        pieces: &[&[&str]],
        threads: usize,
        exchange: bool,
    ) -> Vec<Vec<Cell>> {
        let finished = finished_with(query, pieces, threads, exchange);
        let mut sink = Collect(Vec::new());
        finished.write(&mut sink).unwrap();
        // Records of small tables are added as they come; staged, every
        // group must come out the same.
        let cap = exchange.then_some(INBOX_CAP);
        let staged = combined_staged(query, pieces, threads, cap, true).unwrap();
        let mut staged_sink = Collect(Vec::new());
        staged.write(&mut staged_sink).unwrap();
        assert_eq!(sink.0, staged_sink.0, "staged and unstaged differ");
        sink.0
    }

    /// The combined groups of [`grouped_with`], not yet written.
    fn finished_with(query: &str, pieces: &[&[&str]], threads: usize, exchange: bool) -> Finished {
        combined_with(query, pieces, threads, exchange.then_some(INBOX_CAP)).unwrap()
    }

    /// The groups of `pieces`, one worker each, through an exchange whose
    /// inboxes hold `cap` batches if `cap` is given (and the query allows
    /// it). A cap of 1 must make a worker add a batch of another's.
    fn combined_with(
        query: &str,
        pieces: &[&[&str]],
        threads: usize,
        cap: Option<usize>,
    ) -> Result<Finished, LocalError> {
        combined_staged(query, pieces, threads, cap, false)
    }

    /// A query checked against the local source's table, at the earliest
    /// time.
    fn checked(query: &str) -> crate::lang::ir::CheckedQuery {
        let table = crate::engine::local::LocalSource::new("x").table();
        let params = Params::default();
        let ctx = CheckContext {
            table: &table,
            now: crate::time::Time::EARLIEST,
            params: &params,
        };
        crate::lang::check::check(&crate::lang::parse::parse(query).unwrap(), &ctx).unwrap()
    }

    /// [`combined_with`], every record staged if `staged` (as when the
    /// tables have outgrown [`SMALL_TABLE`]).
    fn combined_staged(
        query: &str,
        pieces: &[&[&str]],
        threads: usize,
        cap: Option<usize>,
        staged: bool,
    ) -> Result<Finished, LocalError> {
        let query = checked(query);
        let mut slots = Slots::default();
        let keys = query.output.group_by.clone().unwrap();
        let grouping = Grouping::new(&query.output, &keys, &mut slots);
        let columns = FileColumns::from_header(HEADER, &slots).unwrap();
        let mut states = Vec::new();
        let shared = cap
            .filter(|_| grouping.exchanges())
            .map(|cap| Arc::new(Exchange::with_cap(pieces.len(), cap)));
        for (me, piece) in pieces.iter().enumerate() {
            let mut groups = match &shared {
                Some(shared) => Groups::exchanging(&grouping, shared.clone(), me),
                None => Groups::new(&grouping),
            };
            if staged {
                groups.small = false;
            }
            let text: String = piece.iter().map(|l| format!("{l}\n")).collect();
            Splitter::new(&slots).records(text.as_bytes(), &columns, None, None, &mut |r| {
                groups.add(&grouping, r);
                Flow::Continue
            });
            states.push(groups);
        }
        if cap == Some(1) && shared.is_some() {
            let spilled = states
                .iter()
                .any(|s| s.member.as_ref().is_some_and(|m| m.spilled));
            assert!(spilled, "a batch found a full inbox");
        }
        // Unsorted groups come sorted by their keys (scan::Prepared).
        let mut order = query.output.order.clone();
        if order.is_empty() {
            order = (0..keys.len())
                .map(|column| OrderKey {
                    column,
                    descending: false,
                })
                .collect();
        }
        Groups::combine(states, &grouping, &order, query.output.limit, threads)
    }

    #[test]
    fn a_sum_that_leaves_bigint_fails_whatever_the_groups_path() {
        // One group's total passes 2^63 - 1; the others are small, so a
        // `limit 1` keeps one of them and must still fail.
        let big = "eni-9 10.0.0.9 8080 ACCEPT 9000000000000000000";
        let a: &[&str] = &["eni-1 10.0.0.1 22 ACCEPT 5", big];
        let b: &[&str] = &["eni-2 10.0.0.2 443 ACCEPT 7", big];
        let c: &[&str] = &["eni-3 2001:db8::3 22 ACCEPT 1"];
        for query in [
            "all time | stats sum(bytes) as b by srcaddr",
            "all time | stats sum(bytes) as b by dport",
            "all time | stats sum(bytes) as b by eni",
            "all time | stats sum(bytes) as b, count_distinct(dport) as d by srcaddr",
            "all time | stats sum(bytes) as b",
            "all time | stats count() as n, sum(bytes) as b by srcaddr | sort n asc | limit 1",
        ] {
            for (threads, exchange) in [(1, false), (2, false), (2, true)] {
                match combined_with(query, &[a, b, c], threads, exchange.then_some(INBOX_CAP)) {
                    Err(LocalError::Overflow { column }) => assert_eq!(column, "b", "{query}"),
                    other => panic!("{query} on {threads} threads: {:?}", other.map(|f| f.len())),
                }
            }
            // The same records less one of the big ones fit.
            let fits = combined_with(query, &[a, c], 2, Some(INBOX_CAP));
            assert!(fits.is_ok(), "{query}");
        }
    }

    /// A CSV sink that takes its rows one by one.
    struct RowByRow<'a>(Box<dyn RowSink + 'a>);

    impl RowSink for RowByRow<'_> {
        fn begin(&mut self, columns: &[ColumnInfo]) -> std::io::Result<()> {
            self.0.begin(columns)
        }
        fn row(&mut self, row: &[Cell]) -> std::io::Result<()> {
            self.0.row(row)
        }
        fn row_refs(&mut self, row: &mut dyn Iterator<Item = CellRef<'_>>) -> std::io::Result<()> {
            self.0.row_refs(row)
        }
        fn finish(&mut self) -> std::io::Result<()> {
            self.0.finish()
        }
    }

    /// 150,000 records of as many addresses and 70,000 ports, in three
    /// kinds (IPv4 with a port, IPv6, IPv4 with high ports and no bytes).
    fn many_groups() -> Vec<String> {
        (0..150_000u32)
            .map(|i| match i % 3 {
                0 => format!(
                    "eni-1 10.{}.{}.{} {} ACCEPT {}",
                    i >> 16,
                    (i >> 8) & 255,
                    i & 255,
                    i % 70_000,
                    i
                ),
                1 => format!("eni-2 2001:db8::{i:x} 80 REJECT {i}"),
                _ => format!(
                    "eni-3 192.168.{}.{} {} ACCEPT -",
                    (i >> 8) & 255,
                    i & 255,
                    65_000 + i
                ),
            })
            .collect()
    }

    #[test]
    fn groups_formatted_into_csv_lines_are_the_rows_a_csv_sink_writes() {
        // Many groups (many pieces of lines), in sorted pieces of their
        // own: the hashed halves, plus the direct ports (of 0 to 65,535;
        // the others are hashed), or one per worker (shared out).
        let lines = many_groups();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let pieces: Vec<&[&str]> = lines.chunks(40_000).collect();
        for (query, exchange) in [
            (
                "all time | stats count() as n, sum(bytes) as b by srcaddr | limit 1000000",
                false,
            ),
            (
                "all time | stats count() as n, sum(bytes) as b by srcaddr | limit 1000000",
                true,
            ),
            (
                "all time | stats sum(bytes) as b by dport | limit 1000000",
                false,
            ),
            (
                "all time | stats count() as n by srcaddr, action | sort n desc | limit 1000000",
                false,
            ),
            (
                "all time | stats count() as n by srcaddr | sort n desc | limit 100",
                true,
            ),
        ] {
            let finished = finished_with(query, &pieces, 2, exchange);
            let rows = if query.ends_with("limit 100") {
                100
            } else {
                1 << 16
            };
            assert!(finished.len() >= rows, "{query}: {} groups", finished.len());
            // All the groups of a large result are formatted on two threads.
            assert_eq!(finished.slices_csv(), rows > 100, "{query}");
            let (mut lines, mut one) = (Vec::new(), Vec::new());
            let mut sink = crate::engine::output::sink(
                crate::engine::output::Format::Csv,
                Box::new(&mut lines),
            );
            assert!(finished.writes_csv_lines(sink.as_ref()), "{query}");
            finished.write(sink.as_mut()).unwrap();
            sink.finish().unwrap();
            drop(sink);
            let mut sink = RowByRow(crate::engine::output::sink(
                crate::engine::output::Format::Csv,
                Box::new(&mut one),
            ));
            assert!(!finished.writes_csv_lines(&sink), "{query}");
            finished.write(&mut sink).unwrap();
            sink.finish().unwrap();
            drop(sink);
            assert_eq!(lines.len(), one.len(), "{query}");
            assert!(lines == one, "{query}: the same bytes");
            let rows = one.iter().filter(|b| **b == b'\n').count();
            assert_eq!(rows, finished.len(), "{query}");
        }
    }

    /// A CSV sink whose reader goes away (a closed pipe) when it is handed
    /// its `closes_at`th piece of lines.
    struct ClosedAt {
        pieces: usize,
        closes_at: usize,
    }

    impl RowSink for ClosedAt {
        fn begin(&mut self, _: &[ColumnInfo]) -> std::io::Result<()> {
            Ok(())
        }
        fn row(&mut self, _: &[Cell]) -> std::io::Result<()> {
            unreachable!("rows come as CSV lines")
        }
        fn finish(&mut self) -> std::io::Result<()> {
            Ok(())
        }
        fn takes_csv_lines(&self) -> bool {
            true
        }
        fn csv_lines(&mut self, _: &CsvLines) -> std::io::Result<()> {
            self.pieces += 1;
            if self.pieces < self.closes_at {
                return Ok(());
            }
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_output_stops_both_formatting_threads() {
        let lines = many_groups();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let pieces: Vec<&[&str]> = lines.chunks(40_000).collect();
        let query = "all time | stats count() as n by srcaddr | limit 1000000";
        let finished = finished_with(query, &pieces, 2, true);
        assert!(finished.slices_csv());
        // The first piece, one of each thread, and one well inside.
        for closes_at in [1, 2, 3, 7] {
            let mut sink = ClosedAt {
                pieces: 0,
                closes_at,
            };
            let error = finished.write(&mut sink).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
            assert_eq!(sink.pieces, closes_at, "no lines after the sink failed");
        }
    }

    fn grouped(query: &str, pieces: &[&[&str]]) -> Vec<Vec<Cell>> {
        let rows = grouped_on(query, pieces, 2);
        assert_eq!(grouped_on(query, pieces, 1), rows, "{query} on 1 thread");
        for threads in [1, 2] {
            let shared = grouped_with(query, pieces, threads, true);
            assert_eq!(
                shared, rows,
                "{query} through an exchange, on {threads} threads"
            );
        }
        rows
    }

    #[test]
    fn workers_sharing_out_groups_find_what_one_worker_finds() {
        // Enough records for full batches and looks at the inbox while
        // reading; some sources are not IPv4 (text ids of the interner the
        // workers share), some appear in every piece.
        let lines: Vec<String> = (0..9000u32)
            .map(|i| {
                let source = match i % 50 {
                    0 => format!("2001:db8::{:x}", i % 700),
                    1 => "-".to_string(),
                    2 => "010.0.0.1".to_string(),
                    // A few IPv4 groups of many records (and ports).
                    3 => format!("10.9.9.{}", i % 5),
                    _ => format!("10.{}.{}.{}", i % 3, (i / 7) % 256, i % 251),
                };
                format!("eni-{} {source} {} ACCEPT {}", i % 5, i % 97, i % 1000)
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let pieces: Vec<&[&str]> = lines.chunks(3000).collect();
        let one = grouped_on_query_check(&lines, &pieces);
        assert!(one > 1000, "{one} groups");
    }

    /// The grouping of a grouped query.
    fn grouping_of(query: &str) -> Grouping {
        let checked = checked(query);
        let keys = checked.output.group_by.clone().unwrap();
        Grouping::new(&checked.output, &keys, &mut Slots::default())
    }

    /// Runs queries that share out groups on `pieces` and on all `lines` in
    /// one piece; the number of groups of the first.
    fn grouped_on_query_check(lines: &[&str], pieces: &[&[&str]]) -> usize {
        let queries = [
            "all time | stats count() as n, sum(bytes) as b, max(bytes) as m by srcaddr | limit 100000",
            "all time | stats avg(bytes) as a, count(bytes) as c by srcaddr, dport | limit 100000",
            "all time | top 7 srcaddr, dport by bytes",
            "all time | stats count_distinct(dport) as p, count() as n by srcaddr | limit 100000",
            "all time | stats count_distinct(bytes) as d by srcaddr | sort d desc | limit 9",
        ];
        let mut sizes = Vec::new();
        for query in queries {
            assert!(
                grouping_of(query).exchanges(),
                "{query} shares out its groups"
            );
            let one = grouped_on(query, &[lines], 1);
            assert_eq!(grouped(query, pieces), one, "{query}");
            // Inboxes that fill: workers add batches of others and hand
            // those groups to their owners at the end.
            let mut sink = Collect(Vec::new());
            // (Two pieces, so that one sends more than one batch.)
            let halves: Vec<&[&str]> = lines.chunks(lines.len().div_ceil(2)).collect();
            let spilled = combined_with(query, &halves, 2, Some(1)).unwrap();
            spilled.write(&mut sink).unwrap();
            assert_eq!(sink.0, one, "{query} with full inboxes");
            sizes.push(one.len());
        }
        sizes[0]
    }

    #[test]
    fn keys_with_texts_go_to_the_worker_that_owns_them() {
        // Every source is IPv6 (a text id), and one worker reads them all:
        // the ids are the shared interner's, so the groups are shared out
        // by hash like any other, and each worker sorts its own share.
        let lines: Vec<String> = (0..4000u32)
            .map(|i| format!("eni-1 2001:db8::{:x} 443 ACCEPT {i}", i % 900))
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let query = "all time | stats count() as n, sum(bytes) as b by srcaddr | limit 100000";
        let finished = combined_with(query, &[&lines, &[]], 2, Some(INBOX_CAP)).unwrap();
        let shares: Vec<usize> = finished.pieces.iter().map(Sorted::len).collect();
        assert_eq!(shares.iter().sum::<usize>(), 900, "{shares:?}");
        assert!(shares.iter().all(|n| *n > 300), "{shares:?}");
        let mut sink = Collect(Vec::new());
        finished.write(&mut sink).unwrap();
        assert_eq!(sink.0, grouped_on(query, &[&lines], 1));
    }

    #[test]
    fn workers_merge_to_what_one_worker_finds() {
        // Each piece meets the texts in its own order, so their text ids
        // differ and must be translated when merged.
        let a: &[&str] = &[
            "eni-1 10.0.0.1 22 ACCEPT 10",
            "eni-2 2001:db8::1 443 REJECT 20",
            "eni-1 bogus 22 - 30",
            "eni-3 - - - -",
        ];
        let b: &[&str] = &[
            "eni-3 bogus 80 REJECT 5",
            "eni-2 10.0.0.1 22 ACCEPT 7",
            "eni-1 2001:db8::1 22 ACCEPT -",
            "eni-4 010.0.0.1 443 - 1",
        ];
        let c: &[&str] = &["eni-4 zz 22 ACCEPT 2", "eni-1 2001:db8::1 443 REJECT 3"];
        let queries = [
            "all time | stats count() as n, sum(bytes) as b, avg(bytes) as a, min(srcaddr) as lo, \
             max(action) as hi, count_distinct(srcaddr) as d, count(action) as c by eni",
            "all time | stats count_distinct(eni) as e, max(bytes) as m by srcaddr, action",
            "all time | stats count_distinct(action) as d, min(eni) as e",
            // Over the values kept in a group (1 of bigint, 3 of addresses).
            "all time | stats count_distinct(bytes) as b, count_distinct(srcaddr) as s by action",
            "all time | stats count_distinct(bytes) as b, count_distinct(srcaddr) as s",
            "all time | top 2 srcaddr by bytes",
        ];
        for query in queries {
            let one = grouped(query, &[&[a, b, c].concat()]);
            assert!(!one.is_empty());
            assert_eq!(grouped(query, &[a, b, c]), one, "{query}");
            assert_eq!(grouped(query, &[c, b, a]), one, "{query}");
        }
        // Worked out by hand for the first: eni-1 has 10, 30, 3 bytes (and
        // one NULL), sources 10.0.0.1, bogus, 2001:db8::1 (x2).
        assert_eq!(
            grouped(queries[0], &[a, b, c])[0],
            [
                Cell::Text("eni-1".into()),
                Cell::Int(4),
                Cell::Int(43),
                Cell::Float(43.0 / 3.0),
                Cell::Text("10.0.0.1".into()),
                Cell::Text("REJECT".into()),
                Cell::Int(3),
                Cell::Int(3),
            ]
        );
    }

    /// `count_distinct` of an `int` column keeps 6 values two to a word,
    /// then uses its table: every count must be the size of a set of the
    /// values, for groups of 1 to 14 distinct ports (0 and the largest
    /// int among them, each seen twice, and NULLs), split between two
    /// workers either way, merged or shared out.
    #[test]
    fn distinct_ports_count_as_a_set_does() {
        let ports = [
            "0",
            "65535",
            "22",
            "2147483647",
            "1",
            "443",
            "-",
            "8080",
            "3",
            "65534",
            "7",
            "9",
            "11",
            "4294967",
            "12",
        ];
        let mut lines = Vec::new();
        let mut expected = Vec::new();
        for source in 1..=ports.len() {
            let mine = &ports[..source];
            for (round, port) in [mine, mine].concat().iter().enumerate() {
                lines.push(format!("eni-1 10.1.0.{source} {port} ACCEPT {round}"));
            }
            let set: std::collections::HashSet<_> = mine.iter().filter(|p| **p != "-").collect();
            expected.push(vec![
                Cell::Text(format!("10.1.0.{source}")),
                Cell::Int(set.len() as i64),
            ]);
        }
        expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (first, second) = lines.split_at(lines.len() / 3);
        let query = "all time | stats count_distinct(dport) as p by srcaddr | limit 100";
        for pieces in [&[first, second], &[second, first]] {
            let mut rows = grouped(query, pieces);
            rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            assert_eq!(rows, expected);
        }
        assert!(expected.iter().any(|row| row[1] == Cell::Int(13)));
    }

    #[test]
    fn a_table_that_outgrows_small_groups_as_one_staged_from_the_start() {
        // 4,000 groups over 10,000 records: the first 4,096 records are
        // added as they come, the rest staged once the table is no longer
        // small; `grouped` also runs them all staged.
        let lines: Vec<String> = (0..10_000)
            .map(|i| {
                // The port goes with the action: 22 ACCEPT, 443 REJECT.
                let (port, action) = if i % 3 == 0 {
                    (22, "ACCEPT")
                } else {
                    (443, "REJECT")
                };
                format!(
                    "eni-1 10.0.{}.{} {port} {action} {i}",
                    (i % 2000) / 256,
                    (i % 2000) % 256
                )
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let mut want = std::collections::BTreeMap::new();
        for line in &lines {
            let fields: Vec<&str> = line.split(' ').collect();
            // Addresses are strings in SQL: they sort as text.
            let group = want.entry((fields[1], fields[3])).or_insert((0, 0));
            group.0 += 1;
            group.1 += fields[4].parse::<i64>().unwrap();
        }
        let want: Vec<Vec<Cell>> = want
            .into_iter()
            .map(|((address, action), (n, b))| {
                vec![
                    Cell::Text(address.into()),
                    Cell::Text(action.into()),
                    Cell::Int(n),
                    Cell::Int(b),
                ]
            })
            .collect();
        assert!(want.len() > 2 * SMALL_TABLE && lines.len() > 2 * SIZE_EVERY as usize);
        let query =
            "all time | stats count() as n, sum(bytes) as b by srcaddr, action | limit 100000";
        assert_eq!(grouped(query, &[&lines]), want);
        // A text key is not shared out: two workers each add unstaged,
        // then stage, and are merged.
        let (first, second) = lines.split_at(lines.len() / 2);
        assert_eq!(grouped_with(query, &[first, second], 2, true), want);
        // Workers sharing out the groups stage from the first record.
        let by_port =
            "all time | stats count() as n, sum(bytes) as b by srcaddr, dport | limit 100000";
        assert!(grouping_of(by_port).exchanges(), "{by_port} shares out");
        let want_by_port: Vec<Vec<Cell>> = want
            .iter()
            .map(|row| {
                let port = if row[1] == Cell::Text("ACCEPT".into()) {
                    22
                } else {
                    443
                };
                vec![
                    row[0].clone(),
                    Cell::Int(port),
                    row[2].clone(),
                    row[3].clone(),
                ]
            })
            .collect();
        assert_eq!(grouped(by_port, &[&lines]), want_by_port);
        assert_eq!(
            grouped_with(by_port, &[first, second], 2, true),
            want_by_port
        );
    }

    #[test]
    fn ports_in_and_out_of_the_direct_slots_group_alike() {
        // 0 to 65,535 and NULL go to the direct slots; -1, 65,536 and
        // 2^31 - 1 (no port, but an `int`) to the hashed table beside them.
        let a: &[&str] = &[
            "eni-1 10.0.0.1 22 ACCEPT 10",
            "eni-1 10.0.0.1 65536 ACCEPT 1",
            "eni-1 10.0.0.1 - ACCEPT 4",
            "eni-1 10.0.0.1 0 REJECT -",
        ];
        let b: &[&str] = &[
            "eni-2 10.0.0.2 22 REJECT 5",
            "eni-2 10.0.0.2 -1 ACCEPT 2",
            "eni-2 10.0.0.2 65535 ACCEPT 3",
            "eni-2 10.0.0.2 - ACCEPT 6",
        ];
        let c: &[&str] = &[
            "eni-3 10.0.0.3 2147483647 ACCEPT 8",
            "eni-3 10.0.0.3 65536 REJECT 9",
            "eni-3 10.0.0.3 22 ACCEPT -",
        ];
        let query = "all time | stats count() as n, sum(bytes) as b, min(bytes) as lo, \
                     avg(bytes) as a, count(bytes) as c by dport";
        let int = |v: i64| Cell::Int(v);
        let expected = vec![
            vec![int(-1), int(1), int(2), int(2), Cell::Float(2.0), int(1)],
            vec![int(0), int(1), Cell::Null, Cell::Null, Cell::Null, int(0)],
            vec![int(22), int(3), int(15), int(5), Cell::Float(7.5), int(2)],
            vec![int(65535), int(1), int(3), int(3), Cell::Float(3.0), int(1)],
            vec![
                int(65536),
                int(2),
                int(10),
                int(1),
                Cell::Float(5.0),
                int(2),
            ],
            vec![
                int(2147483647),
                int(1),
                int(8),
                int(8),
                Cell::Float(8.0),
                int(1),
            ],
            vec![
                Cell::Null,
                int(2),
                int(10),
                int(4),
                Cell::Float(5.0),
                int(2),
            ],
        ];
        assert_eq!(grouped(query, &[&[a, b, c].concat()]), expected);
        assert_eq!(grouped(query, &[a, b, c]), expected);
        assert_eq!(grouped(query, &[c, a, b]), expected);
        // Ordered by a count, the direct and hashed groups interleave.
        let top = grouped("all time | top 3 dport by bytes", &[a, b, c]);
        assert_eq!(
            top,
            vec![
                vec![int(22), int(15)],
                vec![int(65536), int(10)],
                vec![Cell::Null, int(10)],
            ]
        );
    }

    #[test]
    fn ipv4_addresses_order_as_their_texts() {
        let mut addresses: Vec<u32> = (0..4000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .chain([
                0,
                u32::MAX,
                0x0a00_0001,
                0x0a00_000a,
                0x0a00_0064,
                0x0102_0304,
            ])
            .collect();
        let text = |bits: u32| Ipv4Text::new(bits).as_bytes().to_vec();
        addresses.sort_by_key(|a| ipv4_text_order(*a));
        assert!(
            addresses.windows(2).all(|w| text(w[0]) <= text(w[1])),
            "sorted by rank, the texts are sorted"
        );
        // An address sorts by the number its text would, so that it sorts
        // among strings (IPv6 addresses in the same column) as its text.
        for bits in &addresses {
            let ipv4 = Ipv4Text::new(*bits);
            assert_eq!((ipv4.prefix(), true), text_prefix(ipv4.as_bytes()));
        }
        assert_eq!(OCTET_TEXT_RANK[0], 0);
        assert_eq!(OCTET_TEXT_RANK[1], 1);
        assert_eq!(OCTET_TEXT_RANK[10], 2);
        assert_eq!(OCTET_TEXT_RANK[100], 3);
        assert_eq!(OCTET_TEXT_RANK[99], 255);
    }

    #[test]
    fn sums_keep_an_exact_i128_and_whether_a_value_was_seen() {
        let mut words = [0u64; 2];
        assert_eq!(load_sum(&words), (0, false));
        for total in [
            0,
            -1,
            i128::from(i64::MAX) * 3,
            i128::from(i64::MIN) * 5,
            1 << 100,
        ] {
            store_sum(&mut words, total, true);
            assert_eq!(load_sum(&words), (total, true));
            store_sum(&mut words, total, false);
            assert_eq!(load_sum(&words), (total, false));
        }
        let mut avg = [0u64; 3];
        store_i128(&mut avg, -(1 << 90));
        assert_eq!(load_i128(&avg), -(1 << 90));
    }
}
