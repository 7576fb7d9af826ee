//! How a command fails: the exit code, and what the user is told. Every
//! error the command line prints is built here, from a located diagnostic
//! (query or YAML text), a message with its help, or an engine's error,
//! and rendered by the one renderer in lang/diagnostic.rs.

use crate::engine::{EngineError, ErrorKind};
use crate::lang::diagnostic::{render_unlocated, Code, Located, Severity};

/// Exit codes (docs/cli.md).
pub mod exit {
    pub const OK: u8 = 0;
    /// The query failed, or `check` found errors.
    pub const FAILED: u8 = 1;
    /// A usage, config or compile error.
    pub const USAGE: u8 = 2;
    /// Stopped by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// A command that did not succeed: what to tell the user, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// A mistake in the command line, the config or the query (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::usage_with_help(message, None)
    }

    pub fn usage_with_help(message: impl Into<String>, help: Option<&str>) -> Failure {
        Failure {
            message: render_unlocated(Severity::Error, Code::Usage, &message.into(), help),
            code: exit::USAGE,
        }
    }

    /// Problems at places in the user's text (exit 2).
    pub fn located(found: &[Located]) -> Failure {
        Failure {
            message: found.iter().map(Located::render).collect(),
            code: exit::USAGE,
        }
    }

    /// Something failed while running (exit 1).
    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            message: render_unlocated(Severity::Error, Code::Failed, &message.into(), None),
            code: exit::FAILED,
        }
    }

    /// The rows or a report could not be written (exit 1).
    pub fn output(error: &std::io::Error) -> Failure {
        let message = format!("cannot write the output: {error}");
        Failure {
            message: render_unlocated(Severity::Error, Code::Output, &message, None),
            code: exit::FAILED,
        }
    }

    /// An engine's error, with the exit code of its kind. The Athena
    /// runner's account of a query it started already has its `flowq:`
    /// lines (the query's summary, whether it was stopped): it is kept as
    /// it is.
    pub fn engine(error: EngineError) -> Failure {
        let (code, kind) = match error.kind {
            ErrorKind::Refused => (exit::USAGE, Code::Refused),
            ErrorKind::Failed => (exit::FAILED, Code::Failed),
            ErrorKind::Interrupted => (exit::INTERRUPTED, Code::Interrupted),
        };
        let message = if error.message.starts_with("flowq: ") {
            format!("{}\n", error.message)
        } else {
            render_unlocated(Severity::Error, kind, &error.message, error.help.as_deref())
        };
        Failure { message, code }
    }
}
