//! The checked query as Athena engine v3 (Trino) SQL: the SELECT, the
//! partition predicates that keep a scan to the window, the DDL of the
//! table, and `explain`'s account of all three.

pub mod ddl;
pub mod ddl_trino;
pub mod explain;
pub mod partition;
pub mod render;

use crate::lang::ast::{self, Query};
use crate::lang::check::CheckContext;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::CheckedQuery;

/// A query through every stage.
#[derive(Debug)]
pub struct Compiled {
    pub query: Query,
    pub checked: CheckedQuery,
    pub sql: String,
}

/// Parses, checks and renders a query to SQL, or says everything that is
/// wrong with it.
pub fn compile(text: &str, ctx: &CheckContext) -> Result<Compiled, Vec<Diagnostic>> {
    let (query, checked) = crate::lang::check_query(text, ctx)?;
    let sql = render::render(&checked, ctx.table).map_err(|e| {
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
