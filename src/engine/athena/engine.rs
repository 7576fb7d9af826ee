//! Athena as an [`Engine`]: the checked query rendered to SQL for the
//! source's table, run with [`run_blocking`](super::run_blocking), and its
//! [`Summary`](super::summary::Summary) turned into a [`RunReport`].

use super::settings::{AthenaTarget, RunOptions};
use super::summary::{AthenaError, Summary};
use crate::engine::output::RowSink;
use crate::engine::shape::{
    render_sql, Engine, EngineError, EngineKind, ErrorKind, Progress, RunReport,
};
use crate::lang::ir::CheckedQuery;
use crate::table::Table;

/// Athena over one source's table.
#[derive(Clone, Debug)]
pub struct AthenaEngine {
    pub target: AthenaTarget,
    pub options: RunOptions,
    pub table: Table,
}

impl AthenaEngine {
    /// The run's options, with what the query says about partitions.
    fn options_for(&self, query: &CheckedQuery) -> RunOptions {
        RunOptions {
            has_partition_predicate: !query.window.is_unbounded(),
            ..self.options.clone()
        }
    }
}

impl Engine for AthenaEngine {
    fn run(
        &self,
        query: &CheckedQuery,
        sink: &mut dyn RowSink,
        progress: &Progress,
    ) -> Result<RunReport, EngineError> {
        let started = std::time::Instant::now();
        let sql = render_sql(query, &self.table)?;
        let options = self.options_for(query);
        let summary = super::run_blocking(&self.target, &sql, &options, sink, progress)
            .map_err(EngineError::from)?;
        Ok(RunReport {
            elapsed: started.elapsed(),
            ..report(&summary)
        })
    }

    fn dry_run(&self, query: &CheckedQuery) -> Result<String, EngineError> {
        let sql = render_sql(query, &self.table)?;
        let options = self.options_for(query);
        super::dry_run(&self.target, query, &sql, &options).map_err(EngineError::from)
    }
}

/// A summary as a run report. Failed queries are not billed (reference
/// §4.4 names succeeded and cancelled ones), so they carry no cost.
pub fn report(summary: &Summary) -> RunReport {
    RunReport {
        engine: EngineKind::Athena,
        rows: summary.rows,
        bytes_scanned: summary.data_scanned_bytes,
        cost_dollars: (summary.state != "FAILED").then(|| summary.estimated_cost()),
        engine_time: summary.engine_time,
        query_id: Some(summary.query_id.clone()),
        state: Some(summary.state.clone()),
        reused: summary.reused,
        retries: summary.retries.clone(),
        ..RunReport::default()
    }
}

/// The runner's account of a failure, whole: for a query it started it
/// includes the query's summary and whether it was stopped, in the
/// runner's words (its lines already say `flowq:`).
impl From<AthenaError> for EngineError {
    fn from(error: AthenaError) -> EngineError {
        engine_error(error)
    }
}

fn engine_error(error: AthenaError) -> EngineError {
    let kind = match error.exit_code() {
        2 => ErrorKind::Refused,
        130 => ErrorKind::Interrupted,
        _ => ErrorKind::Failed,
    };
    let text = error.to_string();
    EngineError {
        kind,
        message: text
            .strip_prefix("flowq: error: ")
            .map_or_else(|| text.clone(), str::to_string),
        help: None,
    }
}
