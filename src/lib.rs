//! flowq: search Amazon VPC Flow Logs. See ARCHITECTURE.md.

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
