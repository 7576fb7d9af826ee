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
    pub const USAGE: u8 = 2;
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
    /// Write synthetic flow logs in the S3 bucket layout (docs/sample.md)
    Sample(SampleArgs),
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

#[derive(Args)]
struct SampleArgs {
    /// The folder to write into (the bucket root: AWSLogs/ goes under it)
    #[arg(long, value_name = "DIR")]
    out: std::path::PathBuf,

    /// First record start (RFC 3339 or a date, UTC)
    #[arg(long, value_name = "TIME")]
    start: String,

    /// Records start before this (RFC 3339 or a date, UTC)
    #[arg(long, value_name = "TIME")]
    end: String,

    /// Records per minute for each account and region
    #[arg(long, value_name = "N", default_value_t = 100)]
    flows_per_minute: u32,

    /// Account ids, comma-separated
    #[arg(
        long,
        value_name = "A,B",
        value_delimiter = ',',
        default_value = "123456789012"
    )]
    accounts: Vec<String>,

    /// Regions, comma-separated
    #[arg(
        long,
        value_name = "R,S",
        value_delimiter = ',',
        default_value = "us-east-1"
    )]
    regions: Vec<String>,

    /// S3 key layout: AWSLogs/<account>/vpcflowlogs/... or Hive-compatible key=value folders
    #[arg(long, default_value = "default",
          value_parser = clap::builder::PossibleValuesParser::new(flowq::sample::Layout::NAMES))]
    layout: String,

    /// One more folder level per hour
    #[arg(long)]
    hourly: bool,

    /// 2: the 14-field default format; 5: the 29-field v2-v5 custom format
    #[arg(long, value_name = "V", default_value = "2", value_parser = ["2", "5"])]
    format_version: String,

    /// The same seed writes the same bytes
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Compile(args) => compile(args, false),
        Command::Explain(args) => compile(args, true),
        Command::Sample(args) => sample(args),
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

fn compile(args: &QueryArgs, explain: bool) -> Result<(), Failure> {
    let table = table(&args.table)?;
    let now = match &args.now {
        Some(text) => {
            flowq::time::parse_now(text).map_err(|e| Failure::usage(format!("--now: {e}")))?
        }
        None => flowq::time::now(),
    };
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
    if window.is_unbounded() && !args.allow_full_scan {
        return Err(Failure::usage(
            "the window has no start, so the query would scan every partition\n  = help: give a window like 'last 24h', or pass --allow-full-scan",
        ));
    }
    if window.is_default && !explain {
        eprintln!(
            "flowq: no window given: using the source's default, last {}",
            flowq::units::format_duration(table.default_window)
        );
    }
    if explain {
        print!("{}", flowq::explain::explain(&compiled, &table));
    } else {
        print!("{}", compiled.sql);
    }
    Ok(())
}

fn sample(args: &SampleArgs) -> Result<(), Failure> {
    let time = |flag: &str, text: &str| {
        flowq::time::parse_now(text).map_err(|e| Failure::usage(format!("{flag}: {e}")))
    };
    use flowq::sample::{FormatVersion, Layout, Options};
    let options = Options {
        flows_per_minute: args.flows_per_minute,
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
        layout: Layout::from_name(&args.layout).expect("clap checked the layout"),
        hourly: args.hourly,
        version: args
            .format_version
            .parse()
            .ok()
            .and_then(FormatVersion::from_number)
            .expect("clap checked the version"),
        seed: args.seed,
        ..Options::new(
            &args.out,
            time("--start", &args.start)?,
            time("--end", &args.end)?,
        )
    };
    options.validate().map_err(Failure::usage)?;
    let summary = flowq::sample::generate(&options).map_err(|e| Failure {
        message: format!("flowq: error: writing {}: {e}\n", args.out.display()),
        code: 1,
    })?;
    eprintln!(
        "flowq sample: wrote {} files, {} records, {} ({} gzip) under {}",
        summary.files,
        summary.records,
        flowq::units::format_bytes(summary.bytes),
        flowq::units::format_bytes(summary.gzip_bytes),
        args.out.display()
    );
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
