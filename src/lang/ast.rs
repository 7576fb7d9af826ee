//! The syntax tree of a flowq query, as the user wrote it, with spans.
//!
//! Nothing here is checked against a table yet: values are still the words
//! the user typed (or `$params`), and field names are unresolved. The check
//! stage (src/lang/check/) turns this into a typed query.

/// A byte range in the query text.
///
/// Spans are location metadata, never part of a node's identity: two nodes
/// that differ only in where they were written compare equal. That is what
/// lets a parsed query be compared with a re-parsed canonical print of it.
#[derive(Clone, Copy, Debug, Default, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub filter: Option<Expr>,
    pub window: Option<Window>,
    pub stages: Vec<Stage>,
}

/// A boolean filter. `and` and `or` are lists, so that a chain of
/// thousands of terms is one node and no stage recurses per term; build
/// them with [`Expr::and`] and [`Expr::or`], which keep the one shape the
/// parser gives: at least two operands, none of them the same operator
/// (`a and (b and c)` is `and[a, b, c]`).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Predicate(Predicate),
}

impl Expr {
    /// The conjunction of `parts`, with nested conjunctions spliced in; one
    /// part is itself.
    pub fn and(parts: Vec<Expr>) -> Expr {
        Expr::join(parts, Expr::And, |e| match e {
            Expr::And(inner) => Ok(inner),
            other => Err(other),
        })
    }

    /// The disjunction of `parts`, with nested disjunctions spliced in.
    pub fn or(parts: Vec<Expr>) -> Expr {
        Expr::join(parts, Expr::Or, |e| match e {
            Expr::Or(inner) => Ok(inner),
            other => Err(other),
        })
    }

