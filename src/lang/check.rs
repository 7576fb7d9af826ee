//! Stage 2: syntax tree -> checked query. Names are resolved against the
//! table's log format, values are typed (addresses, ports, sizes, times),
//! `$params` are substituted as values (never as text), and the time window
//! is resolved against an injected clock.
//!
//! Every backend (Athena SQL, the local engine) works from a
//! [`CheckedQuery`] only, so they cannot disagree about what a query means.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;

use crate::lang::ast::{self, AggFn, CmpOp, Qualifier, StageKind, Value, ValueKind, WindowKind};
use crate::lang::diagnostic::Diagnostic;
use crate::schema::{self, Field, FieldType};
use crate::table::{PartitionKey, Table};
use crate::{ports, suggest, time, units};

// ------------------------------------------------------------------ types

#[derive(Clone, Debug, PartialEq)]
pub struct CheckedQuery {
    pub filter: Option<Filter>,
    pub window: ResolvedWindow,
    pub output: Output,
    /// Parameters the query used, for "declared but unused" warnings.
    pub params_used: BTreeSet<String>,
}

/// A boolean filter with SQL's three-valued logic: a test on a NULL (`-`)
/// field is unknown, `not unknown` is unknown, and only true rows match.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Test(Test),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The address is in any of the networks (a single address is a /32
    /// or /128 network).
    Address {
        field: &'static Field,
        nets: Vec<IpNet>,
    },
    /// The integer is in any of the inclusive ranges.
    IntIn {
        column: Column,
        ranges: Vec<(i64, i64)>,
    },
    Compare {
        column: Column,
        op: CmpOp,
        value: i64,
    },
    /// The string equals any of the values.
    TextIn {
        field: &'static Field,
        values: Vec<String>,
    },
    /// Every bit of `mask` is set.
    Flags { field: &'static Field, mask: i64 },
    /// The record's account or region, known from where its file lies (a
    /// partition column), is any of the values. Used when the log format
    /// has no such field but the table is partitioned by it.
    Partition {
        key: PartitionKey,
        values: Vec<String>,
    },
}

/// A value a record has: a field, or the derived `duration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Field(&'static Field),
    /// `end - start`, in seconds.
    Duration,
}

impl Column {
    /// The output column name: the Athena column name, or `duration`.
    pub fn name(self) -> &'static str {
        match self {
            Column::Field(f) => f.column,
            Column::Duration => "duration",
        }
    }

    pub fn is_integer(self) -> bool {
        match self {
            Column::Field(f) => f.ty.is_integer(),
            Column::Duration => true,
        }
    }
}

/// The time window in Unix seconds, half-open: `[start, end)`. A record
/// matches when its interval overlaps it: `end >= start_w and start < end_w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedWindow {
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// True when the query gave no window and the source's default applied.
    pub is_default: bool,
}

