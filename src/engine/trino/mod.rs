//! Trino: the engine Athena v3 is built on, reached over its client
//! protocol ([`client`]) and run as an [`Engine`](crate::engine::Engine)
//! ([`engine`]).

pub mod client;
pub mod engine;

pub use client::{Client, Config, Error, QueryError, QueryStats, Rows};
pub use engine::TrinoEngine;
