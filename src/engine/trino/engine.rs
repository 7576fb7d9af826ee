//! Trino as an [`Engine`]: the checked query rendered to SQL for the
//! source's table and sent through the client protocol ([`Client`]).
//! Ctrl-C cancels the query on the server.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::client::{Client, Config, Error};
use crate::engine::output::RowSink;
use crate::engine::shape::{render_sql, Engine, EngineError, EngineKind, Progress, RunReport};
use crate::lang::ir::CheckedQuery;
use crate::table::Table;

/// Trino over one source's table.
#[derive(Clone, Debug)]
pub struct TrinoEngine {
    pub config: Config,
    pub table: Table,
}

impl Engine for TrinoEngine {
    fn run(
        &self,
        query: &CheckedQuery,
        sink: &mut dyn RowSink,
        _progress: &Progress,
    ) -> Result<RunReport, EngineError> {
        let sql = render_sql(query, &self.table)?;
        let client = Client::new(self.config.clone());
        cancel_on_ctrl_c(client.cancel_handle()).map_err(EngineError::failed)?;
        let started = Instant::now();
        match client.execute(&sql, sink) {
            Ok(stats) => Ok(RunReport {
                engine: EngineKind::Trino,
                rows: stats.rows,
                bytes_scanned: stats.physical_input_bytes,
                records_read: Some(stats.processed_rows),
                query_id: Some(stats.query_id),
                elapsed: started.elapsed(),
                ..RunReport::default()
            }),
            Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(RunReport {
                engine: EngineKind::Trino,
                output_closed: true,
                elapsed: started.elapsed(),
                ..RunReport::default()
            }),
            Err(e @ Error::Cancelled { .. }) => Err(EngineError::interrupted(e.to_string())),
            Err(e) => Err(EngineError::failed(e.to_string())),
        }
    }

    fn dry_run(&self, query: &CheckedQuery) -> Result<String, EngineError> {
        let sql = render_sql(query, &self.table)?;
        Ok(format!(
            "-- dry run: would run on Trino at {} as user {} (catalog {}):\n{sql}\n",
            self.config.server,
            self.config.user,
            self.config.catalog.as_deref().unwrap_or("-")
        ))
    }
}

/// Sets `flag` on Ctrl-C, from a thread that listens from before this
/// returns; the Trino client then cancels the query at its next page.
fn cancel_on_ctrl_c(flag: Arc<AtomicBool>) -> Result<(), String> {
    let (ready, listening) = std::sync::mpsc::channel::<Result<(), String>>();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                return ready
                    .send(Err(format!("cannot listen for Ctrl-C: {e}")))
                    .unwrap_or(())
            }
        };
        runtime.block_on(async move {
            #[cfg(unix)]
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
            #[cfg(windows)]
            let signal = tokio::signal::windows::ctrl_c();
            match signal {
                Ok(mut signal) => {
                    let _ = ready.send(Ok(()));
                    signal.recv().await;
                    flag.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    let _ = ready.send(Err(format!("cannot listen for Ctrl-C: {e}")));
                }
            }
        });
    });
    listening
        .recv()
        .map_err(|_| "cannot listen for Ctrl-C".to_string())?
}