impl ResolvedWindow {
    /// A window with no start scans every partition up to its end.
    pub fn is_unbounded(&self) -> bool {
        self.start.is_none()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub columns: Vec<OutputColumn>,
    /// Indices of the grouping columns when the query aggregates; `None`
    /// when it returns records.
    pub group_by: Option<Vec<usize>>,
    pub order: Vec<OrderKey>,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub value: OutputValue,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutputValue {
    Column(Column),
    Aggregate {
        function: AggFn,
        argument: Option<Column>,
    },
}

impl OutputValue {
    pub fn is_numeric(self) -> bool {
        match self {
            OutputValue::Column(c) => c.is_integer(),
            OutputValue::Aggregate {
                function: AggFn::Min | AggFn::Max,
                argument: Some(c),
            } => c.is_integer(),
            OutputValue::Aggregate { .. } => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderKey {
    /// Index into `Output::columns`.
    pub column: usize,
    pub descending: bool,
}

/// Parameter values given for a run, as values of the language.
#[derive(Clone, Debug, Default)]
pub struct Params {
    values: BTreeMap<String, Value>,
}

impl Params {
    /// Adds `name=text`; the text is read as a value of the language
    /// (`{22, 23}` is a set), or else as a plain string.
    pub fn insert(&mut self, name: &str, text: &str) {
        self.values
            .insert(name.to_string(), crate::lang::parse::parse_value(text));
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

/// What a query is checked against.
pub struct CheckContext<'a> {
    pub table: &'a Table,
    /// "Now", in Unix seconds: read once per run, or pinned with `--now`.
    pub now: i64,
    pub params: &'a Params,
}

/// Checks a query, reporting every problem found.
pub fn check(query: &ast::Query, ctx: &CheckContext) -> Result<CheckedQuery, Vec<Diagnostic>> {
    let mut checker = Checker {
        ctx,
        errors: Vec::new(),
        params_used: BTreeSet::new(),
    };
    let filter = query.filter.as_ref().and_then(|e| checker.expr(e));
    let window = checker.window(query.window.as_ref());
    let output = checker.output(&query.stages);
    match (window, output) {
        (Some(window), Some(output)) if checker.errors.is_empty() => Ok(CheckedQuery {
            filter,
            window,
            output,
            params_used: checker.params_used,
        }),
        _ => Err(checker.errors),
    }
}

struct Checker<'a> {
    ctx: &'a CheckContext<'a>,
    errors: Vec<Diagnostic>,
    params_used: BTreeSet<String>,
}

// ------------------------------------------------------------------ filter

impl Checker<'_> {
    fn expr(&mut self, e: &ast::Expr) -> Option<Filter> {
        match e {
            ast::Expr::And(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                Some(flatten_and(a?, b?))
            }
            ast::Expr::Or(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                Some(flatten_or(a?, b?))
            }
            ast::Expr::Not(inner) => Some(Filter::Not(Box::new(self.expr(inner)?))),
            ast::Expr::Predicate(p) => match self.predicate(p) {
                Ok(f) => Some(f),
                Err(d) => {
                    self.errors.push(d);
                    None
                }
            },
        }
    }

    fn predicate(&mut self, p: &ast::Predicate) -> Result<Filter, Diagnostic> {
        match &p.kind {
            ast::PredicateKind::Qualified { qualifier, value } => {
                self.qualified(*qualifier, value, p.span)
            }
            ast::PredicateKind::Compare { field, op, value } => self.compare(field, *op, value),
            ast::PredicateKind::Action(word) => {
                let action = self.field_for("action", p.span, "accept/reject")?;
                Ok(text_test(action, vec![word.keyword().to_ascii_uppercase()]))
            }
        }
    }

    fn qualified(
        &mut self,
        q: Qualifier,
        value: &Value,
        span: ast::Span,
    ) -> Result<Filter, Diagnostic> {
        use Qualifier::*;
        let keyword = q.keyword();
        let members = self.members(value)?;
        let either =
            |checker: &mut Self,
             a: &str,
             b: &str,
             build: &dyn Fn(&'static Field) -> Result<Filter, Diagnostic>| {
                let a = checker.field_for(a, span, keyword)?;
                let b = checker.field_for(b, span, keyword)?;
                Ok(Filter::Or(vec![build(a)?, build(b)?]))
            };
        match q {
            Src | Dst | PktSrc | PktDst => {
                let nets = addresses(&members)?;
                let field = self.field_for(address_field(q), span, keyword)?;
                Ok(Filter::Test(Test::Address { field, nets }))
            }
            Host | PktHost => {
                let nets = addresses(&members)?;
                let (a, b) = if q == Host {
                    ("srcaddr", "dstaddr")
                } else {
                    ("pkt-srcaddr", "pkt-dstaddr")
                };
                either(self, a, b, &|field| {
                    Ok(Filter::Test(Test::Address {
                        field,
                        nets: nets.clone(),
                    }))
                })
            }
            Sport | Dport | Port => {
                let ranges = port_ranges(&members)?;
                let build = |field| Ok(int_test(field, ranges.clone()));
                match q {
                    Sport => build(self.field_for("srcport", span, keyword)?),
                    Dport => build(self.field_for("dstport", span, keyword)?),
                    _ => either(self, "srcport", "dstport", &build),
                }
            }
            Proto => {
                let ranges = each(&members, protocol)?;
                Ok(int_test(self.field_for("protocol", span, keyword)?, ranges))
            }
            Path => {
                let ranges = each(&members, traffic_path)?;
                Ok(int_test(
                    self.field_for("traffic-path", span, keyword)?,
                    ranges,
                ))
            }
            Flags => {
                let masks = each(&members, tcp_flag)?;
                let field = self.field_for("tcp-flags", span, keyword)?;
                Ok(any_of(
                    masks
                        .into_iter()
                        .map(|mask| Filter::Test(Test::Flags { field, mask }))
                        .collect(),
                ))
            }
            Service => {
                let values = text_values(&members, "pkt-src-aws-service")?;
                either(
                    self,
                    "pkt-src-aws-service",
                    "pkt-dst-aws-service",
                    &|field| Ok(text_test(field, values.clone())),
                )
            }
            _ => {
                let name = text_field(q);
                let values = text_values(&members, name)?;
                let field = schema::field_named(name).expect("qualifiers name known fields");
                let partition = match q {
                    Account => Some(PartitionKey::Account),
                    Region => Some(PartitionKey::Region),
                    _ => None,
                };
                match partition {
                    Some(key)
                        if !self.ctx.table.format.contains(field)
                            && self.ctx.table.partitioning.column(key).is_some() =>
                    {
                        Ok(Filter::Test(Test::Partition { key, values }))
                    }
                    _ => Ok(text_test(self.in_format(field, span, keyword)?, values)),
                }
            }
        }
    }

    fn compare(
        &mut self,
        name: &ast::Name,
        op: CmpOp,
        value: &Value,
    ) -> Result<Filter, Diagnostic> {
        let column = self.column(name)?;
        let members = self.members(value)?;
        let is_set = matches!(value.kind, ValueKind::Set(_));
        let equality = matches!(op, CmpOp::Eq | CmpOp::Ne);
        if is_set && !equality {
            return Err(Diagnostic::error(
                value.span,
                format!("'{}' takes one value, not a set", op.symbol()),
            )
            .with_help("sets work with = and !="));
        }
        let test = match column {
            Column::Field(field) if !field.ty.is_integer() => {
                if !equality {
                    return Err(Diagnostic::error(
                        name.span,
                        format!(
                            "'{}' is a string field; it can only be compared with = or !=",
                            field.name
                        ),
                    ));
                }
                if field.ty == FieldType::Address {
                    Filter::Test(Test::Address {
                        field,
                        nets: addresses(&members)?,
                    })
                } else {
                    text_test(field, text_values(&members, field.name)?)
                }
            }
            _ => {
                let numbers = each(&members, |v| integer_for(column, v))?;
                match (op, numbers.as_slice()) {
                    (CmpOp::Eq | CmpOp::Ne, _) if is_set => Filter::Test(Test::IntIn {
                        column,
                        ranges: numbers.iter().map(|n| (*n, *n)).collect(),
                    }),
                    (_, [n]) => Filter::Test(Test::Compare {
                        column,
                        op,
                        value: *n,
                    }),
                    _ => unreachable!("a single value gives one number"),
                }
            }
        };
        Ok(if op == CmpOp::Ne && (is_set || !column.is_integer()) {
            Filter::Not(Box::new(test))
        } else {
            test
        })
    }

    /// The members of a value (one, or a set's), with parameters replaced
    /// by their values. Errors in a parameter's value point at `$name`.
    fn members(&mut self, value: &Value) -> Result<Vec<Value>, Diagnostic> {
        let mut out = Vec::new();
        let resolved = self.substitute(value)?;
        match resolved.kind {
            ValueKind::Set(members) => {
                for member in &members {
                    let member = self.substitute(member)?;
                    match member.kind {
                        ValueKind::Set(inner) => out.extend(inner),
                        _ => out.push(member),
                    }
                }
            }
            _ => out.push(resolved),
        }
        Ok(out)
    }

    fn substitute(&mut self, value: &Value) -> Result<Value, Diagnostic> {
        let ValueKind::Param(name) = &value.kind else {
            return Ok(value.clone());
        };
        self.params_used.insert(name.clone());
        let Some(given) = self.ctx.params.get(name) else {
            let known: Vec<&str> = self.ctx.params.names().collect();
            let help = match suggest::closest(name, known) {
                Some(other) => {
                    format!("did you mean '${other}'? Pass a value with --param {name}=VALUE")
                }
                None => format!("pass a value with --param {name}=VALUE"),
            };
            return Err(
                Diagnostic::error(value.span, format!("parameter '${name}' has no value"))
                    .with_help(help),
            );
        };
        Ok(relocate(given, value.span))
    }

    /// The field a qualifier or name needs, which the table must have.
    fn field_for(
        &self,
        name: &str,
        span: ast::Span,
        wanted_by: &str,
    ) -> Result<&'static Field, Diagnostic> {
        let field = schema::field_named(name).expect("qualifiers name known fields");
        self.in_format(field, span, wanted_by)
    }

    fn in_format(
        &self,
        field: &'static Field,
        span: ast::Span,
        wanted_by: &str,
    ) -> Result<&'static Field, Diagnostic> {
        if self.ctx.table.format.contains(field) {
            return Ok(field);
        }
        let what = if wanted_by == field.name {
            format!("field '{}'", field.name)
        } else {
            format!("'{wanted_by}' needs field '{}', which", field.name)
        };
        Err(
            Diagnostic::error(span, format!("{what} is not in this source's log format"))
                .with_help(format!(
                    "'{}' is a version-{} field; this source's format is \"{}\"",
                    field.name,
                    field.version,
                    self.ctx.table.format.to_format_string()
                )),
        )
    }

    /// Resolves a field name as stages and comparisons write it.
    fn column(&self, name: &ast::Name) -> Result<Column, Diagnostic> {
        let lower = name.text.to_ascii_lowercase();
        if lower == "duration" {
            self.in_format(
                schema::field_named("start").expect("known"),
                name.span,
                "duration",
            )?;
            self.in_format(
                schema::field_named("end").expect("known"),
                name.span,
                "duration",
            )?;
            return Ok(Column::Duration);
        }
        if let Some(pair) = EITHER_ALIASES.iter().find(|(alias, _)| *alias == lower) {
            return Err(Diagnostic::error(
                name.span,
                format!("'{}' stands for two fields here", name.text),
            )
            .with_help(format!("name one of them: {}", pair.1)));
        }
        let resolved = ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map_or(lower.as_str(), |(_, field)| field);
        match schema::field_named(resolved) {
            Some(field) => Ok(Column::Field(self.in_format(field, name.span, &name.text)?)),
            None => {
                let candidates = schema::field_names()
                    .chain(ALIASES.iter().map(|(a, _)| *a))
                    .chain(["duration"]);
                let mut d = Diagnostic::error(name.span, format!("unknown field '{}'", name.text));
                let guess = suggest::did_you_mean(&lower, candidates);
                if !guess.is_empty() {
                    d = d.with_help(guess);
                }
                Err(d)
            }
        }
    }
}

/// Qualifier names that may stand for one field in stages and comparisons.
const ALIASES: &[(&str, &str)] = &[
    ("src", "srcaddr"),
    ("dst", "dstaddr"),
    ("sport", "srcport"),
    ("dport", "dstport"),
    ("proto", "protocol"),
    ("pkt-src", "pkt-srcaddr"),
    ("pkt-dst", "pkt-dstaddr"),
    ("status", "log-status"),
    ("flags", "tcp-flags"),
    ("account", "account-id"),
    ("eni", "interface-id"),
    ("vpc", "vpc-id"),
    ("subnet", "subnet-id"),
    ("instance", "instance-id"),
    ("az", "az-id"),
    ("direction", "flow-direction"),
    ("path", "traffic-path"),
    ("src-service", "pkt-src-aws-service"),
    ("dst-service", "pkt-dst-aws-service"),
];

/// Qualifiers that test two fields, which a stage cannot name as one.
const EITHER_ALIASES: &[(&str, &str)] = &[
    ("host", "src or dst"),
    ("port", "sport or dport"),
    ("pkt-host", "pkt-src or pkt-dst"),
    ("service", "src-service or dst-service"),
];

fn address_field(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Src => "srcaddr",
        Qualifier::Dst => "dstaddr",
        Qualifier::PktSrc => "pkt-srcaddr",
        _ => "pkt-dstaddr",
    }
}

fn text_field(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Action => "action",
        Qualifier::Status => "log-status",
        Qualifier::Account => "account-id",
        Qualifier::Eni => "interface-id",
        Qualifier::Vpc => "vpc-id",
        Qualifier::Subnet => "subnet-id",
        Qualifier::Instance => "instance-id",
        Qualifier::Region => "region",
        Qualifier::Az => "az-id",
        Qualifier::Type => "type",
        Qualifier::Direction => "flow-direction",
        Qualifier::SrcService => "pkt-src-aws-service",
        Qualifier::DstService => "pkt-dst-aws-service",
        other => unreachable!("{other:?} is not a string qualifier"),
    }
}

