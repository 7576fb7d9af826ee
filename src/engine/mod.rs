//! Engines run checked queries. Every engine has one shape ([`Engine`]):
//! a checked query and a row sink in, a [`RunReport`] out; none of them
//! prints or picks an exit code (that is the command line's job).
//!
//! - [`local`]: flowq's own engine over flow-log files on disk or in S3;
//! - [`athena`]: Amazon Athena, through aws-sdk-athena;
//! - [`aws`]: the AWS configuration the Athena, S3 and EC2 clients share,
//!   Ctrl-C while waiting on AWS, and S3's request prices;
//! - [`ec2`]: the account's network interfaces, for `flowq lookup sync
//!   enis`;
//! - [`trino`]: a Trino server, through its client protocol;
//! - [`output`]: the row sinks (table, CSV, JSON, JSON Lines) they all
//!   write through;
//! - [`chart`]: the sink that draws a timechart on a terminal.

pub mod athena;
pub mod aws;
pub mod chart;
pub mod ec2;
pub mod local;
pub mod output;
pub mod shape;
pub mod trino;

pub use shape::{
    Engine, EngineError, EngineKind, ErrorKind, FileCounts, ObjectCounts, Phases, Progress,
    RunReport,
};
