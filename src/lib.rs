//! flowq: search Amazon VPC Flow Logs.
//!
//! The compiler is a pipeline of stages, one module each:
//! [`parse`] (text -> [`ast`]) -> [`check`] (names, types, params and the
//! time window resolved against a [`table::Table`] and a clock) ->
//! backends: [`sql`] (Athena engine v3 / Trino SQL, with [`partition`]
//! predicates).

pub mod ast;
pub mod diagnostic;
pub mod parse;
pub mod print;
pub mod suggest;