/// A parameter's value placed where `$name` stood, so errors point there.
fn relocate(value: &Value, span: ast::Span) -> Value {
    let kind = match &value.kind {
        ValueKind::Set(members) => {
            ValueKind::Set(members.iter().map(|m| relocate(m, span)).collect())
        }
        other => other.clone(),
    };
    Value { kind, span }
}

fn flatten_and(a: Filter, b: Filter) -> Filter {
    Filter::And(flatten(a, b, |f| match f {
        Filter::And(parts) => Ok(parts),
        other => Err(other),
    }))
}

fn flatten_or(a: Filter, b: Filter) -> Filter {
    Filter::Or(flatten(a, b, |f| match f {
        Filter::Or(parts) => Ok(parts),
        other => Err(other),
    }))
}

/// The operands of `a op b` with nested `op`s spliced in (`split` says
/// which): `(x and y) and z` has three.
fn flatten(
    a: Filter,
    b: Filter,
    split: impl Fn(Filter) -> Result<Vec<Filter>, Filter>,
) -> Vec<Filter> {
    let mut parts = Vec::new();
    for f in [a, b] {
        match split(f) {
            Ok(inner) => parts.extend(inner),
            Err(single) => parts.push(single),
        }
    }
    parts
}

fn any_of(mut filters: Vec<Filter>) -> Filter {
    if filters.len() == 1 {
        filters.remove(0)
    } else {
        Filter::Or(filters)
    }
}

