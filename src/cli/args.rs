//! The flowq command line: argument parsing and wiring only. What each
//! command does lives in src/cli/commands.rs; how flag values are read, in
//! src/cli/values.rs.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::catalog::config::Config;
use crate::cli::commands::{self, QueryOptions, Target};
use crate::cli::failure::{exit, Failure};
use crate::cli::run as run_command;
use crate::cli::values;
use crate::engine::output::Format;
use crate::lang::diagnostic::Located;
use crate::sample::{FileFormat, FormatVersion, Layout};
use crate::table::Scheme;
use crate::time::Instant;

#[derive(Parser)]
#[command(
    name = "flowq",
    version,
    about = "Search Amazon VPC Flow Logs with a small filter language",
    long_about = "Search Amazon VPC Flow Logs with a small filter language, compiled to \
Athena SQL that scans only the partitions of the time window, or run on flow-log \
files on disk.\n\n\
Example: flowq compile 'src 10.0.0.0/8 and dport 22 action REJECT last 2h'\n\n\
The language is documented in docs/language.md, the commands in docs/cli.md.",
    after_help = "Exit codes: 0 success, 1 query failed (or `check` found errors), \
2 usage, config or compile error, 130 interrupted."
)]
struct Cli {
    /// The config file (default: flowq.yaml in this folder or above)
    #[arg(long, global = true, env = "FLOWQ_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Try flowq: a synthetic day of flow logs, searched with the local engine
    Demo(DemoArgs),
    /// Run a saved search or a query on its source (Athena, Trino, or files on disk)
    Run(RunArgs),
    /// Print the SQL of a saved search or a query
    Compile(QueryArgs),
    /// Save the catalog's searches as Athena named queries of a workgroup
    Publish(PublishArgs),
    /// Show how a query is read: canonical form, window, partitions, SQL
    Explain(ExplainArgs),
    /// Validate the config and saved searches; report every problem
    Check(CheckArgs),
    /// List the saved searches
    List(ListArgs),
    /// Show a saved search: its YAML, canonical query and SQL
    Show(ShowArgs),
    /// Print the Athena CREATE TABLE (or ADD PARTITION statements) for a source
    Ddl(DdlArgs),
    /// Write a starter flowq.yaml and searches/ into an empty folder
    Init(InitArgs),
    /// Write synthetic flow logs in the S3 bucket layout (docs/sample.md)
    Sample(SampleArgs),
    /// Fill the catalog's lookup tables (lookups/) from the account
    #[command(subcommand)]
    Lookup(LookupCommand),
}

#[derive(Subcommand)]
enum LookupCommand {
    /// Write lookups/<TABLE>.csv from the account: 'enis' is every network interface (DescribeNetworkInterfaces)
    Sync(SyncArgs),
}

#[derive(Args)]
struct SyncArgs {
    /// The table to fill
    #[arg(value_enum)]
    table: SyncTable,

    /// The source whose AWS region to use (default: the default source)
    #[arg(long, value_name = "NAME")]
    source: Option<String>,

    /// AWS region (default: the source's, AWS_REGION or the profile's)
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    /// AWS profile (default: AWS_PROFILE or 'default')
    #[arg(long, value_name = "NAME")]
    aws_profile: Option<String>,

    /// Replace the file even if flowq did not write it
    #[arg(long)]
    force: bool,
}

/// The tables `flowq lookup sync` can fill.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SyncTable {
    /// Network interfaces: interface_id, instance_id, name, description, ...
    Enis,
}

/// What to compile or run.
#[derive(Args)]
struct TargetArgs {
    /// A saved search's name, or a query like 'dport 22 reject last 2h'
    #[arg(required_unless_present = "query", conflicts_with = "query")]
    search: Option<String>,

    /// An ad-hoc query (even if a saved search has the same name)
    #[arg(long, short = 'q', value_name = "QUERY")]
    query: Option<String>,
}

#[derive(Args)]
struct QueryArgs {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    options: OptionArgs,

    /// Try another partitioning scheme than the source's
    #[arg(long, value_name = "SCHEME", value_enum)]
    scheme: Option<Scheme>,

    /// Try another log format than the source's, e.g. '${version} ${account-id} ...'
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<String>,
}

#[derive(Args)]
struct ExplainArgs {
    #[command(flatten)]
    query: QueryArgs,

