//! The canonical form of a query: lower-case keywords, explicit `and`, the
//! fewest parentheses that keep the meaning, the window last. Parsing the
//! canonical form gives back the same syntax tree.

use crate::lang::ast::*;

pub fn canonical(query: &Query) -> String {
    let mut parts = Vec::new();
    if let Some(filter) = &query.filter {
        // The window prints last. `a or b last 1h` means `(a or b) last 1h`
        // (a window at either end scopes the whole filter), but a top-level
        // `or` keeps its parentheses before a window: explicit, and read
        // the same by older flowq versions, where a window bound like `and`.
        let min = if query.window.is_some() {
            Precedence::And
        } else {
            Precedence::Or
        };
        parts.push(at(filter, min));
    }
    if let Some(w) = &query.window {
        parts.push(window(w));
    }
    let mut out = parts.join(" ");
    for stage in &query.stages {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str("| ");
        out.push_str(&self::stage(stage));
    }
    out
}

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Precedence {
    Or,
    And,
    Not,
}

pub fn expr(e: &Expr) -> String {
    at(e, Precedence::Or)
}

/// Prints `e` where an operand of at least `min` precedence is expected.
fn at(e: &Expr, min: Precedence) -> String {
    let mut out = String::new();
    write_expr(e, min, &mut out);
    out
}

/// Appends `e` to `out`, in parentheses when its operator binds looser
/// than `min`. One buffer for the whole filter, so printing is linear in
/// its size; recurses once per level of nesting, which the parser bounds
/// (limits::MAX_NESTING); a chain's operands are a loop.
fn write_expr(e: &Expr, min: Precedence, out: &mut String) {
    let own = match e {
        Expr::Or(_) => Precedence::Or,
        Expr::And(_) => Precedence::And,
        Expr::Not(_) | Expr::Predicate(_) => Precedence::Not,
    };
    let parenthesised = own < min;
    if parenthesised {
        out.push('(');
    }
    match e {
        // An operand of the same operator is parenthesised: the parser
        // splices `(a or b) or c` into one list, so only a tree built by
        // hand has one, and its parentheses keep its shape.
        Expr::Or(parts) => write_list(parts, " or ", Precedence::And, out),
        Expr::And(parts) => write_list(parts, " and ", Precedence::Not, out),
        Expr::Not(inner) => {
            out.push_str("not ");
            write_expr(inner, Precedence::Not, out);
        }
        Expr::Predicate(p) => out.push_str(&predicate(p)),
    }
    if parenthesised {
        out.push(')');
    }
}

fn write_list(parts: &[Expr], separator: &str, min: Precedence, out: &mut String) {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        write_expr(part, min, out);
    }
}

pub fn predicate(p: &Predicate) -> String {
    match &p.kind {
        PredicateKind::Qualified {
            qualifier,
            value: v,
        } => {
            format!("{} {}", qualifier.keyword(), value(v))
        }
        PredicateKind::Compare {
            field,
            op,
            value: v,
        } => {
            format!("{} {} {}", field.text, op.symbol(), value(v))
        }
        PredicateKind::Action(word) => word.keyword().to_string(),
    }
}

pub fn value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Word(w) => w.clone(),
        ValueKind::Text(t) => format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\"")),
        ValueKind::Param(p) => format!("${p}"),
        ValueKind::List(name) => format!("@{name}"),
        ValueKind::Set(members) => {
            let members: Vec<String> = members.iter().map(value).collect();
            format!("{{{}}}", members.join(", "))
        }
    }
}

pub fn window(w: &Window) -> String {
    match &w.kind {
        WindowKind::Last(v) => format!("last {}", value(v)),
        WindowKind::Since(v) => format!("since {}", value(v)),
        WindowKind::Until(v) => format!("until {}", value(v)),
        WindowKind::SinceUntil(a, b) => format!("since {} until {}", value(a), value(b)),
        WindowKind::Between(a, b) => format!("between {} and {}", value(a), value(b)),
        WindowKind::On(v) => format!("on {}", value(v)),
        WindowKind::AllTime => "all time".to_string(),
    }
}

fn names(list: &[Name]) -> String {
    list.iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn stage(s: &Stage) -> String {
    match &s.kind {
        StageKind::Stats { aggregates, by } => {
            let aggs: Vec<String> = aggregates.iter().map(aggregate).collect();
            let mut out = format!("stats {}", aggs.join(", "));
            if !by.is_empty() {
                out.push_str(&format!(" by {}", names(by)));
            }
            out
        }
        StageKind::Sort(keys) => {
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    let dir = if k.descending { " desc" } else { "" };
                    format!("{}{dir}", k.field.text)
                })
                .collect();
            format!("sort {}", keys.join(", "))
        }
        StageKind::Limit(v) => format!("limit {}", value(v)),
        StageKind::Fields(list) => format!("fields {}", names(list)),
        StageKind::Count { by } if by.is_empty() => "count".to_string(),
        StageKind::Count { by } => format!("count by {}", names(by)),
        StageKind::Top { n, fields, metric } => {
            let mut out = format!("top {} {}", value(n), names(fields));
            if let Some(m) = metric {
                out.push_str(&format!(" by {}", m.text));
            }
            out
        }
        StageKind::TimeChart {
            interval,
            aggregates,
            by,
        } => {
            let aggs: Vec<String> = aggregates.iter().map(aggregate).collect();
            let mut out = format!("timechart {} {}", value(interval), aggs.join(", "));
            if let Some(by) = by {
                out.push_str(&format!(" by {}", by.text));
            }
            out
        }
        StageKind::Lookup { table, key, column } => match column {
            Some(column) => format!("lookup {} on {} = {}", table.text, key.text, column.text),
            None => format!("lookup {} on {}", table.text, key.text),
        },
    }
}

fn aggregate(a: &Aggregate) -> String {
    let arg = a.argument.as_ref().map_or("", |n| n.text.as_str());
    let mut out = format!("{}({arg})", a.function.name());
    if let Some(alias) = &a.alias {
        out.push_str(&format!(" as {}", alias.text));
    }
    out
}

/// A query prints in its canonical form.
impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&canonical(self))
    }
}