    fn join(
        parts: Vec<Expr>,
        make: fn(Vec<Expr>) -> Expr,
        split: fn(Expr) -> Result<Vec<Expr>, Expr>,
    ) -> Expr {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match split(part) {
                Ok(inner) => flat.extend(inner),
                Err(single) => flat.push(single),
            }
        }
        if flat.len() == 1 {
            flat.pop().expect("one part")
        } else {
            make(flat)
        }
    }

    /// From the first operand's start to the last one's end; recurses
    /// once per level of nesting (bounded by `limits::MAX_NESTING`).
    pub fn span(&self) -> Span {
        match self {
            Expr::And(parts) | Expr::Or(parts) => match (parts.first(), parts.last()) {
                (Some(first), Some(last)) => first.span().to(last.span()),
                _ => Span::default(),
            },
            Expr::Not(e) => e.span(),
            Expr::Predicate(p) => p.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    pub kind: PredicateKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PredicateKind {
    /// `src 10.0.0.0/8`, `dport {22, 3389}`, `action reject`.
    Qualified { qualifier: Qualifier, value: Value },
    /// `bytes > 10M`, `vpc-id = vpc-0abc`.
    Compare {
        field: Name,
        op: CmpOp,
        value: Value,
    },
    /// The bare words `accept` and `reject`.
    Action(ActionWord),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionWord {
    Accept,
    Reject,
}

impl ActionWord {
    pub fn keyword(self) -> &'static str {
        match self {
            ActionWord::Accept => "accept",
            ActionWord::Reject => "reject",
        }
    }
}

/// The qualifiers of the language. What each one matches is decided in the
/// check stage; here they are only names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    Src,
    Dst,
    Host,
    PktSrc,
    PktDst,
    PktHost,
    Sport,
    Dport,
    Port,
    Proto,
    Action,
    Status,
    Flags,
    Account,
    Eni,
    Vpc,
    Subnet,
    Instance,
    Region,
    Az,
    Type,
    Direction,
    Path,
    Service,
    SrcService,
    DstService,
}

impl Qualifier {
    pub const ALL: [Qualifier; 26] = [
        Qualifier::Src,
        Qualifier::Dst,
        Qualifier::Host,
        Qualifier::PktSrc,
        Qualifier::PktDst,
        Qualifier::PktHost,
        Qualifier::Sport,
        Qualifier::Dport,
        Qualifier::Port,
        Qualifier::Proto,
        Qualifier::Action,
        Qualifier::Status,
        Qualifier::Flags,
        Qualifier::Account,
        Qualifier::Eni,
        Qualifier::Vpc,
        Qualifier::Subnet,
        Qualifier::Instance,
        Qualifier::Region,
        Qualifier::Az,
        Qualifier::Type,
        Qualifier::Direction,
        Qualifier::Path,
        Qualifier::Service,
        Qualifier::SrcService,
        Qualifier::DstService,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Qualifier::Src => "src",
            Qualifier::Dst => "dst",
            Qualifier::Host => "host",
            Qualifier::PktSrc => "pkt-src",
            Qualifier::PktDst => "pkt-dst",
            Qualifier::PktHost => "pkt-host",
            Qualifier::Sport => "sport",
            Qualifier::Dport => "dport",
            Qualifier::Port => "port",
            Qualifier::Proto => "proto",
            Qualifier::Action => "action",
            Qualifier::Status => "status",
            Qualifier::Flags => "flags",
            Qualifier::Account => "account",
            Qualifier::Eni => "eni",
            Qualifier::Vpc => "vpc",
            Qualifier::Subnet => "subnet",
            Qualifier::Instance => "instance",
            Qualifier::Region => "region",
            Qualifier::Az => "az",
            Qualifier::Type => "type",
            Qualifier::Direction => "direction",
            Qualifier::Path => "path",
            Qualifier::Service => "service",
            Qualifier::SrcService => "src-service",
            Qualifier::DstService => "dst-service",
        }
    }

    /// What the qualifier takes, for "expected ... after 'q'" messages.
    pub fn expects(self) -> &'static str {
        use Qualifier::*;
        match self {
            Src | Dst | Host | PktSrc | PktDst | PktHost => "an address or CIDR",
            Sport | Dport | Port => "a port, port range or service name",
            Proto => "a protocol (tcp, udp, icmp, ... or a number 0-255)",
            Action => "accept or reject",
            Status => "ok, nodata or skipdata",
            Flags => "a TCP flag (syn, synack, fin, rst)",
            Account => "an account ID",
            Eni => "an interface ID (eni-...)",
            Vpc => "a VPC ID (vpc-...)",
            Subnet => "a subnet ID (subnet-...)",
            Instance => "an instance ID (i-...)",
            Region => "a region like us-east-1",
            Az => "an availability-zone ID like use1-az1",
            Type => "ipv4, ipv6 or efa",
            Direction => "ingress or egress",
            Path => "a traffic path 1-8",
            Service | SrcService | DstService => "an AWS service name like S3",
        }
    }

    pub fn from_keyword(word: &str) -> Option<Qualifier> {
        let word = word.to_ascii_lowercase();
        Qualifier::ALL.into_iter().find(|q| q.keyword() == word)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn from_symbol(symbol: &str) -> Option<CmpOp> {
        Some(match symbol {
            "=" | "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// A value as written: its meaning depends on where it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// An unquoted token: `10.0.0.0/8`, `22`, `1024-65535`, `10M`, `ssh`.
    Word(String),
    /// A quoted string, unescaped.
    Text(String),
    /// `$name`, replaced by its value in the check stage.
    Param(String),
    /// `{a, b, c}`.
    Set(Vec<Value>),
    /// `@name`: a named list of the catalog, resolved in the check stage
    /// against the lists given to it.
    List(String),
}

impl Value {
    pub fn word(text: impl Into<String>, span: Span) -> Value {
        Value {
            kind: ValueKind::Word(text.into()),
            span,
        }
    }
}

/// A name in the query: a field, an alias, or an output column.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// The time window, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub kind: WindowKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WindowKind {
    Last(Value),
    Since(Value),
    Until(Value),
    SinceUntil(Value, Value),
    Between(Value, Value),
    On(Value),
    AllTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub kind: StageKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    Stats {
        aggregates: Vec<Aggregate>,
        by: Vec<Name>,
    },
    Sort(Vec<SortKey>),
    Limit(Value),
    Fields(Vec<Name>),
    Count {
        by: Vec<Name>,
    },
    Top {
        n: Value,
        fields: Vec<Name>,
        metric: Option<Name>,
    },
    /// `timechart <interval> <aggregates> [by <field>]`: the aggregates per
    /// time bucket of the window, one series per value of `by`.
    TimeChart {
        interval: Value,
        aggregates: Vec<Aggregate>,
        by: Option<Name>,
    },
    /// `lookup <table> on <key> [= <column>]`: the columns of a lookup
    /// table of the catalog, joined on the key column of the rows so far
    /// (to the table's first column, or to `column`).
    Lookup {
        table: Name,
        key: Name,
        column: Option<Name>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub function: AggFn,
    pub argument: Option<Name>,
    pub alias: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFn {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    CountDistinct,
}

impl AggFn {
    pub const ALL: [AggFn; 6] = [
        AggFn::Count,
        AggFn::Sum,
        AggFn::Min,
        AggFn::Max,
        AggFn::Avg,
        AggFn::CountDistinct,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Avg => "avg",
            AggFn::CountDistinct => "count_distinct",
        }
    }

    pub fn from_name(name: &str) -> Option<AggFn> {
        let name = name.to_ascii_lowercase();
        AggFn::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub field: Name,
    pub descending: bool,
}