fn int_test(field: &'static Field, ranges: Vec<(i64, i64)>) -> Filter {
    Filter::Test(Test::IntIn {
        column: Column::Field(field),
        ranges,
    })
}

fn text_test(field: &'static Field, values: Vec<String>) -> Filter {
    Filter::Test(Test::TextIn { field, values })
}

// ------------------------------------------------------------------ values

/// The text of a word or quoted string; a `$param` is already substituted.
fn text_of(value: &Value) -> &str {
    match &value.kind {
        ValueKind::Word(w) | ValueKind::Text(w) => w,
        ValueKind::Param(p) => p,
        ValueKind::Set(_) => "",
    }
}

fn each<T>(
    members: &[Value],
    parse: impl Fn(&Value) -> Result<T, Diagnostic>,
) -> Result<Vec<T>, Diagnostic> {
    members.iter().map(parse).collect()
}

fn addresses(members: &[Value]) -> Result<Vec<IpNet>, Diagnostic> {
    each(members, address)
}

/// An address or CIDR. A CIDR with host bits set is an error, not silently
/// widened: `10.0.0.1/8` may mean the host or the network.
pub fn address(value: &Value) -> Result<IpNet, Diagnostic> {
    let text = text_of(value);
    let bad = |message: String| Diagnostic::error(value.span, message);
    if let Some((addr, prefix)) = text.split_once('/') {
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| bad(format!("invalid address '{addr}' in '{text}'")))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u8 = prefix.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
            bad(format!(
                "invalid prefix length '/{prefix}': {} takes /0 to /{max}",
                if max == 32 { "IPv4" } else { "IPv6" }
            ))
        })?;
        let net = IpNet::new(ip, len).expect("prefix length was checked");
        if net.trunc() != net {
            return Err(
                bad(format!("'{text}' has host bits set")).with_help(format!(
                    "write the network '{}' or the host '{ip}'",
                    net.trunc()
                )),
            );
        }
        return Ok(net);
    }
    let ip: IpAddr = text.parse().map_err(|_| {
        bad(format!("invalid address '{text}'")).with_help(
            "write an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.1, 10.0.0.0/8, 2001:db8::/32",
        )
    })?;
    Ok(IpNet::from(ip))
}