    /// List the S3 objects under the query's partitions and print what it would read and cost, instead of the explanation
    #[arg(long)]
    cost: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    options: OptionArgs,

    /// Output format [default: table; csv for a timechart piped or with --output]
    #[arg(long, short = 'f', value_name = "FORMAT", value_enum)]
    format: Option<Format>,

    /// Return at most N rows, replacing the query's limit
    #[arg(long, value_name = "N")]
    limit: Option<u64>,

    /// Write the rows to FILE (replaced only if the query succeeds)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print only the summary on stderr: no notes, no progress
    #[arg(long)]
    quiet: bool,

    /// Local engine: also print on stderr how long reading, combining groups and writing took
    #[arg(long)]
    timings: bool,

    /// Print what would run (the SQL and settings), and run nothing
    #[arg(long)]
    dry_run: bool,

    /// Refuse a query with no window start, and stop one past this much scanned, e.g. 10G
    #[arg(long, value_name = "SIZE", value_parser = values::scan_limit)]
    max_scan: Option<u64>,

    /// Athena: reuse an identical query's result up to this old, e.g. 60m
    #[arg(long, value_name = "AGE", value_parser = values::age)]
    reuse: Option<i64>,

    /// S3 source: GET requests in flight, 1 to 256 [default: the source's s3_concurrency, else 16]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    s3_concurrency: Option<u16>,

    /// Athena: the workgroup (default: the source's)
    #[arg(long)]
    workgroup: Option<String>,

    /// Athena: where results go, e.g. s3://bucket/prefix/ (default: the source's or the workgroup's)
    #[arg(long, value_name = "S3URI")]
    output_location: Option<String>,

    /// AWS region (default: the source's, AWS_REGION or the profile's)
    #[arg(long)]
    region: Option<String>,

    /// A profile from ~/.aws/config (default: AWS_PROFILE or 'default')
    #[arg(long, value_name = "PROFILE")]
    aws_profile: Option<String>,
}

#[derive(Args)]
struct PublishArgs {
    /// The Athena source whose searches to publish (default: the default source)
    #[arg(long, short = 's', value_name = "NAME")]
    source: Option<String>,

    /// The workgroup (default: the source's)
    #[arg(long)]
    workgroup: Option<String>,
}

#[derive(Args)]
struct OptionArgs {
    /// The source to query (a name from flowq.yaml, a folder of flow-log files, or s3://bucket/prefix/)
    #[arg(long, short = 's', value_name = "NAME")]
    source: Option<String>,

    /// Pin "now" (RFC 3339, e.g. 2026-11-27T03:00:00Z) instead of reading the clock
    #[arg(long, value_name = "TIME", value_parser = crate::time::parse_now)]
    now: Option<crate::time::Time>,

    /// A value for a $parameter (repeatable)
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE", value_parser = values::param)]
    params: Vec<(String, String)>,

    /// Allow a window with no start ('all time', 'until T'), which scans every partition
    #[arg(long)]
    allow_full_scan: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Saved-search files or folders (default: the catalog folder)
    paths: Vec<PathBuf>,

    /// Fail on warnings too
    #[arg(long)]
    strict: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,

    /// Pin "now" for window checks (RFC 3339)
    #[arg(long, value_name = "TIME", value_parser = crate::time::parse_now)]
    now: Option<crate::time::Time>,
}

/// How `flowq check` prints its findings.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
}

#[derive(Args)]
struct ListArgs {
    /// Only searches with this tag (or a tag under it: 'attack' matches 'attack.t1046')
    #[arg(long, value_name = "TAG")]
    tag: Option<String>,
}

#[derive(Args)]
struct ShowArgs {
    /// The saved search's name
    name: String,

    /// Print only the SQL
    #[arg(long)]
    sql: bool,

    #[command(flatten)]
    options: OptionArgs,
}

#[derive(Args)]
struct DdlArgs {
    /// The source (default: the config's default source)
    #[arg(long, short = 's', value_name = "NAME")]
    source: Option<String>,

    /// Print ALTER TABLE ... ADD PARTITION statements instead (tables without projection)
    #[arg(long, requires_all = ["since", "until"])]
    partitions: bool,

