//! The time window, resolved against the injected clock.

use super::values::*;
use super::*;
use crate::lang::ast::{self, Span, Value, WindowKind};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::*;
use crate::time::{self, Time};
use crate::units;

impl Checker<'_> {
    pub(super) fn window(&mut self, window: Option<&ast::Window>) -> Option<ResolvedWindow> {
        let Some(window) = window else {
            return self.default_window();
        };
        match self.resolve_window(window) {
            Ok(w) => Some(w),
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    /// The source's default window, ending now; an error only when it
    /// would start before 1970 (a `--now` near the epoch).
    fn default_window(&mut self) -> Option<ResolvedWindow> {
        let (now, length) = (self.ctx.now, self.ctx.table.default_window);
        match now.minus(length) {
            Ok(start) => Some(ResolvedWindow {
                start: Some(start),
                end: Some(now),
                is_default: true,
            }),
            Err(e) => {
                let length = units::format_duration(length);
                self.errors.push(
                    Diagnostic::error(
                        Span::default(),
                        format!("the default window (last {length}) would start {e}"),
                    )
                    .with_help("give the query a window"),
                );
                None
            }
        }
    }

    fn resolve_window(&mut self, window: &ast::Window) -> Result<ResolvedWindow, Diagnostic> {
        let now = self.ctx.now;
        let (start, end) = match &window.kind {
            WindowKind::Last(v) => {
                let v = self.one_value(v, "last")?;
                let seconds = units::parse_duration(text_of(&v), true)
                    .map_err(|m| Diagnostic::error(v.span, m))?;
                if seconds <= 0 {
                    return Err(Diagnostic::error(
                        v.span,
                        "'last' needs a duration above zero",
                    ));
                }
                let start = now.minus(seconds).map_err(|e| {
                    Diagnostic::error(v.span, format!("this window would start {e}"))
                        .with_help("give a shorter duration, or write 'all time' for no start")
                })?;
                (Some(start), Some(now))
            }
            WindowKind::Since(v) => {
                let t = self.instant(v, "since")?;
                if t >= now {
                    return Err(Diagnostic::error(
                        v.span,
                        format!("the window starts at or after now ({now})"),
                    ));
                }
                (Some(t), Some(now))
            }
            WindowKind::Until(v) => (None, Some(self.instant(v, "until")?)),
            WindowKind::SinceUntil(a, b) | WindowKind::Between(a, b) => {
                let (first, second) = match &window.kind {
                    WindowKind::Between(..) => ("between", "between"),
                    _ => ("since", "until"),
                };
                let (t0, t1) = (self.instant(a, first)?, self.instant(b, second)?);
                if t0 >= t1 {
                    return Err(Diagnostic::error(
                        a.span.to(b.span),
                        "the window ends before it starts",
                    )
                    .with_help("windows are [start, end): the first time must be earlier"));
                }
                (Some(t0), Some(t1))
            }
            WindowKind::On(v) => {
                let v = self.one_value(v, "on")?;
                let day =
                    time::parse_instant(text_of(&v)).map_err(|m| Diagnostic::error(v.span, m))?;
                if !day.is_date {
                    return Err(
                        Diagnostic::error(v.span, "'on' takes a date like 2026-11-26")
                            .with_help("for a time range, use 'since T until T'"),
                    );
                }
                let next_day = day
                    .time
                    .plus(86_400)
                    .map_err(|e| Diagnostic::error(v.span, format!("this day ends {e}")))?;
                (Some(day.time), Some(next_day))
            }
            WindowKind::AllTime => (None, None),
        };
        Ok(ResolvedWindow {
            start,
            end,
            is_default: false,
        })
    }

    fn instant(&mut self, v: &Value, keyword: &str) -> Result<Time, Diagnostic> {
        let v = self.one_value(v, keyword)?;
        time::parse_instant(text_of(&v))
            .map(|i| i.time)
            .map_err(|m| Diagnostic::error(v.span, m))
    }
}
