//! Trino: the engine Athena v3 is built on, reached over its client
//! protocol ([`client`]) and run as an [`Engine`](crate::engine::Engine)
//! ([`engine`]).

pub mod client;
pub mod engine;

pub use crate::engine::output::Rows;
pub use client::{Client, Config, Error, QueryError, QueryStats};
pub use engine::TrinoEngine;
