//! Stage 2: syntax tree -> checked query. Names are resolved against the
//! table's log format, values are typed (addresses, ports, sizes, times),
//! `$params` are substituted as values (never as text), and the time window
//! is resolved against an injected clock.
//!
//! Every backend (Athena SQL, the local engine) works from a
//! [`CheckedQuery`] only, so they cannot disagree about what a query means.

mod filter;
mod lists;
mod lookups;
mod pipeline;
mod values;
mod window;

use std::collections::{BTreeMap, BTreeSet};

use crate::lang::ast::{self};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::*;
use crate::table::Table;
use crate::time::Time;

pub use values::{address, port_range, TCP_FLAGS};

/// What a query is checked against.
pub struct CheckContext<'a> {
    pub table: &'a Table,
    /// "Now": read once per run, or pinned with `--now`.
    pub now: Time,
    pub params: &'a Params,
}

/// Checks a query, reporting every problem found.
pub fn check(query: &ast::Query, ctx: &CheckContext) -> Result<CheckedQuery, Vec<Diagnostic>> {
    let mut checker = Checker {
        ctx,
        errors: Vec::new(),
        params_used: BTreeSet::new(),
        lists_used: BTreeMap::new(),
        param_values: 0,
        list_values: 0,
    };
    let filter = query.filter.as_ref().and_then(|e| checker.expr(e));
    let window = checker.window(query.window.as_ref());
    let output = checker.output(&query.stages, window.as_ref());
    match (window, output) {
        (Some(window), Some(output)) if checker.errors.is_empty() => Ok(CheckedQuery {
            filter,
            window,
            output,
            params_used: checker.params_used,
            lists_used: checker.lists_used,
        }),
        _ => Err(checker.errors),
    }
}

struct Checker<'a> {
    ctx: &'a CheckContext<'a>,
    errors: Vec<Diagnostic>,
    params_used: BTreeSet<String>,
    /// `@name` lists used, with their entry counts.
    lists_used: BTreeMap<String, usize>,
    /// Values substituted for parameters so far (limits::MAX_PARAM_VALUES).
    param_values: usize,
    /// List entries expanded so far (limits::MAX_LIST_VALUES).
    list_values: usize,
}
