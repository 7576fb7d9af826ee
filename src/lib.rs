//! flowq: search Amazon VPC Flow Logs.
//!
//! The compiler is a pipeline of stages, one module each:
//!
//! 1. [`parse`]: text -> [`ast`] (with spans, for located errors);
//! 2. [`check`]: names, types, `$params` and the time window resolved
//!    against a [`table::Table`] and an injected "now";
//! 3. backends: [`sql`] renders Athena engine v3 (Trino) SQL, with the
//!    [`partition`] predicates that keep a scan to the window.
//!
//! [`compile`] runs the whole pipeline; [`explain`] shows its workings.

pub mod ast;
pub mod athena;
pub mod catalog;
pub mod check;
pub mod commands;
pub mod config;
pub mod ddl;
pub mod ddl_trino;
pub mod demo;
pub mod diagnostic;
pub mod explain;
pub mod local;
pub mod output;
pub mod parse;
pub mod partition;
pub mod ports;
pub mod print;
pub mod run;
pub mod sample;
pub mod schema;
pub mod sql;
pub mod suggest;
pub mod table;
pub mod time;
pub mod trino;
pub mod units;
pub mod validate;
pub mod yaml;

use check::{CheckContext, CheckedQuery};
use diagnostic::Diagnostic;

/// A query through every stage.
#[derive(Debug)]
pub struct Compiled {
    pub query: ast::Query,
    pub checked: CheckedQuery,
    pub sql: String,
}

/// Parses and checks a query: what every backend starts from (the local
/// engine needs no SQL).
pub fn check_query(
    text: &str,
    ctx: &CheckContext,
) -> Result<(ast::Query, CheckedQuery), Vec<Diagnostic>> {
    let query = parse::parse(text).map_err(|d| vec![d])?;
    let checked = check::check(&query, ctx)?;
    Ok((query, checked))
}

/// Parses, checks and renders a query to SQL, or says everything that is
/// wrong with it.
pub fn compile(text: &str, ctx: &CheckContext) -> Result<Compiled, Vec<Diagnostic>> {
    let (query, checked) = check_query(text, ctx)?;
    let sql = sql::render(&checked, ctx.table).map_err(|e| {
        vec![Diagnostic::error(
            ast::Span::new(0, text.len()),
            e.to_string(),
        )]
    })?;
    Ok(Compiled {
        query,
        checked,
        sql,
    })
}