    /// First day of the partitions (RFC 3339 or a date)
    #[arg(long, value_name = "DATE", requires = "partitions",
          value_parser = crate::time::parse_instant)]
    since: Option<Instant>,

    /// Last day of the partitions, inclusive
    #[arg(long, value_name = "DATE", requires = "partitions",
          value_parser = crate::time::parse_instant)]
    until: Option<Instant>,

    /// The engine the DDL is for: athena, or trino (CREATE TABLE with partition projection)
    #[arg(long, value_name = "ENGINE", value_enum, default_value_t = DdlEngine::Athena,
          conflicts_with = "partitions")]
    engine: DdlEngine,
}

/// Which SQL dialect `flowq ddl` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DdlEngine {
    Athena,
    Trino,
}

#[derive(Args)]
struct SampleArgs {
    /// The folder to write into (the bucket root: AWSLogs/ goes under it)
    #[arg(long, value_name = "DIR")]
    out: std::path::PathBuf,

    /// First record start (RFC 3339 or a date, UTC)
    #[arg(long, value_name = "TIME", value_parser = crate::time::parse_now)]
    start: crate::time::Time,

    /// Records start before this (RFC 3339 or a date, UTC)
    #[arg(long, value_name = "TIME", value_parser = crate::time::parse_now)]
    end: crate::time::Time,

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
    #[arg(long, value_enum, default_value_t = Layout::Default)]
    layout: Layout,

    /// One more folder level per hour
    #[arg(long)]
    hourly: bool,

    /// 2: the 14-field default format; 5: the 29-field v2-v5 custom format
    #[arg(long, value_name = "V", value_enum, default_value_t = FormatVersion::V2)]
    format_version: FormatVersion,

    /// text: gzipped text files (.log.gz); parquet: GZIP Parquet files (.log.parquet), as the service's FileFormat option
    #[arg(long, value_name = "F", value_enum, default_value_t = FileFormat::Text)]
    file_format: FileFormat,

    /// Rows per Parquet row group, at most (with --file-format parquet)
    #[arg(long, value_name = "N", default_value_t = crate::sample::ROW_GROUP_ROWS)]
    row_group_rows: usize,

    /// The same seed writes the same bytes
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Also write the sample's network interfaces as a lookup table (the columns of 'flowq lookup sync enis') to FILE
    #[arg(long, value_name = "FILE")]
    enis_csv: Option<PathBuf>,
}

#[derive(Args)]
struct DemoArgs {
    /// Where the sample goes: a new or empty folder, or one the demo made (default: $FLOWQ_DEMO_DIR, else ~/.cache/flowq/demo)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Pin "now" (RFC 3339) instead of reading the clock
    #[arg(long, value_name = "TIME", value_parser = crate::time::parse_now)]
    now: Option<crate::time::Time>,
}

