//! Engines: each takes a checked query and a row sink, and returns a run
//! report.

pub mod athena;
pub mod local;
pub mod output;
pub mod trino;
