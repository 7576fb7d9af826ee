//! The flow-log fields (versions 2 to 8) and log formats: which fields a
//! table has, in which order, under which Athena column name and type.
//!
//! Source: ../shared/reference/vpc-flow-logs.md §1.4 (fields, versions,
//! Athena columns and types) and §1.2 (format strings).

use std::fmt;

use crate::suggest;

/// How a field is stored and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A 32-bit integer column (`int` in the AWS DDL).
    Int,
    /// A 64-bit integer column (`bigint`).
    BigInt,
    /// A string column.
    Text,
    /// A string column that holds an IPv4 or IPv6 address.
    Address,
}

impl FieldType {
    pub fn is_integer(self) -> bool {
        matches!(self, FieldType::Int | FieldType::BigInt)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    /// The flow-log name, as in `${tcp-flags}`.
    pub name: &'static str,
    /// The Athena column name: hyphens become underscores.
    pub column: &'static str,
    pub version: u8,
    pub ty: FieldType,
    /// The Parquet files store it as INT_32 even where the AWS text DDL says
    /// bigint (`protocol`, reference §6.5).
    pub parquet_int32: bool,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

const fn field(name: &'static str, column: &'static str, version: u8, ty: FieldType) -> Field {
    Field {
        name,
        column,
        version,
        ty,
        parquet_int32: matches!(ty, FieldType::Int),
    }
}

use FieldType::{Address, BigInt, Int, Text};

/// Every known VPC flow-log field, in the order of the AWS field table.
pub static FIELDS: [Field; 42] = [
    field("version", "version", 2, Int),
    field("account-id", "account_id", 2, Text),
    field("interface-id", "interface_id", 2, Text),
    field("srcaddr", "srcaddr", 2, Address),
    field("dstaddr", "dstaddr", 2, Address),
    field("srcport", "srcport", 2, Int),
    field("dstport", "dstport", 2, Int),
    Field {
        parquet_int32: true,
        ..field("protocol", "protocol", 2, BigInt)
    },
    field("packets", "packets", 2, BigInt),
    field("bytes", "bytes", 2, BigInt),
    field("start", "start", 2, BigInt),
    field("end", "end", 2, BigInt),
    field("action", "action", 2, Text),
    field("log-status", "log_status", 2, Text),
    field("vpc-id", "vpc_id", 3, Text),
    field("subnet-id", "subnet_id", 3, Text),
    field("instance-id", "instance_id", 3, Text),
    field("tcp-flags", "tcp_flags", 3, Int),
    field("type", "type", 3, Text),
    field("pkt-srcaddr", "pkt_srcaddr", 3, Address),
    field("pkt-dstaddr", "pkt_dstaddr", 3, Address),
    field("region", "region", 4, Text),
    field("az-id", "az_id", 4, Text),
    field("sublocation-type", "sublocation_type", 4, Text),
    field("sublocation-id", "sublocation_id", 4, Text),
    field("pkt-src-aws-service", "pkt_src_aws_service", 5, Text),
    field("pkt-dst-aws-service", "pkt_dst_aws_service", 5, Text),
    field("flow-direction", "flow_direction", 5, Text),
    field("traffic-path", "traffic_path", 5, Int),
    field("ecs-cluster-arn", "ecs_cluster_arn", 7, Text),
    field("ecs-cluster-name", "ecs_cluster_name", 7, Text),
    field(
        "ecs-container-instance-arn",
        "ecs_container_instance_arn",
        7,
        Text,
    ),
    field(
        "ecs-container-instance-id",
        "ecs_container_instance_id",
        7,
        Text,
    ),
    field("ecs-container-id", "ecs_container_id", 7, Text),
    field(
        "ecs-second-container-id",
        "ecs_second_container_id",
        7,
        Text,
    ),
    field("ecs-service-name", "ecs_service_name", 7, Text),
    field(
        "ecs-task-definition-arn",
        "ecs_task_definition_arn",
        7,
        Text,
    ),
    field("ecs-task-arn", "ecs_task_arn", 7, Text),
    field("ecs-task-id", "ecs_task_id", 7, Text),
    field("reject-reason", "reject_reason", 8, Text),
    // Seen in AWS's format lists but with unverified versions (reference
    // §1.4): read as strings so that files carrying them still load.
    field("resource-id", "resource_id", 9, Text),
    field("encryption-status", "encryption_status", 10, Int),
];

/// Looks a field up by its flow-log name (`tcp-flags`) or Athena column
/// name (`tcp_flags`), case-insensitively.
pub fn field_named(name: &str) -> Option<&'static Field> {
    let name = name.to_ascii_lowercase().replace('_', "-");
    FIELDS.iter().find(|f| f.name == name)
}

pub fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|f| f.name)
}

