//! Filters: predicates, boolean structure and comparisons.

use super::values::*;
use super::*;
use crate::lang::ast::{self, CmpOp, Qualifier, Value, ValueKind};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::*;
use crate::lang::limits::MAX_PARAM_VALUES;
use crate::schema::{self, Field, FieldType};
use crate::suggest;
use crate::table::PartitionKey;

impl Checker<'_> {
    /// Checks a filter, reporting every error in it. Recurses once per
    /// level of nesting, which the parser bounds (limits::MAX_NESTING); a
    /// chain's operands are a loop.
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Option<Filter> {
        match e {
            ast::Expr::And(parts) => self.every(parts).map(|parts| {
                Filter::And(splice(parts, |f| match f {
                    Filter::And(parts) => Ok(parts),
                    other => Err(other),
                }))
            }),
            ast::Expr::Or(parts) => self.every(parts).map(|parts| {
                Filter::Or(splice(parts, |f| match f {
                    Filter::Or(parts) => Ok(parts),
                    other => Err(other),
                }))
            }),
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

    /// Each operand checked (all of them, for every error), or None.
    /// Stops once parameters have expanded past their limit: that error is
    /// reported once, not again for every later use.
    fn every(&mut self, parts: &[ast::Expr]) -> Option<Vec<Filter>> {
        let mut checked = Vec::with_capacity(parts.len());
        for part in parts {
            checked.push(self.expr(part));
            if self.param_values > MAX_PARAM_VALUES {
                return None;
            }
        }
        checked.into_iter().collect()
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
                let nets = self.address_members(&members, keyword)?;
                let field = self.field_for(address_field(q), span, keyword)?;
                Ok(Filter::Test(Test::Address { field, nets }))
            }
            Host | PktHost => {
                let nets = self.address_members(&members, keyword)?;
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
                let ranges = self.port_members(&members, keyword)?;
                let build = |field| Ok(int_test(field, ranges.clone()));
                match q {
                    Sport => build(self.field_for("srcport", span, keyword)?),
                    Dport => build(self.field_for("dstport", span, keyword)?),
                    _ => either(self, "srcport", "dstport", &build),
                }
            }
            Proto => {
                self.no_lists(&members, keyword)?;
                let ranges = each(&members, protocol)?;
                Ok(int_test(self.field_for("protocol", span, keyword)?, ranges))
            }
            Path => {
                self.no_lists(&members, keyword)?;
                let ranges = each(&members, traffic_path)?;
                Ok(int_test(
                    self.field_for("traffic-path", span, keyword)?,
                    ranges,
                ))
            }
            Flags => {
                self.no_lists(&members, keyword)?;
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
                self.no_lists(&members, keyword)?;
                let values = text_values(&members, "pkt-src-aws-service")?;
                either(
                    self,
                    "pkt-src-aws-service",
                    "pkt-dst-aws-service",
                    &|field| Ok(text_test(field, values.clone())),
                )
            }
            _ => {
                self.no_lists(&members, keyword)?;
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
        // One value or a set is decided on what `$p` stands for, so a set
        // parameter behaves as the same set written out.
        let value = &self.substitute(value)?;
        let members = self.members(value)?;
        let has_list = members.iter().any(|m| matches!(m.kind, ValueKind::List(_)));
        let is_set = matches!(value.kind, ValueKind::Set(_)) || has_list;
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
                        nets: self.address_members(&members, field.name)?,
                    })
                } else {
                    self.no_lists(&members, field.name)?;
                    text_test(field, text_values(&members, field.name)?)
                }
            }
            Column::Field(field) if has_list && matches!(field.name, "srcport" | "dstport") => {
                // A port list may hold ranges: `dstport = @admin-ports`.
                Filter::Test(Test::IntIn {
                    column,
                    ranges: self.port_members(&members, field.name)?,
                })
            }
            _ => {
                self.no_lists(&members, column.name())?;
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
                    _ => {
                        return Err(Diagnostic::error(
                            value.span,
                            format!("'{}' takes one value, not a set", op.symbol()),
                        ))
                    }
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

    /// A value where one value must stand (after `last`, `limit`, ...),
    /// with parameters substituted: a set there is an error.
    pub(super) fn one_value(&mut self, value: &Value, keyword: &str) -> Result<Value, Diagnostic> {
        let value = self.substitute(value)?;
        if matches!(value.kind, ValueKind::Set(_)) {
            return Err(Diagnostic::error(
                value.span,
                format!("'{keyword}' takes one value, not a set"),
            ));
        }
        if matches!(value.kind, ValueKind::List(_)) {
            return Err(Diagnostic::error(
                value.span,
                format!("'{keyword}' takes one value, not a list"),
            ));
        }
        Ok(value)
    }

    pub(super) fn substitute(&mut self, value: &Value) -> Result<Value, Diagnostic> {
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
        let count = match &given.kind {
            ValueKind::Set(members) => members.len(),
            _ => 1,
        };
        self.param_values += count;
        if self.param_values > MAX_PARAM_VALUES {
            return Err(Diagnostic::error(
                value.span,
                format!("parameters expand to more than {MAX_PARAM_VALUES} values in this query"),
            )
            .with_help("use a set parameter in fewer places, or with fewer members"));
        }
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

    pub(super) fn in_format(
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
    pub(super) fn column(&self, name: &ast::Name) -> Result<Column, Diagnostic> {
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

pub(super) fn address_field(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Src => "srcaddr",
        Qualifier::Dst => "dstaddr",
        Qualifier::PktSrc => "pkt-srcaddr",
        _ => "pkt-dstaddr",
    }
}

pub(super) fn text_field(q: Qualifier) -> &'static str {
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
pub(super) fn relocate(value: &Value, span: ast::Span) -> Value {
    let kind = match &value.kind {
        ValueKind::Set(members) => {
            ValueKind::Set(members.iter().map(|m| relocate(m, span)).collect())
        }
        other => other.clone(),
    };
    Value { kind, span }
}

/// `parts` with the operands of nested filters of the same operator
/// spliced in (`split` says which): `x or host h` has three operands.
pub(super) fn splice(
    parts: Vec<Filter>,
    split: impl Fn(Filter) -> Result<Vec<Filter>, Filter>,
) -> Vec<Filter> {
    let mut flat = Vec::with_capacity(parts.len());
    for f in parts {
        match split(f) {
            Ok(inner) => flat.extend(inner),
            Err(single) => flat.push(single),
        }
    }
    flat
}

pub(super) fn any_of(mut filters: Vec<Filter>) -> Filter {
    if filters.len() == 1 {
        filters.remove(0)
    } else {
        Filter::Or(filters)
    }
}

pub(super) fn int_test(field: &'static Field, ranges: Vec<(i64, i64)>) -> Filter {
    Filter::Test(Test::IntIn {
        column: Column::Field(field),
        ranges,
    })
}

pub(super) fn text_test(field: &'static Field, values: Vec<String>) -> Filter {
    Filter::Test(Test::TextIn { field, values })
}