fn port_ranges(members: &[Value]) -> Result<Vec<(i64, i64)>, Diagnostic> {
    each(members, port_range)
}

pub fn port_range(value: &Value) -> Result<(i64, i64), Diagnostic> {
    let text = text_of(value);
    let bad = |message: String| Diagnostic::error(value.span, message);
    if let Some(port) = ports::port_named(text) {
        return Ok((port.into(), port.into()));
    }
    let number = |t: &str| -> Result<i64, Diagnostic> {
        t.parse::<u16>().map(i64::from).map_err(|_| {
            let guess = suggest::did_you_mean(t, ports::PORT_NAMES.iter().map(|(n, _)| *n));
            let d = bad(format!(
                "invalid port '{t}': a port is a number 0-65535 or a name like ssh, https"
            ));
            if guess.is_empty() {
                d.with_help("docs/language.md lists the port names")
            } else {
                d.with_help(guess)
            }
        })
    };
    match text.split_once('-') {
        Some((lo, hi)) if !lo.is_empty() && lo.bytes().all(|b| b.is_ascii_digit()) => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo > hi {
                return Err(bad(format!("the range '{text}' is empty"))
                    .with_help(format!("write {hi}-{lo}")));
            }
            Ok((lo, hi))
        }
        _ => number(text).map(|p| (p, p)),
    }
}

fn protocol(value: &Value) -> Result<(i64, i64), Diagnostic> {
    let text = text_of(value);
    let number = ports::protocol_named(text).or_else(|| text.parse::<u8>().ok());
    match number {
        Some(n) => Ok((n.into(), n.into())),
        None => Err(
            Diagnostic::error(value.span, format!("unknown protocol '{text}'")).with_help(
                "use tcp, udp, icmp, icmpv6, gre, esp, ah, sctp, igmp or a number 0-255",
            ),
        ),
    }
}

fn traffic_path(value: &Value) -> Result<(i64, i64), Diagnostic> {
    let text = text_of(value);
    match text.parse::<i64>() {
        Ok(n) if (1..=8).contains(&n) => Ok((n, n)),
        _ => Err(
            Diagnostic::error(value.span, format!("invalid traffic path '{text}'"))
                .with_help("traffic-path codes are 1 to 8; see docs/language.md"),
        ),
    }
}

/// TCP flag bits as VPC flow logs record them (reference §1.5).
pub const TCP_FLAGS: &[(&str, i64)] = &[("fin", 1), ("syn", 2), ("rst", 4), ("synack", 18)];

fn tcp_flag(value: &Value) -> Result<i64, Diagnostic> {
    let text = text_of(value).to_ascii_lowercase();
    TCP_FLAGS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, bit)| *bit)
        .ok_or_else(|| {
            Diagnostic::error(value.span, format!("unknown TCP flag '{text}'"))
                .with_help("flow logs record syn, synack, fin and rst")
        })
}

/// String values, spelled the way flow logs write them for fields with a
/// closed set of values (`ACCEPT`, `NODATA`, `IPv6`, `ingress`).
fn text_values(members: &[Value], field: &str) -> Result<Vec<String>, Diagnostic> {
    each(members, |v| text_value(v, field))
}