#[derive(Args)]
struct InitArgs {
    /// The folder (default: the current one)
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub fn main() -> ExitCode {
    let result = match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(error) => arguments_error(&error),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprint!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `--help` and `--version` as clap prints them; a mistake in the
/// arguments as a usage error in flowq's one shape, with clap's account of
/// it as the message and its usage lines as the help.
fn arguments_error(error: &clap::Error) -> Result<u8, Failure> {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return print(&error.render().to_string())
        }
        // `flowq` alone: the help, on stderr, as a usage error.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", error.render());
            return Ok(exit::USAGE);
        }
        _ => {}
    }
    let text = error.render().to_string();
    let (message, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
    let message = message.trim().trim_start_matches("error: ");
    let help: Vec<&str> = rest
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let help = (!help.is_empty()).then(|| help.join("; "));
    Err(Failure::usage_with_help(message, help.as_deref()))
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let cwd =
        std::env::current_dir().map_err(|e| Failure::usage(format!("no current folder: {e}")))?;
    let config = Config::discover(cli.config.as_deref(), &cwd);
    match cli.command {
        Command::Init(args) => print(&commands::init(&args.dir)?),
        Command::Sample(args) => sample(args),
        Command::Lookup(LookupCommand::Sync(args)) => {
            let config = loaded(config)?;
            let SyncTable::Enis = args.table;
            let report = commands::sync_enis(
                &config,
                &commands::SyncOptions {
                    source: args.source,
                    region: args.region,
                    profile: args.aws_profile,
                    force: args.force,
                },
            )?;
            eprintln!("{report}");
            Ok(exit::OK)
        }
        Command::Demo(args) => {
            let now = match args.now {
                Some(now) => now,
                None => crate::time::Time::now().map_err(Failure::usage)?,
            };
            let dir = args.dir.unwrap_or_else(crate::cli::demo::default_dir);
            crate::cli::demo::demo(&dir, now.unix(), &mut std::io::stdout())
        }
        Command::Check(args) => {
            let now = match args.now {
                Some(now) => now,
                None => crate::time::Time::now().map_err(Failure::usage)?,
            };
            let json = args.format == CheckFormat::Json;
            let (report, code) = commands::check(config, &args.paths, now, json, args.strict);
            print(&report)?;
            Ok(code)
        }
        Command::Run(args) => {
            let config = loaded(config)?;
            let target = target(&args.target, &config)?;
            let run = run_command::RunOptions {
                format: args.format,
                limit: args.limit,
                output: args.output,
                quiet: args.quiet,
                timings: args.timings,
                dry_run: args.dry_run,
                max_scan: args.max_scan,
                reuse: args.reuse,
                s3_concurrency: args.s3_concurrency.map(usize::from),
                athena: run_command::AthenaOverrides {
                    region: args.region,
                    profile: args.aws_profile,
                    workgroup: args.workgroup,
                    output_location: args.output_location,
                },
            };
            run_command::run(&config, &target, &options(args.options), &run)
        }
        Command::Compile(args) => {
            let config = loaded(config)?;
            let (target, options) = query_target(args, &config)?;
            let (sql, notes) = commands::compile(&config, &target, &options)?;
            notes.iter().for_each(|n| eprintln!("{n}"));
            print(&sql)
        }
        Command::Explain(args) => {
            let config = loaded(config)?;
            let cost = args.cost;
            let (target, options) = query_target(args.query, &config)?;
            if cost {
                print(&commands::explain_cost(&config, &target, &options)?)
            } else {
                print(&commands::explain(&config, &target, &options)?)
            }
        }
        Command::Publish(args) => {
            let config = loaded(config)?;
            let (report, code) = commands::publish(
                &config,
                args.source.as_deref(),
                args.workgroup.as_deref(),
                crate::time::Time::now().map_err(Failure::usage)?,
            )?;
            print(&report)?;
            Ok(code)
        }
        Command::List(args) => print(&commands::list(&loaded(config)?, args.tag.as_deref())?),
        Command::Show(args) => {
            let config = loaded(config)?;
            let (text, notes) =
                commands::show(&config, &args.name, &options(args.options), args.sql)?;
            notes.iter().for_each(|n| eprintln!("{n}"));
            print(&text)
        }
        Command::Ddl(args) => {
            let config = loaded(config)?;
            let source = args.source.as_deref();
            match args.engine {
                DdlEngine::Trino => print(&commands::ddl_trino(&config, source)?),
                DdlEngine::Athena => {
                    print(&commands::ddl(&config, source, args.since.zip(args.until))?)
                }
            }
        }
    }
}

/// The config, for the commands that cannot work without one (`check`
/// reports a broken config as findings instead).
fn loaded(config: Result<Config, Vec<Located>>) -> Result<Config, Failure> {
    config.map_err(|e| Failure::located(&e))
}

fn sample(args: SampleArgs) -> Result<u8, Failure> {
    let options = crate::sample::Options {
        flows_per_minute: args.flows_per_minute,
        accounts: args.accounts,
        regions: args.regions,
        layout: args.layout,
        hourly: args.hourly,
        version: args.format_version,
        file_format: args.file_format,
        row_group_rows: args.row_group_rows,
        seed: args.seed,
        ..crate::sample::Options::new(args.out, args.start.unix(), args.end.unix())
    };
    // Refused before the sample is written, not after.
    if let Some(path) = &args.enis_csv {
        commands::check_lookup_file(path, "move it away, or give --enis-csv another file")?;
    }
    eprintln!("{}", commands::sample(&options)?);
    if let Some(path) = &args.enis_csv {
        eprintln!("{}", commands::sample_interfaces(&options, path)?);
    }
    Ok(exit::OK)
}

fn options(args: OptionArgs) -> QueryOptions {
    QueryOptions {
        source: args.source,
        now: args.now,
        params: args.params,
        allow_full_scan: args.allow_full_scan,
        scheme: None,
        log_format: None,
    }
}

fn target(args: &TargetArgs, config: &Config) -> Result<Target, Failure> {
    match (&args.query, &args.search) {
        (Some(query), _) => Ok(Target::Query(query.clone())),
        (None, Some(argument)) => Ok(Target::from_argument(argument, config)),
        // clap requires one of them; this says so too rather than panic.
        (None, None) => Err(Failure::usage(
            "give a saved search's name or a query, e.g. flowq compile 'dport 22 last 1h'",
        )),
    }
}

