//! The flowq command line: argument parsing and wiring only. What each
//! command does lives in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use flowq::athena::{AthenaTarget, RunOptions};
use flowq::check::{CheckContext, Params};
use flowq::diagnostic::{self, Diagnostic, SourceText};
use flowq::output::{Format, PendingFile};
use flowq::schema::LogFormat;
use flowq::table::{Partitioning, Scheme, Table};

/// Exit codes (docs/cli.md).
mod exit {
    pub const FAILED: u8 = 1;
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
    /// Run a query on Amazon Athena and print its rows (docs/running.md)
    Run(Box<RunArgs>),
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
struct RunArgs {
    #[command(flatten)]
    query: QueryArgs,

    /// Where the query runs
    #[arg(long, value_parser = ["athena"])]
    engine: String,

    /// The Athena workgroup
    #[arg(long, default_value = "primary")]
    workgroup: String,

    /// The data catalog (Athena's default: AwsDataCatalog)
    #[arg(long)]
    catalog: Option<String>,

    /// Where Athena writes results, e.g. s3://bucket/prefix/ (default: the workgroup's)
    #[arg(long, value_name = "S3URI")]
    output_location: Option<String>,

    /// The AWS region (default: AWS_REGION or the profile's)
    #[arg(long)]
    region: Option<String>,

    /// A profile from ~/.aws/config (default: AWS_PROFILE or 'default')
    #[arg(long, value_name = "PROFILE")]
    aws_profile: Option<String>,

    /// Reuse an identical query's result up to this old, e.g. 60m (whole minutes, up to 7d)
    #[arg(long, value_name = "AGE")]
    reuse: Option<String>,

    /// Stop the query once it has scanned more than this, e.g. 10G
    #[arg(long, value_name = "SIZE")]
    max_scan: Option<String>,

    /// Print the SQL and the window, and run nothing
    #[arg(long)]
    dry_run: bool,

    /// Output format
    #[arg(long, default_value = "table", value_parser = Format::NAMES)]
    format: String,

    /// Write the rows to FILE (replaced only when the query succeeds)
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Nothing on stderr but the summary and errors
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct TableArgs {
    /// The database of the flow-log table
    #[arg(long, default_value = "default")]
    database: String,

    /// The flow-log table
    #[arg(long, default_value = "vpc_flow_logs")]
    table: String,

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

fn compile(args: &QueryArgs, explain: bool) -> Result<(), Failure> {
    let (table, compiled) = compile_query(args, explain)?;
    if explain {
        print!("{}", flowq::explain::explain(&compiled, &table));
    } else {
        print!("{}", compiled.sql);
    }
    Ok(())
}

/// Compiles the query of a command, refusing a full scan unless allowed;
/// `quiet` leaves out the note about the default window.
fn compile_query(args: &QueryArgs, quiet: bool) -> Result<(Table, flowq::Compiled), Failure> {
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
    if window.is_default && !quiet {
        eprintln!(
            "flowq: no window given: using the source's default, last {}",
            flowq::units::format_duration(table.default_window)
        );
    }
    Ok((table, compiled))
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    let (table, compiled) = compile_query(&args.query, args.quiet)?;
    let target = AthenaTarget {
        region: args.region.clone(),
        profile: args.aws_profile.clone(),
        workgroup: args.workgroup.clone(),
        database: table.database.clone(),
        catalog: args.catalog.clone(),
        output_location: args.output_location.clone(),
    };
    let options = RunOptions {
        reuse_max_age: args
            .reuse
            .as_deref()
            .map(|text| flowq::units::parse_duration(text, true))
            .transpose()
            .map_err(|e| Failure::usage(format!("--reuse: {e}")))?
            .map(|seconds| Duration::from_secs(seconds.unsigned_abs())),
        max_scan_bytes: args.max_scan.as_deref().map(parse_max_scan).transpose()?,
        has_partition_predicate: !compiled.checked.window.is_unbounded(),
        quiet: args.quiet,
        ..RunOptions::default()
    };
    if let (Some(warning), Some(_), false) = (
        flowq::athena::reuse_warning(&compiled.checked),
        &options.reuse_max_age,
        args.quiet || args.dry_run,
    ) {
        eprintln!("flowq: warning: --reuse: {warning}");
    }
    if args.dry_run {
        print!(
            "{}",
            flowq::athena::dry_run(&target, &compiled, &options).map_err(athena_failure)?
        );
        return Ok(());
    }
    let format = Format::from_name(&args.format).expect("clap checked the format");
    let file = args
        .output
        .as_deref()
        .map(PendingFile::create)
        .transpose()
        .map_err(|e| Failure::usage(format!("--output: {e}")))?;
    let writer: Box<dyn Write> = match &file {
        Some(file) => Box::new(std::io::BufWriter::new(file.file())),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = flowq::output::sink(format, writer);
    let summary = flowq::athena::run_blocking(&target, &compiled.sql, &options, sink.as_mut())
        .map_err(athena_failure)?;
    drop(sink);
    eprintln!("flowq: {summary}");
    if let Some(file) = file {
        file.commit().map_err(|e| Failure {
            message: format!("flowq: error: --output: {e}\n"),
            code: exit::FAILED,
        })?;
    }
    Ok(())
}

fn parse_max_scan(text: &str) -> Result<u64, Failure> {
    match flowq::units::parse_size(text) {
        Ok(bytes) if bytes > 0 => Ok(bytes as u64),
        Ok(_) => Err(Failure::usage("--max-scan: the limit must be above 0")),
        Err(e) => Err(Failure::usage(format!("--max-scan: {e}"))),
    }
}

fn athena_failure(error: flowq::athena::AthenaError) -> Failure {
    Failure {
        message: format!("{error}\n"),
        code: error.exit_code(),
    }
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
        database: args.database.clone(),
        name: args.table.clone(),
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