fn text_value(value: &Value, field: &str) -> Result<String, Diagnostic> {
    let text = text_of(value);
    let one_of = |allowed: &[&str]| -> Result<String, Diagnostic> {
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(text))
            .map(|a| a.to_string())
            .ok_or_else(|| {
                let names: Vec<String> = allowed.iter().map(|a| a.to_ascii_lowercase()).collect();
                Diagnostic::error(value.span, format!("'{text}' is not a value of {field}"))
                    .with_help(format!("use one of: {}", names.join(", ")))
            })
    };
    let shaped = |ok: bool, example: &str| -> Result<String, Diagnostic> {
        if ok {
            Ok(text.to_string())
        } else {
            Err(
                Diagnostic::error(value.span, format!("'{text}' is not a valid {field}"))
                    .with_help(format!("write it like {example}")),
            )
        }
    };
    let id = |prefix: &str| {
        text.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    match field {
        "action" => one_of(&["ACCEPT", "REJECT"]),
        "log-status" => one_of(&["OK", "NODATA", "SKIPDATA"]),
        "type" => one_of(&["IPv4", "IPv6", "EFA"]),
        "flow-direction" => one_of(&["ingress", "egress"]),
        "pkt-src-aws-service" | "pkt-dst-aws-service" => {
            let ok =
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            shaped(ok, "S3 or ROUTE53_RESOLVER").map(|t| t.to_ascii_uppercase())
        }
        "account-id" => shaped(
            text == "unknown" || (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())),
            "123456789012 (12 digits) or unknown",
        ),
        "interface-id" => shaped(id("eni-"), "eni-0123456789abcdef0"),
        "vpc-id" => shaped(id("vpc-"), "vpc-0abc1234"),
        "subnet-id" => shaped(id("subnet-"), "subnet-0abc1234"),
        "instance-id" => shaped(id("i-"), "i-0123456789abcdef0"),
        "region" => shaped(
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "us-east-1",
        ),
        "az-id" => shaped(
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "use1-az1",
        ),
        _ => Ok(text.to_string()),
    }
}

/// An integer for a comparison with `column`: a size for counters
/// (`10M`), a duration for `duration` (`5m`), a time for `start`/`end`.
fn integer_for(column: Column, value: &Value) -> Result<i64, Diagnostic> {
    let text = text_of(value);
    let parsed = match column {
        Column::Duration => units::parse_duration(text, false),
        Column::Field(f) if f.name == "start" || f.name == "end" => text
            .parse::<i64>()
            .or_else(|_| time::parse_instant(text).map(|i| i.seconds)),
        Column::Field(f) if f.name == "protocol" => {
            protocol(value).map(|(n, _)| n).map_err(|d| d.message)
        }
        Column::Field(f) if f.name == "tcp-flags" => text
            .parse::<i64>()
            .or_else(|_| tcp_flag(value).map_err(|d| d.message)),
        Column::Field(f) if matches!(f.name, "srcport" | "dstport") => port_range(value)
            .map_err(|d| d.message)
            .and_then(|(lo, hi)| {
                if lo == hi {
                    Ok(lo)
                } else {
                    Err("a comparison takes one port, not a range".into())
                }
            }),
        Column::Field(_) => units::parse_size(text),
    };
    parsed.map_err(|message| Diagnostic::error(value.span, message))
}

// ------------------------------------------------------------------ window

