//! The flowq command line: argument parsing and wiring only. What each
//! command does lives in the library (src/commands.rs).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::catalog::config::Config;
use crate::cli::commands::{self, exit, Failure, QueryOptions, Target};
use crate::table::Scheme;

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
    Explain(QueryArgs),
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
    #[arg(long, value_name = "SCHEME",
          value_parser = clap::builder::PossibleValuesParser::new(Scheme::ALL.map(|s| s.name())))]
    scheme: Option<String>,

    /// Try another log format than the source's, e.g. '${version} ${account-id} ...'
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    target: TargetArgs,

    #[command(flatten)]
    options: OptionArgs,

    /// Output format
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "table",
          value_parser = clap::builder::PossibleValuesParser::new(crate::engine::output::Format::NAMES))]
    format: String,

    /// Return at most N rows, replacing the query's limit
    #[arg(long, value_name = "N")]
    limit: Option<u64>,

    /// Write the rows to FILE (replaced only if the query succeeds)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print only the summary on stderr: no notes, no progress
    #[arg(long)]
    quiet: bool,

    /// Print what would run (the SQL and settings), and run nothing
    #[arg(long)]
    dry_run: bool,

    /// Refuse a query with no window start, and stop one past this much scanned, e.g. 10G
    #[arg(long, value_name = "SIZE")]
    max_scan: Option<String>,

    /// Athena: reuse an identical query's result up to this old, e.g. 60m
    #[arg(long, value_name = "AGE")]
    reuse: Option<String>,

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
    /// The source to query (a name from flowq.yaml, or a folder of flow-log files)
    #[arg(long, short = 's', value_name = "NAME")]
    source: Option<String>,

    /// Pin "now" (RFC 3339, e.g. 2026-11-27T03:00:00Z) instead of reading the clock
    #[arg(long, value_name = "TIME")]
    now: Option<String>,

    /// A value for a $parameter (repeatable)
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,

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
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,

    /// Pin "now" for window checks (RFC 3339)
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
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
    #[arg(long, value_name = "DATE", requires = "partitions")]
    since: Option<String>,

    /// Last day of the partitions, inclusive
    #[arg(long, value_name = "DATE", requires = "partitions")]
    until: Option<String>,

    /// The engine the DDL is for: athena, or trino (CREATE TABLE with partition projection)
    #[arg(long, value_name = "ENGINE", default_value = "athena",
          value_parser = ["athena", "trino"], conflicts_with = "partitions")]
    engine: String,
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
          value_parser = clap::builder::PossibleValuesParser::new(crate::sample::Layout::NAMES))]
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

