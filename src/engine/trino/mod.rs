//! Trino: the engine Athena v3 is built on, reached over its client
//! protocol.

pub mod client;

pub use client::*;
