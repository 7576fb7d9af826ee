//! The documented limits on what a query may be (docs/cli.md, "Limits";
//! docs/language.md, "Limits"). Each is checked where it can be checked
//! cheaply, before anything whose cost or recursion depth it bounds runs,
//! and each gives a located error.

/// The longest query text, in bytes (64 KiB): far above any query a person
/// writes, and it bounds the time and memory of every stage.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// The deepest nesting of parentheses, set braces and `not`/`!`, counted
/// together: `not (a or not b)` nests 3 deep at `b`. The parser, the
/// checker, the printer, the SQL renderer and the local engine may recurse
/// once per level of nesting, and only that deep: a wide `and`/`or` chain
/// is a list, never a recursion. Measured: the worst shapes at this depth
/// (`(a or (b or ...))`, `not (not (...))`) parse, check, print and render
/// in under 512 KiB of stack in a dev build, a quarter of a spawned
/// thread's 2 MiB (tests/fuzz.rs runs every case on such a thread).
pub const MAX_NESTING: usize = 256;

/// The most values parameters may expand to in one query, counting each
/// member of a set. A query is at most 64 KiB, but a set parameter used in
/// many places is copied into each of them.
pub const MAX_PARAM_VALUES: usize = 100_000;

/// The most buckets a `timechart` may have (window / interval): Trino and
/// Athena refuse a `sequence` of more than 10,000 values, and a chart of
/// more buckets than that is wider than any terminal anyway.
pub const MAX_TIMECHART_BUCKETS: i64 = 10_000;

/// The most series a `timechart ... by` shows: the largest by the first
/// aggregate's total over the window (ties by the value's text), the rest
/// summed into one series named `other`.
pub const MAX_TIMECHART_SERIES: usize = 10;

/// The most entries named lists (`@name`) may expand to in one query,
/// counting a list again for each place it is used. A list file holds at
/// most `MAX_LIST_ENTRIES`.
pub const MAX_LIST_VALUES: usize = 2_000_000;

/// The most entries one named list may hold (docs/catalog.md, "Lists").
pub const MAX_LIST_ENTRIES: usize = 1_000_000;