#[derive(Args)]
struct DemoArgs {
    /// Where the sample goes (default: $FLOWQ_DEMO_DIR, else ~/.cache/flowq/demo)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Pin "now" (RFC 3339) instead of reading the clock
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

#[derive(Args)]
struct InitArgs {
    /// The folder (default: the current one)
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprint!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let cwd =
        std::env::current_dir().map_err(|e| Failure::usage(format!("no current folder: {e}")))?;
    let config = Config::discover(cli.config.as_deref(), &cwd);
    let config = match cli.command {
        Command::Init(args) => return print(&commands::init(&args.dir)?),
        Command::Sample(args) => return sample(&args),
        Command::Demo(args) => {
            let now = commands::now(&QueryOptions {
                now: args.now.clone(),
                ..QueryOptions::default()
            })?;
            let dir = args
                .dir
                .clone()
                .unwrap_or_else(crate::cli::demo::default_dir);
            return crate::cli::demo::demo(&dir, now.unix(), &mut std::io::stdout());
        }
        Command::Check(args) => {
            let now = commands::now(&QueryOptions {
                now: args.now.clone(),
                ..QueryOptions::default()
            })?;
            let (report, code) =
                commands::check(config, &args.paths, now, args.format == "json", args.strict);
            print(&report)?;
            return Ok(code);
        }
        _ => config.map_err(|e| Failure::located(&e))?,
    };
    match cli.command {
        Command::Run(args) => {
            let target = target(&args.target, &config);
            let run = commands::RunOptions {
                format: crate::engine::output::Format::from_name(&args.format)
                    .expect("clap checked the format"),
                limit: args.limit,
                output: args.output.clone(),
                quiet: args.quiet,
                dry_run: args.dry_run,
                max_scan: args
                    .max_scan
                    .as_deref()
                    .map(|s| size("--max-scan", s))
                    .transpose()?,
                reuse: args
                    .reuse
                    .as_deref()
                    .map(|s| duration("--reuse", s))
                    .transpose()?,
                athena: commands::AthenaOverrides {
                    region: args.region.clone(),
                    profile: args.aws_profile.clone(),
                    workgroup: args.workgroup.clone(),
                    output_location: args.output_location.clone(),
                },
            };
            commands::run(&config, &target, &options(&args.options), &run)
        }
        Command::Compile(args) => {
            let (target, options) = query_target(&args, &config);
            let (sql, notes) = commands::compile(&config, &target, &options)?;
            notes.iter().for_each(|n| eprintln!("{n}"));
            print(&sql)
        }
        Command::Explain(args) => {
            let (target, options) = query_target(&args, &config);
            print(&commands::explain(&config, &target, &options)?)
        }
        Command::Publish(args) => {
            let (report, code) = commands::publish(
                &config,
                args.source.as_deref(),
                args.workgroup.as_deref(),
                crate::time::Time::now().map_err(Failure::usage)?,
            )?;
            print(&report)?;
            Ok(code)
        }
        Command::List(args) => print(&commands::list(&config, args.tag.as_deref())?),
        Command::Show(args) => {
            let (text, notes) =
                commands::show(&config, &args.name, &options(&args.options), args.sql)?;
            notes.iter().for_each(|n| eprintln!("{n}"));
            print(&text)
        }
        Command::Ddl(args) if args.engine == "trino" => {
            print(&commands::ddl_trino(&config, args.source.as_deref())?)
        }
        Command::Ddl(args) => {
            let range = args.since.as_deref().zip(args.until.as_deref());
            print(&commands::ddl(&config, args.source.as_deref(), range)?)
        }
        Command::Init(_) | Command::Check(_) | Command::Sample(_) | Command::Demo(_) => {
            unreachable!("handled above")
        }
    }
}

fn sample(args: &SampleArgs) -> Result<u8, Failure> {
    use crate::sample::{FormatVersion, Layout};
    let options = commands::SampleOptions {
        out: args.out.clone(),
        start: args.start.clone(),
        end: args.end.clone(),
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
    };
    eprintln!("{}", commands::sample(&options)?);
    Ok(exit::OK)
}

fn size(flag: &str, text: &str) -> Result<u64, Failure> {
    match crate::units::parse_size(text) {
        Ok(bytes) if bytes > 0 => Ok(bytes as u64),
        Ok(_) => Err(Failure::usage(format!("{flag}: the size must be above 0"))),
        Err(e) => Err(Failure::usage(format!("{flag}: {e}"))),
    }
}

fn duration(flag: &str, text: &str) -> Result<i64, Failure> {
    crate::units::parse_duration(text, true).map_err(|e| Failure::usage(format!("{flag}: {e}")))
}

fn options(args: &OptionArgs) -> QueryOptions {
    QueryOptions {
        source: args.source.clone(),
        now: args.now.clone(),
        params: args.params.clone(),
        allow_full_scan: args.allow_full_scan,
        scheme: None,
        log_format: None,
    }
}

fn target(args: &TargetArgs, config: &Config) -> Target {
    match (&args.query, &args.search) {
        (Some(query), _) => Target::Query(query.clone()),
        (None, Some(argument)) => Target::from_argument(argument, config),
        (None, None) => unreachable!("clap requires one"),
    }
}

fn query_target(args: &QueryArgs, config: &Config) -> (Target, QueryOptions) {
    let target = target(&args.target, config);
    let mut options = options(&args.options);
    options.scheme = args.scheme.clone();
    options.log_format = args.log_format.clone();
    (target, options)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Failure {
            message: format!("flowq: error: cannot write the output: {e}\n"),
            code: exit::FAILED,
        }),
    }
}
