//! The language: text -> AST (with spans) -> checked query (the IR).
//! Knows the shared vocabulary (schema, table, units, time, ports) and
//! nothing of SQL, engines, the catalog or the command line.

pub mod ast;
pub mod check;
pub mod diagnostic;
pub mod ir;
pub mod limits;
pub mod parse;
pub mod print;

use check::CheckContext;
use diagnostic::Diagnostic;
use ir::CheckedQuery;

/// Parses and checks a query: what every engine starts from (the local
/// engine needs no SQL).
pub fn check_query(
    text: &str,
    ctx: &CheckContext,
) -> Result<(ast::Query, CheckedQuery), Vec<Diagnostic>> {
    let query = parse::parse(text).map_err(|d| vec![d])?;
    let checked = check::check(&query, ctx)?;
    Ok((query, checked))
}