/// The version-2 default format (reference §1.2).
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} \
${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// A table's fields in file order, from a `${field} ${field} ...` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFormat {
    fields: Vec<&'static Field>,
}

/// A log-format string that names an unknown field or repeats one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub message: String,
    /// Byte range of the offending token in the format string.
    pub start: usize,
    pub end: usize,
    pub help: Option<String>,
}

impl LogFormat {
    pub fn default_v2() -> LogFormat {
        LogFormat::parse(DEFAULT_FORMAT).expect("the default format is valid")
    }

    /// Every known field, in table order: the view of a folder of files
    /// whose formats are only known per file (their header lines).
    pub fn all_fields() -> LogFormat {
        LogFormat {
            fields: FIELDS.iter().collect(),
        }
    }

    pub fn from_fields(fields: Vec<&'static Field>) -> LogFormat {
        LogFormat { fields }
    }

    pub fn parse(text: &str) -> Result<LogFormat, FormatError> {
        let mut fields: Vec<&'static Field> = Vec::new();
        let mut offset = 0;
        for token in text.split_whitespace() {
            let start = offset + text[offset..].find(token).expect("token comes from text");
            offset = start + token.len();
            let end = offset;
            let name = token
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
                .ok_or_else(|| FormatError {
                    message: format!("'{token}' is not a field reference"),
                    start,
                    end,
                    help: Some("write each field as ${name}, e.g. ${srcaddr}".into()),
                })?;
            let field = FIELDS.iter().find(|f| f.name == name).ok_or_else(|| {
                let guess = suggest::did_you_mean(name, field_names());
                FormatError {
                    message: format!("unknown flow-log field '{name}'"),
                    start,
                    end,
                    help: Some(if guess.is_empty() {
                        "see docs/language.md for the fields of versions 2 to 8".into()
                    } else {
                        guess
                    }),
                }
            })?;
            if fields.contains(&field) {
                return Err(FormatError {
                    message: format!("field '{name}' appears twice"),
                    start,
                    end,
                    help: None,
                });
            }
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(FormatError {
                message: "the log format names no fields".into(),
                start: 0,
                end: text.len(),
                help: Some(format!("the default format is \"{DEFAULT_FORMAT}\"")),
            });
        }
        Ok(LogFormat { fields })
    }

    pub fn fields(&self) -> &[&'static Field] {
        &self.fields
    }

    pub fn contains(&self, field: &Field) -> bool {
        self.fields.iter().any(|f| std::ptr::eq(*f, field))
    }

    /// The format string, `${a} ${b}`.
    pub fn to_format_string(&self) -> String {
        self.fields
            .iter()
            .map(|f| format!("${{{}}}", f.name))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The columns of the `enis` lookup table (docs/catalog.md), the key
/// first: what `flowq lookup sync enis` writes from EC2 and `flowq sample
/// --enis-csv` writes for the sample's interfaces.
pub const ENI_COLUMNS: [&str; 11] = [
    "interface_id",
    "instance_id",
    "name",
    "description",
    "interface_type",
    "requester_id",
    "requester_managed",
    "subnet_id",
    "vpc_id",
    "availability_zone",
    "private_ips",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_has_the_fourteen_v2_fields() {
        let format = LogFormat::default_v2();
        assert_eq!(format.fields().len(), 14);
        assert!(format.fields().iter().all(|f| f.version == 2));
        assert_eq!(format.to_format_string(), DEFAULT_FORMAT);
    }

    #[test]
    fn unknown_fields_are_located_with_a_suggestion() {
        let e = LogFormat::parse("${version} ${tcp_flags}").unwrap_err();
        assert_eq!((e.start, e.end), (11, 23));
        assert_eq!(e.help.as_deref(), Some("did you mean 'tcp-flags'?"));
    }

    #[test]
    fn columns_are_the_names_with_underscores() {
        for f in &FIELDS {
            assert_eq!(f.column, f.name.replace('-', "_"));
        }
        assert_eq!(field_named("LOG_STATUS").unwrap().name, "log-status");
    }
}
