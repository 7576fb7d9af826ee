//! The progress line on stderr while a query runs: state, elapsed time,
//! data scanned. Only on a terminal and without `--quiet`; anywhere else
//! stderr carries the summary alone, so logs and pipes stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::units::format_bytes;

pub(super) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let show = !quiet && std::io::stderr().is_terminal();
        Progress {
            bar: show.then(spinner),
        }
    }

    pub fn bar(&self) -> Option<&ProgressBar> {
        self.bar.as_ref()
    }

    /// Short enough for an 80-column terminal: a wrapped line redraws badly.
    pub fn update(&self, state: &str, scanned: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{state:<9} {:>9} scanned   Ctrl-C stops the query",
                format_bytes(scanned)
            ));
        }
    }

    /// Removes the line, before rows or the summary are written.
    pub fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

fn spinner() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}") {
        bar.set_style(style);
    }
    bar.set_message("starting");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