fn query_target(args: QueryArgs, config: &Config) -> Result<(Target, QueryOptions), Failure> {
    let target = target(&args.target, config)?;
    let options = QueryOptions {
        scheme: args.scheme,
        log_format: args.log_format,
        ..options(args.options)
    };
    Ok((target, options))
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Failure::output(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("flowq").chain(args.iter().copied()))
    }

    /// A bad value is clap's usage error (exit 2), naming the flag and
    /// saying what would be right.
    fn refused(args: &[&str], flag: &str, why: &str) {
        let error = match parse(args) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(e) => e,
        };
        let text = error.to_string();
        assert_eq!(error.kind(), ErrorKind::ValueValidation, "{text}");
        assert_eq!(error.exit_code(), 2);
        assert!(text.contains(flag) && text.contains(why), "{text}");
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn values_that_need_parsing_are_refused_by_clap() {
        refused(
            &["compile", "--now", "yesterday", "q"],
            "--now <TIME>",
            "is not a time",
        );
        refused(&["check", "--now", "soon"], "--now <TIME>", "is not a time");
        refused(&["demo", "--now", "soon"], "--now <TIME>", "is not a time");
        refused(
            &["compile", "-p", "novalue", "q"],
            "--param <NAME=VALUE>",
            "e.g. -p window=6h",
        );
        refused(
            &["run", "--max-scan", "10Q", "q"],
            "--max-scan <SIZE>",
            "unknown size unit",
        );
        refused(
            &["run", "--max-scan", "0", "q"],
            "--max-scan <SIZE>",
            "above 0",
        );
        refused(
            &["run", "--reuse", "90", "q"],
            "--reuse <AGE>",
            "needs a unit",
        );
        let sample = ["sample", "--out", "x", "--start", "2026-11-26"];
        refused(
            &[&sample[..], &["--end", "then"]].concat(),
            "--end <TIME>",
            "is not a time",
        );
        let ddl = ["ddl", "--partitions", "--since", "2026-11-26"];
        refused(
            &[&ddl[..], &["--until", "27"]].concat(),
            "--until <DATE>",
            "is not a time",
        );
    }

    #[test]
    fn closed_sets_parse_to_typed_values() {
        let Command::Compile(compile) = parse(&["compile", "--scheme", "hive-hourly", "q"])
            .unwrap()
            .command
        else {
            panic!("not compile")
        };
        assert_eq!(compile.scheme, Some(Scheme::HiveHourly));
        let Command::Run(run) = parse(&["run", "-f", "jsonl", "-p", "$top=5", "q"])
            .unwrap()
            .command
        else {
            panic!("not run")
        };
        assert_eq!(run.format, Some(Format::Jsonl));
        assert_eq!(run.options.params, [("top".to_string(), "5".to_string())]);
        let sample = [
            "sample",
            "--out",
            "x",
            "--start",
            "2026-11-26",
            "--end",
            "2026-11-27",
        ];
        let Command::Sample(args) = parse(&[&sample[..], &["--format-version", "5"]].concat())
            .unwrap()
            .command
        else {
            panic!("not sample")
        };
        assert_eq!(args.format_version, FormatVersion::V5);
        assert_eq!(args.layout, Layout::Default);
        assert_eq!(args.end.unix() - args.start.unix(), 86_400);
        let Command::Ddl(ddl) = parse(&["ddl", "--engine", "trino"]).unwrap().command else {
            panic!("not ddl")
        };
        assert!(ddl.engine == DdlEngine::Trino);
    }

    #[test]
    fn help_and_errors_list_the_possible_values() {
        let mut cli = Cli::command();
        let run = cli.find_subcommand_mut("run").unwrap();
        let help = run.render_help().to_string();
        assert!(
            help.contains("[possible values: table, csv, json, jsonl]"),
            "{help}"
        );
        let error = parse(&["compile", "--scheme", "weekly", "q"])
            .err()
            .unwrap();
        assert_eq!(error.kind(), ErrorKind::InvalidValue);
        let text = error.to_string();
        assert!(
            text.contains("[possible values: date, day, date-hour, hive, hive-hourly, none]"),
            "{text}"
        );
    }
}