impl Checker<'_> {
    fn window(&mut self, window: Option<&ast::Window>) -> Option<ResolvedWindow> {
        let now = self.ctx.now;
        let Some(window) = window else {
            return Some(ResolvedWindow {
                start: Some(now - self.ctx.table.default_window),
                end: Some(now),
                is_default: true,
            });
        };
        match self.resolve_window(window) {
            Ok(w) => Some(w),
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    fn resolve_window(&mut self, window: &ast::Window) -> Result<ResolvedWindow, Diagnostic> {
        let now = self.ctx.now;
        let (start, end) = match &window.kind {
            WindowKind::Last(v) => {
                let v = self.substitute(v)?;
                let seconds = units::parse_duration(text_of(&v), true)
                    .map_err(|m| Diagnostic::error(v.span, m))?;
                if seconds <= 0 {
                    return Err(Diagnostic::error(
                        v.span,
                        "'last' needs a duration above zero",
                    ));
                }
                (Some(now - seconds), Some(now))
            }
            WindowKind::Since(v) => {
                let t = self.instant(v)?;
                if t >= now {
                    return Err(Diagnostic::error(
                        v.span,
                        format!(
                            "the window starts at or after now ({})",
                            time::format_rfc3339(now)
                        ),
                    ));
                }
                (Some(t), Some(now))
            }
            WindowKind::Until(v) => (None, Some(self.instant(v)?)),
            WindowKind::SinceUntil(a, b) | WindowKind::Between(a, b) => {
                let (t0, t1) = (self.instant(a)?, self.instant(b)?);
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
                let v = self.substitute(v)?;
                let day =
                    time::parse_instant(text_of(&v)).map_err(|m| Diagnostic::error(v.span, m))?;
                if !day.is_date {
                    return Err(
                        Diagnostic::error(v.span, "'on' takes a date like 2026-11-26")
                            .with_help("for a time range, use 'since T until T'"),
                    );
                }
                (Some(day.seconds), Some(day.seconds + 86_400))
            }
            WindowKind::AllTime => (None, None),
        };
        Ok(ResolvedWindow {
            start,
            end,
            is_default: false,
        })
    }

    fn instant(&mut self, v: &Value) -> Result<i64, Diagnostic> {
        let v = self.substitute(v)?;
        time::parse_instant(text_of(&v))
            .map(|i| i.seconds)
            .map_err(|m| Diagnostic::error(v.span, m))
    }
}

// ------------------------------------------------------------------ output

/// The stages in a normal form: at most one projection, then sort, then
/// limit; shorthands (`count`, `top`) imply a sort and a limit that an
/// explicit later stage replaces.
#[derive(Default)]
struct Pipeline {
    projection: Option<(Vec<OutputColumn>, Option<Vec<usize>>)>,
    implied_sort: Vec<(String, bool)>,
    implied_limit: Option<u64>,
    sort: Option<Vec<ast::SortKey>>,
    limit: Option<u64>,
}

impl Checker<'_> {
    fn output(&mut self, stages: &[ast::Stage]) -> Option<Output> {
        let mut pipeline = Pipeline::default();
        for stage in stages {
            if let Err(d) = self.stage(stage, &mut pipeline) {
                self.errors.push(d);
                return None;
            }
        }
        let (columns, group_by) = match pipeline.projection.take() {
            Some(p) => p,
            None => (self.all_columns(), None),
        };
        let order = match self.order(&pipeline, &columns, group_by.as_deref()) {
            Ok(order) => order,
            Err(d) => {
                self.errors.push(d);
                return None;
            }
        };
        let global_aggregate = group_by.as_ref().is_some_and(|keys| keys.is_empty());
        let limit = pipeline
            .limit
            .or(pipeline.implied_limit)
            .or((!global_aggregate).then_some(self.ctx.table.default_limit));
        Some(Output {
            columns,
            group_by,
            order,
            limit,
        })
    }

    fn all_columns(&self) -> Vec<OutputColumn> {
        self.ctx
            .table
            .record_fields()
            .into_iter()
            .map(|f| OutputColumn {
                name: f.column.to_string(),
                value: OutputValue::Column(Column::Field(f)),
            })
            .collect()
    }

    fn stage(&mut self, stage: &ast::Stage, p: &mut Pipeline) -> Result<(), Diagnostic> {
        let shaping = !matches!(stage.kind, StageKind::Sort(_) | StageKind::Limit(_));
        if shaping {
            if p.projection.is_some() {
                return Err(Diagnostic::error(
                    stage.span,
                    "a query has at most one stats, count, top or fields stage",
                ));
            }
            if p.sort.is_some() || p.limit.is_some() {
                return Err(Diagnostic::error(
                    stage.span,
                    "stats, count, top and fields come before sort and limit",
                ));
            }
        }
        match &stage.kind {
            StageKind::Stats { aggregates, by } => {
                let aggs = aggregates
                    .iter()
                    .map(|a| Ok((self.aggregate(a)?, a.span)))
                    .collect::<Result<Vec<_>, Diagnostic>>()?;
                p.projection = Some(self.grouped(by, aggs)?);
            }
            StageKind::Count { by } => {
                let count = OutputColumn {
                    name: "flows".into(),
                    value: OutputValue::Aggregate {
                        function: AggFn::Count,
                        argument: None,
                    },
                };
                p.projection = Some(self.grouped(by, vec![(count, stage.span)])?);
                p.implied_sort = vec![("flows".into(), true)];
            }
            StageKind::Top { n, fields, metric } => {
                let n = self.count_value(n, "top")?;
                let (name, function, argument) = self.top_metric(metric.as_ref())?;
                let metric = OutputColumn {
                    name: name.into(),
                    value: OutputValue::Aggregate { function, argument },
                };
                p.projection = Some(self.grouped(fields, vec![(metric, stage.span)])?);
                p.implied_sort = vec![(name.into(), true)];
                p.implied_limit = Some(n);
            }
            StageKind::Fields(names) => {
                let columns = names
                    .iter()
                    .map(|n| self.column(n))
                    .collect::<Result<Vec<_>, _>>()?;
                let columns = columns
                    .into_iter()
                    .map(|c| OutputColumn {
                        name: c.name().into(),
                        value: OutputValue::Column(c),
                    })
                    .collect();
                let spans: Vec<ast::Span> = names.iter().map(|n| n.span).collect();
                p.projection = Some((unique(columns, &spans)?, None));
            }
            StageKind::Sort(keys) => {
                if p.sort.is_some() {
                    return Err(Diagnostic::error(stage.span, "sort is given twice")
                        .with_help("list every key in one sort: 'sort bytes desc, srcaddr'"));
                }
                if p.limit.is_some() {
                    return Err(Diagnostic::error(stage.span, "sort comes before limit"));
                }
                p.sort = Some(keys.clone());
            }
            StageKind::Limit(v) => {
                if p.limit.is_some() {
                    return Err(Diagnostic::error(stage.span, "limit is given twice"));
                }
                p.limit = Some(self.count_value(v, "limit")?);
            }
        }
        Ok(())
    }

    fn grouped(
        &self,
        by: &[ast::Name],
        aggregates: Vec<(OutputColumn, ast::Span)>,
    ) -> Result<(Vec<OutputColumn>, Option<Vec<usize>>), Diagnostic> {
        let keys = by
            .iter()
            .map(|n| self.column(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut columns: Vec<OutputColumn> = keys
            .into_iter()
            .map(|c| OutputColumn {
                name: c.name().into(),
                value: OutputValue::Column(c),
            })
            .collect();
        let mut spans: Vec<ast::Span> = by.iter().map(|n| n.span).collect();
        let key_count = columns.len();
        for (column, span) in aggregates {
            columns.push(column);
            spans.push(span);
        }
        let columns = unique(columns, &spans)?;
        Ok((columns, Some((0..key_count).collect())))
    }

    fn aggregate(&self, a: &ast::Aggregate) -> Result<OutputColumn, Diagnostic> {
        let argument = a.argument.as_ref().map(|n| self.column(n)).transpose()?;
        let name = a.function.name();
        match (a.function, argument) {
            (AggFn::Count, _) => {}
            (_, None) => {
                return Err(Diagnostic::error(
                    a.span,
                    format!("{name}() needs a field, e.g. {name}(bytes)"),
                ));
            }
            (AggFn::Sum | AggFn::Avg, Some(c)) if !c.is_integer() => {
                return Err(Diagnostic::error(
                    a.span,
                    format!("{name}() needs a numeric field; '{}' is a string", c.name()),
                ));
            }
            _ => {}
        }
        let default_name = match argument {
            Some(c) => format!("{name}_{}", c.name()),
            None => name.to_string(),
        };
        Ok(OutputColumn {
            name: a.alias.as_ref().map_or(default_name, |n| n.text.clone()),
            value: OutputValue::Aggregate {
                function: a.function,
                argument,
            },
        })
    }

    fn top_metric(
        &self,
        metric: Option<&ast::Name>,
    ) -> Result<(&'static str, AggFn, Option<Column>), Diagnostic> {
        let word = metric.map_or("bytes".to_string(), |m| m.text.to_ascii_lowercase());
        let span = metric.map_or_else(ast::Span::default, |m| m.span);
        match word.as_str() {
            "flows" => Ok(("flows", AggFn::Count, None)),
            "bytes" | "packets" => {
                let field = schema::field_named(&word).expect("known field");
                let field = self.in_format(field, span, "top")?;
                Ok((field.column, AggFn::Sum, Some(Column::Field(field))))
            }
            other => Err(Diagnostic::error(
                span,
                format!("top ranks by bytes, packets or flows, not '{other}'"),
            )),
        }
    }

    fn count_value(&mut self, v: &Value, stage: &str) -> Result<u64, Diagnostic> {
        let v = self.substitute(v)?;
        match text_of(&v).parse::<u64>() {
            Ok(n) if n > 0 && n <= 1_000_000_000 => Ok(n),
            _ => Err(Diagnostic::error(
                v.span,
                format!("{stage} takes a whole number from 1 to 1000000000"),
            )),
        }
    }

    /// Sort keys name output columns; ties are broken by the grouping
    /// columns (or, for records, every column) so results are the same on
    /// every engine.
    fn order(
        &self,
        p: &Pipeline,
        columns: &[OutputColumn],
        group_by: Option<&[usize]>,
    ) -> Result<Vec<OrderKey>, Diagnostic> {
        let mut order = Vec::new();
        match &p.sort {
            Some(keys) => {
                for key in keys {
                    let column = self.output_index(&key.field, columns)?;
                    order.push(OrderKey {
                        column,
                        descending: key.descending,
                    });
                }
            }
            None => {
                for (name, descending) in &p.implied_sort {
                    let column = columns
                        .iter()
                        .position(|c| &c.name == name)
                        .expect("implied sort names its column");
                    order.push(OrderKey {
                        column,
                        descending: *descending,
                    });
                }
            }
        }
        if order.is_empty() {
            return Ok(order);
        }
        let tie_breakers: Vec<usize> = match group_by {
            Some(keys) => keys.to_vec(),
            None => (0..columns.len()).collect(),
        };
        for column in tie_breakers {
            if !order.iter().any(|k| k.column == column) {
                order.push(OrderKey {
                    column,
                    descending: false,
                });
            }
        }
        Ok(order)
    }

    fn output_index(
        &self,
        name: &ast::Name,
        columns: &[OutputColumn],
    ) -> Result<usize, Diagnostic> {
        if let Some(i) = columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(&name.text))
        {
            return Ok(i);
        }
        let column = self.column(name).ok();
        columns
            .iter()
            .position(|c| column.is_some_and(|col| c.value == OutputValue::Column(col)))
            .ok_or_else(|| {
                let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                Diagnostic::error(
                    name.span,
                    format!(
                        "cannot sort by '{}': it is not a column of the output",
                        name.text
                    ),
                )
                .with_help(format!("the output columns are: {}", names.join(", ")))
            })
    }
}

/// Output column names must differ; `spans` says where each was written.
fn unique(
    columns: Vec<OutputColumn>,
    spans: &[ast::Span],
) -> Result<Vec<OutputColumn>, Diagnostic> {
    for (i, column) in columns.iter().enumerate() {
        if columns[..i].iter().any(|c| c.name == column.name) {
            return Err(Diagnostic::error(
                spans[i],
                format!("the output has two columns named '{}'", column.name),
            )
            .with_help("name one with 'as', e.g. 'sum(bytes) as total'"));
        }
    }
    Ok(columns)
}
