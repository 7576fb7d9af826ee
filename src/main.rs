//! The flowq command line: argument parsing and wiring only. What each
//! command does lives in the library.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use flowq::check::{CheckContext, Params};
use flowq::diagnostic::{self, Diagnostic, SourceText};
use flowq::schema::LogFormat;
use flowq::table::{Partitioning, Scheme, Table};

/// Exit codes (docs/cli.md).
mod exit {
    pub const USAGE: u8 = flowq::run::EXIT_USAGE;
}

#[derive(Parser)]
#[command(
    name = "flowq",
    version,
    about = "Search Amazon VPC Flow Logs with a small filter language",
    long_about = "Search Amazon VPC Flow Logs with a small filter language, compiled to \
Athena SQL that scans only the partitions of the time window.\n\n\
Example: flowq compile 'src 10.0.0.0/8 and dport 22 action REJECT last 2h'\n\n\
The language is documented in docs/language.md.",
    after_help = "Exit codes: 0 success, 1 query failed, 2 usage or compile error, 130 interrupted."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the Athena SQL of a query
    Compile(QueryArgs),
    /// Show how a query is read: canonical form, window, partitions, SQL
    Explain(QueryArgs),
    /// Run a query over flow-log files on disk with the local engine
    Run(RunArgs),
}

#[derive(Args)]
struct RunArgs {
    /// The query, e.g. 'dport 22 reject last 2h | count by srcaddr'
    query: String,

    /// A folder of flow-log files laid out like the S3 bucket (or one file)
    #[arg(long, value_name = "DIR")]
    source: std::path::PathBuf,

    /// Pin "now" (RFC 3339, e.g. 2026-11-27T03:00:00Z) instead of reading the clock
    #[arg(long, value_name = "TIME")]
    now: Option<String>,

    /// A value for a $parameter of the query (repeatable)
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,

    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "table",
          value_parser = clap::builder::PossibleValuesParser::new(flowq::output::Format::NAMES))]
    format: String,

    /// Return at most N rows, replacing the query's limit
    #[arg(long, value_name = "N")]
    limit: Option<u64>,

    /// Write the rows to FILE (replaced only if the query succeeds)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Allow a window with no start ('all time', 'until T'), which reads every file
    #[arg(long)]
    allow_full_scan: bool,

    /// Print only the summary on stderr: no notes, no progress
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Args)]
struct QueryArgs {
    /// The query, e.g. 'src 10.0.0.0/8 and dport 22 reject last 2h'
    query: String,

    #[command(flatten)]
    table: TableArgs,

    /// Pin "now" (RFC 3339, e.g. 2026-11-27T03:00:00Z) instead of reading the clock
    #[arg(long, value_name = "TIME")]
    now: Option<String>,

    /// A value for a $parameter of the query (repeatable)
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,

    /// Allow a window with no start ('all time', 'until T'), which scans every partition
    #[arg(long)]
    allow_full_scan: bool,
}

#[derive(Args)]
struct TableArgs {
    /// Partitioning scheme of the table
    #[arg(long, value_name = "SCHEME", default_value = "date",
          value_parser = clap::builder::PossibleValuesParser::new(Scheme::ALL.map(|s| s.name())))]
    scheme: String,

    /// The flow log's format string, e.g. '${version} ${account-id} ...' (default: the v2 default format)
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Compile(args) => compile(args, false),
        Command::Explain(args) => compile(args, true),
        Command::Run(args) => run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprint!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A command that did not succeed: what to tell the user, and the exit code.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: format!("flowq: error: {}\n", message.into()),
            code: exit::USAGE,
        }
    }

    fn diagnostics(diagnostics: &[Diagnostic], origin: &str, source: &SourceText) -> Failure {
        Failure {
            message: diagnostic::render_all(diagnostics, origin, source),
            code: exit::USAGE,
        }
    }
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    use flowq::run::RunError;
    use std::io::IsTerminal;
    let options = flowq::run::RunOptions {
        query: args.query.clone(),
        source: args.source.clone(),
        now: now(args.now.as_deref())?,
        params: params(&args.params)?,
        format: flowq::output::Format::from_name(&args.format).expect("clap checked the format"),
        limit: args.limit,
        output: args.output.clone(),
        allow_full_scan: args.allow_full_scan,
        chatty: !args.quiet && std::io::stderr().is_terminal(),
    };
    match flowq::run::run_local(&options) {
        Ok(report) => {
            eprintln!("{}", flowq::run::summary(&report));
            Ok(())
        }
        Err(RunError::Compile(d)) => Err(Failure::diagnostics(
            &d,
            "query",
            &SourceText::new(&args.query),
        )),
        Err(RunError::Usage(message)) => Err(Failure::usage(message)),
        Err(RunError::Failed(e)) => Err(Failure {
            message: format!("flowq: error: {e}\n"),
            code: flowq::run::EXIT_FAILED,
        }),
    }
}

fn now(text: Option<&str>) -> Result<i64, Failure> {
    match text {
        Some(text) => {
            flowq::time::parse_now(text).map_err(|e| Failure::usage(format!("--now: {e}")))
        }
        None => Ok(flowq::time::now()),
    }
}

fn compile(args: &QueryArgs, explain: bool) -> Result<(), Failure> {
    let table = table(&args.table)?;
    let now = now(args.now.as_deref())?;
    let params = params(&args.params)?;
    let ctx = CheckContext {
        table: &table,
        now,
        params: &params,
    };
    let source = SourceText::new(&args.query);
    let compiled = flowq::compile(&args.query, &ctx)
        .map_err(|d| Failure::diagnostics(&d, "query", &source))?;
    let window = compiled.checked.window;
    flowq::run::refuse_full_scan(&window, args.allow_full_scan).map_err(Failure::usage)?;
    if window.is_default && !explain {
        eprintln!("{}", flowq::run::default_window_note(&table));
    }
    if explain {
        print!("{}", flowq::explain::explain(&compiled, &table));
    } else {
        print!("{}", compiled.sql);
    }
    Ok(())
}

fn table(args: &TableArgs) -> Result<Table, Failure> {
    let scheme = Scheme::from_name(&args.scheme).expect("clap checked the scheme");
    let format = match &args.log_format {
        Some(text) => LogFormat::parse(text).map_err(|e| {
            let d = Diagnostic {
                help: e.help,
                ..Diagnostic::error(flowq::ast::Span::new(e.start, e.end), e.message)
            };
            Failure::diagnostics(&[d], "--log-format", &SourceText::new(text))
        })?,
        None => LogFormat::default_v2(),
    };
    let table = Table {
        format,
        partitioning: Partitioning::new(scheme),
        ..Table::default()
    };
    table.validate().map_err(Failure::usage)?;
    Ok(table)
}

fn params(pairs: &[String]) -> Result<Params, Failure> {
    let mut params = Params::default();
    for pair in pairs {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            Failure::usage(format!(
                "--param '{pair}' needs the form NAME=VALUE, e.g. -p window=6h"
            ))
        })?;
        params.insert(name.trim().trim_start_matches('$'), value);
    }
    Ok(params)
}
