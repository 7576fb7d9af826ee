//! flowq: search Amazon VPC Flow Logs.
//!
//! A pipeline of stages, one folder each (ARCHITECTURE.md):
//!
//! ```text
//! text --lang::parse--> ast::Query --lang::check--> ir::CheckedQuery
//!                                                     |
//!             +---------------------------------------+----------------+
//!             v                                                        v
//!   sql::render (Athena v3 / Trino SQL)                     engine::local (files)
//!             |                                                        |
//!   engine::athena, engine::trino                                      |
//!             +------------> RunReport + rows (engine::output) <-------+
//!                                        |
//!                                   cli (prints, exit codes)
//! ```
//!
//! The layers, lowest first: the vocabulary ([`schema`], [`table`],
//! [`units`], [`time`], [`ports`], [`suggest`], [`json`]); [`lang`];
//! [`sql`]; [`engine`] and [`sample`]; [`catalog`]; [`cli`]. A module
//! imports only its own folder and lower layers (tests/layering.rs).

pub mod catalog;
pub mod cli;
pub mod engine;
pub mod json;
pub mod lang;
pub mod ports;
pub mod sample;
pub mod schema;
pub mod sql;
pub mod suggest;
pub mod table;
pub mod time;
pub mod units;

pub use sql::{compile, Compiled};
