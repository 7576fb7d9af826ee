//! Stage 1: query text -> syntax tree ([`crate::lang::ast`]), using the pest
//! grammar in grammar/flowq.pest.
//!
//! The grammar accepts more than the language (missing values, values with
//! no qualifier, windows in any position) so that this stage can explain
//! each mistake in the user's terms rather than as a list of grammar rules.

use pest::iterators::{Pair, Pairs};
use pest::Parser as _;

use crate::lang::ast::*;
use crate::lang::diagnostic::{Code, Diagnostic};
use crate::lang::limits::{MAX_NESTING, MAX_QUERY_BYTES};
use crate::suggest;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/flowq.pest"]
struct Grammar;

/// The stage names, for messages.
pub const STAGES: [&str; 8] = [
    "stats",
    "timechart",
    "sort",
    "limit",
    "fields",
    "count",
    "top",
    "lookup",
];

/// Parses a whole query.
pub fn parse(text: &str) -> Result<Query, Diagnostic> {
    parse_query(text).map_err(|d| d.with_code(Code::Syntax))
}

fn parse_query(text: &str) -> Result<Query, Diagnostic> {
    check_size(text)?;
    // Also bounds the nesting of parentheses and braces, so that pest,
    // which recurses once per level, never goes deeper than the limit.
    check_brackets(text)?;
    let mut pairs = Grammar::parse(Rule::query, text).map_err(|e| from_pest(e, text))?;
    let query = pairs.next().expect("the query rule always yields one pair");
    let mut filter = None;
    let mut stages = Vec::new();
    for pair in query.into_inner() {
        match pair.as_rule() {
            Rule::filter => filter = Some(build_filter(pair, text, 0)?),
            Rule::stage_list => {
                for stage in pair.into_inner() {
                    stages.push(build_stage(stage, text)?);
                }
            }
            _ => {}
        }
    }
    let (filter, window) = match filter {
        Some(term) => split_window(term)?,
        None => (None, None),
    };
    Ok(Query {
        filter,
        window,
        stages,
    })
}

/// Parses the text of one value, as a `--param` value is written: `22`,
/// `{22, 3389}`, `10.0.0.0/8`. Text that is not one value token (say, with
/// spaces or quotes in it) is taken whole as a string, so that a parameter
/// can carry any text to a place that accepts strings.
///
/// A value is never a reference to another parameter: `$name`, alone or in
/// a set, is an error (quoted, `"$name"` is text like any other).
pub fn parse_value(text: &str) -> Result<Value, String> {
    let as_text = || Value {
        kind: ValueKind::Text(text.to_string()),
        span: Span::new(0, text.len()),
    };
    let trimmed = text.trim();
    // Brackets nested past the limit are no value (a set holds no set):
    // refused before pest, which recurses per bracket.
    if check_brackets(trimmed).is_err() {
        return Ok(as_text());
    }
    let parsed = Grammar::parse(Rule::value, trimmed)
        .ok()
        .and_then(|mut pairs| pairs.next())
        .filter(|pair| pair.as_rule() == Rule::value && pair.as_str().len() == trimmed.len())
        .and_then(|pair| build_value(pair).ok());
    let Some(value) = parsed else {
        return Ok(as_text());
    };
    let members = match &value.kind {
        ValueKind::Set(members) => members.as_slice(),
        _ => std::slice::from_ref(&value),
    };
    match members.iter().find(|m| matches!(m.kind, ValueKind::Param(_))) {
        Some(reference) => Err(format!(
            "a parameter value cannot refer to another parameter ('{}'): give the value itself, or quote it (\"{}\") to mean the text",
            crate::lang::print::value(reference),
            crate::lang::print::value(reference),
        )),
        None => Ok(Value {
            span: Span::new(0, text.len()),
            ..value
        }),
    }
}

fn span_of(pair: &Pair<Rule>) -> Span {
    Span::new(pair.as_span().start(), pair.as_span().end())
}

// ------------------------------------------------------------------ filter

/// The filter before windows are taken out of it: windows and stray values
/// are operands here, so that their placement can be judged with context.
/// `And` and `Or` hold two or more operands, none of them the same operator.
enum Term {
    And(Vec<Term>),
    Or(Vec<Term>),
    Not(Box<Term>),
    Group(Box<Term>),
    Predicate(Predicate),
    Window(Window),
    Stray(Value),
}

impl Term {
    fn all(mut parts: Vec<Term>) -> Term {
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Term::And(parts)
        }
    }

    fn any(mut parts: Vec<Term>) -> Term {
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Term::Or(parts)
        }
    }
}

/// Builds a filter from the flat list pest gives for it: `not`s, operands
/// and the operators between them, with `not` binding tighter than `and`
/// (or two operands side by side), and `and` tighter than `or`. One pass
/// over the list: a chain of any width is a loop, not a recursion. Only a
/// parenthesised group recurses, once per level; `depth` is the nesting
/// (parentheses and `not`s) around this filter, which never passes
/// MAX_NESTING.
fn build_filter(pair: Pair<Rule>, text: &str, depth: usize) -> Result<Term, Diagnostic> {
    let mut alternatives = Vec::new();
    let mut conjuncts = Vec::new();
    let mut nots = 0;
    for item in pair.into_inner() {
        match item.as_rule() {
            Rule::not_op => {
                nots += 1;
                if depth + nots > MAX_NESTING {
                    return Err(too_deep(span_of(&item)));
                }
            }
            Rule::or_op => alternatives.push(Term::all(std::mem::take(&mut conjuncts))),
            Rule::and_op | Rule::juxtaposed => {}
            _ => {
                let mut term = build_operand(item, text, depth + nots)?;
                for _ in 0..std::mem::take(&mut nots) {
                    term = Term::Not(Box::new(term));
                }
                conjuncts.push(term);
            }
        }
    }
    alternatives.push(Term::all(conjuncts));
    Ok(Term::any(alternatives))
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("the query nests deeper than {MAX_NESTING} levels (parentheses, sets and 'not' together)"),
    )
    .with_help("flatten it: 'not not a' is 'a', and '(a and (b and c))' is 'a and b and c'")
}

fn build_operand(pair: Pair<Rule>, text: &str, depth: usize) -> Result<Term, Diagnostic> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::group => {
            if depth >= MAX_NESTING {
                return Err(too_deep(Span::new(span.start, span.start + 1)));
            }
            match pair.into_inner().next() {
                Some(inner) => Ok(Term::Group(Box::new(build_filter(inner, text, depth + 1)?))),
                None => Err(Diagnostic::error(span, "empty parentheses")
                    .with_help("put a predicate inside, or remove them")),
            }
        }
        Rule::window => build_window(pair, text).map(Term::Window),
        Rule::comparison => build_comparison(pair, text).map(Term::Predicate),
        Rule::predicate => build_predicate(pair, text).map(Term::Predicate),
        Rule::bare_word => {
            let word = if pair.as_str().eq_ignore_ascii_case("accept") {
                ActionWord::Accept
            } else {
                ActionWord::Reject
            };
            Ok(Term::Predicate(Predicate {
                kind: PredicateKind::Action(word),
                span,
            }))
        }
        Rule::stray_value => {
            let value = pair.into_inner().next().expect("stray_value holds a value");
            Ok(Term::Stray(build_value(value)?))
        }
        rule => unreachable!("operand rule {rule:?}"),
    }
}

fn build_predicate(pair: Pair<Rule>, text: &str) -> Result<Predicate, Diagnostic> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let qualifier_pair = inner.next().expect("predicate starts with a qualifier");
    let qualifier = Qualifier::from_keyword(qualifier_pair.as_str())
        .expect("the grammar only matches known qualifiers");
    let value = match inner.next() {
        Some(value) => build_value(value)?,
        None => {
            return Err(missing(
                text,
                span_of(&qualifier_pair).end,
                qualifier.expects(),
                qualifier.keyword(),
            ))
        }
    };
    Ok(Predicate {
        kind: PredicateKind::Qualified { qualifier, value },
        span,
    })
}

fn build_comparison(pair: Pair<Rule>, text: &str) -> Result<Predicate, Diagnostic> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let field = name(inner.next().expect("comparison starts with a field"));
    let op_pair = inner.next().expect("comparison has an operator");
    let op = CmpOp::from_symbol(op_pair.as_str()).expect("the grammar only matches operators");
    let value = match inner.next() {
        Some(value) => build_value(value)?,
        None => {
            let after = format!("{} {}", field.text, op_pair.as_str());
            return Err(missing(text, span_of(&op_pair).end, "a value", &after));
        }
    };
    Ok(Predicate {
        kind: PredicateKind::Compare { field, op, value },
        span,
    })
}

/// "expected X after 'Y'", pointing at what stands there instead.
fn missing(text: &str, after: usize, expected: &str, keyword: &str) -> Diagnostic {
    let (span, found) = next_token(text, after);
    let message = match found {
        Some(found) => format!(
            "expected {expected} after '{keyword}', found {}",
            shown(found)
        ),
        None => format!("expected {expected} after '{keyword}'"),
    };
    Diagnostic::error(span, message)
}

/// The whitespace-delimited token at or after `offset`, for "found ..." in
/// messages; at the end of the text, an empty span there. Whitespace is
/// what the grammar skips: a no-break space is a token of its own, as is
/// any character no one can see.
fn next_token(text: &str, offset: usize) -> (Span, Option<&str>) {
    let offset = offset.min(text.len());
    let rest = &text[offset..];
    let start = offset + (rest.len() - rest.trim_start_matches(is_blank).len());
    let token: &str = text[start..].split(is_blank).next().unwrap_or("");
    let first = token.chars().next().map_or(0, char::len_utf8);
    let token = if token.len() > first
        && (token.starts_with('(') || token.starts_with(')') || is_invisible(token.chars().next()))
    {
        &token[..first]
    } else {
        token
    };
    if token.is_empty() {
        // Nothing follows: point just after what came before.
        (Span::new(offset, offset), None)
    } else {
        (Span::new(start, start + token.len()), Some(token))
    }
}

/// The grammar's WHITESPACE.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A character that shows as nothing or as a plain space: controls, other
/// spaces, zero-width and direction marks. Often pasted in with a query.
fn is_invisible(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_control()
            || (c.is_whitespace() && !is_blank(c))
            || matches!(c, '\u{AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
    })
}

/// A found token as messages show it: quoted, or for a character no one
/// can see (or a lone non-ASCII one), its code point and name.
fn shown(token: &str) -> String {
    let mut chars = token.chars();
    let first = chars.next();
    let lone = chars.next().is_none();
    match first {
        Some(c) if is_invisible(Some(c)) => {
            let name = INVISIBLE_NAMES
                .iter()
                .find(|(code, _)| *code == c)
                .map_or(String::new(), |(_, name)| format!(" ({name})"));
            format!("invisible character U+{:04X}{name}", u32::from(c))
        }
        Some(c) if lone && !c.is_ascii() => format!("'{token}' (U+{:04X})", u32::from(c)),
        _ => format!("'{token}'"),
    }
}

/// Names of the invisible characters most often pasted into a query.
const INVISIBLE_NAMES: &[(char, &str)] = &[
    ('\u{A0}', "NO-BREAK SPACE"),
    ('\u{AD}', "SOFT HYPHEN"),
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{200C}', "ZERO WIDTH NON-JOINER"),
    ('\u{200D}', "ZERO WIDTH JOINER"),
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{2028}', "LINE SEPARATOR"),
    ('\u{202F}', "NARROW NO-BREAK SPACE"),
    ('\u{2060}', "WORD JOINER"),
    ('\u{3000}', "IDEOGRAPHIC SPACE"),
    ('\u{FEFF}', "BYTE ORDER MARK"),
];

// ------------------------------------------------------------------ windows

/// Takes the window out of the top-level conjunction, or from either end
/// of a top-level `or`; a window anywhere else has no single meaning (what
/// would `not last 1h` scan?) and is an error, as are two windows and
/// values without a qualifier.
fn split_window(term: Term) -> Result<(Option<Expr>, Option<Window>), Diagnostic> {
    let parts = match scope_edge_windows(term) {
        Term::And(parts) => parts,
        other => vec![other],
    };
    let mut window: Option<Window> = None;
    let mut filters = Vec::new();
    for (i, part) in parts.iter().enumerate().skip(1) {
        reject_stray(part, &parts[i - 1], "and")?;
    }
    for part in parts {
        match part {
            Term::Window(w) if window.is_some() => {
                return Err(
                    Diagnostic::error(w.span, "a query has at most one time window")
                        .with_help("combine them into one, e.g. 'since T until T'"),
                )
            }
            Term::Window(w) => window = Some(w),
            other => filters.push(lower(other)?),
        }
    }
    let filter = (!filters.is_empty()).then(|| Expr::and(filters));
    Ok((filter, window))
}

/// A window that stands last in a filter whose top level is `or` (`a or b
/// last 1h`), or first (`last 1h a or b`), applies to the whole filter, as
/// a time picker does: it is taken out of the `or`'s last (or first)
/// operand and joined to the whole `or`, which reads `(a or b) last 1h`.
/// It must share its operand with a predicate: `a or last 1h` stays an
/// error, as does a window anywhere else in the `or`.
fn scope_edge_windows(term: Term) -> Term {
    let Term::Or(mut alternatives) = term else {
        return term;
    };
    let mut windows = Vec::new();
    let last = alternatives.len() - 1;
    for at in [last, 0] {
        let Term::And(conjuncts) = &mut alternatives[at] else {
            continue;
        };
        let edge = if at == last { conjuncts.len() - 1 } else { 0 };
        if matches!(conjuncts[edge], Term::Window(_)) {
            windows.push(conjuncts.remove(edge));
            if conjuncts.len() == 1 {
                alternatives[at] = conjuncts.pop().expect("one conjunct");
            }
        }
    }
    if windows.is_empty() {
        return Term::Or(alternatives);
    }
    // The first window first, so that a second is the one reported.
    windows.reverse();
    let mut parts = vec![Term::Or(alternatives)];
    parts.extend(windows);
    Term::And(parts)
}

/// Lowers a term that must not contain a window. Recurses once per level
/// of nesting (at most MAX_NESTING); a chain's operands are a loop.
fn lower(term: Term) -> Result<Expr, Diagnostic> {
    match term {
        Term::Window(w) => Err(misplaced_window(w.span)),
        Term::Group(inner) => lower(*inner),
        Term::Not(inner) => Ok(Expr::Not(Box::new(lower(*inner)?))),
        Term::And(parts) => lower_all(parts, "and").map(Expr::and),
        Term::Or(parts) => lower_all(parts, "or").map(Expr::or),
        Term::Predicate(p) => Ok(Expr::Predicate(p)),
        Term::Stray(value) => Err(stray(&value, None, "")),
    }
}

fn lower_all(parts: Vec<Term>, op: &str) -> Result<Vec<Expr>, Diagnostic> {
    for (i, part) in parts.iter().enumerate().skip(1) {
        reject_stray(part, &parts[i - 1], op)?;
    }
    parts.into_iter().map(lower).collect()
}

fn misplaced_window(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        "a time window applies to the whole query and cannot stand inside 'or', 'not' or parentheses",
    )
    .with_help("put the window first or last in the query, where it applies to the whole filter: 'a or b last 1h'")
}

/// A value with no qualifier at the start of `rhs`, the operand after `op`
/// (in `dport 22 or 23 last 1h`, the `23` that starts `23 last 1h`).
fn reject_stray(rhs: &Term, lhs: &Term, op: &str) -> Result<(), Diagnostic> {
    let first = match rhs {
        Term::And(parts) if op == "or" => parts.first(),
        other => Some(other),
    };
    match first {
        Some(Term::Stray(value)) => Err(stray(value, rightmost_predicate(lhs), op)),
        _ => Ok(()),
    }
}

/// Explains a value that follows an operator with no qualifier of its own,
/// as in `dport 22 or 23`: unlike pcap-filter, qualifiers do not carry over.
fn stray(value: &Value, previous: Option<&Predicate>, op: &str) -> Diagnostic {
    let shown = crate::lang::print::value(value);
    let error = Diagnostic::error(value.span, format!("'{shown}' has no qualifier"));
    match previous.map(|p| &p.kind) {
        Some(PredicateKind::Qualified {
            qualifier,
            value: previous,
        }) if op == "or" => {
            let q = qualifier.keyword();
            let prev = crate::lang::print::value(previous);
            error.with_help(format!(
                "qualifiers do not carry over '{op}': write '{q} {{{prev}, {shown}}}' or '{q} {prev} or {q} {shown}'"
            ))
        }
        Some(PredicateKind::Qualified { qualifier, .. }) => {
            let q = qualifier.keyword();
            error.with_help(format!(
                "each value needs its qualifier: write '{q} {shown}', or a set '{q} {{..., {shown}}}'"
            ))
        }
        _ => error.with_help(
            "start each predicate with a qualifier or a field, e.g. 'dport 22' or 'bytes > 1M'",
        ),
    }
}

/// The predicate just before an operator: a loop down the right edge,
/// no deeper than the nesting.
fn rightmost_predicate(mut term: &Term) -> Option<&Predicate> {
    loop {
        term = match term {
            Term::Predicate(p) => return Some(p),
            Term::And(parts) | Term::Or(parts) => parts.last()?,
            Term::Not(inner) | Term::Group(inner) => inner,
            Term::Window(_) | Term::Stray(_) => return None,
        };
    }
}

fn build_window(pair: Pair<Rule>, text: &str) -> Result<Window, Diagnostic> {
    let span = span_of(&pair);
    let form = pair.into_inner().next().expect("window has one form");
    let rule = form.as_rule();
    if rule == Rule::all_time {
        return Ok(Window {
            kind: WindowKind::AllTime,
            span,
        });
    }
    let parts = keyword_values(form.into_inner(), text)?;
    let kind = match (rule, parts.as_slice()) {
        (Rule::last_window, [v]) => WindowKind::Last(v.clone()),
        (Rule::since_window, [v]) => WindowKind::Since(v.clone()),
        (Rule::since_window, [a, b]) => WindowKind::SinceUntil(a.clone(), b.clone()),
        (Rule::until_window, [v]) => WindowKind::Until(v.clone()),
        (Rule::between_window, [a, b]) => WindowKind::Between(a.clone(), b.clone()),
        (Rule::between_window, [_]) => {
            return Err(missing(
                text,
                span.end,
                "'and' and the end time",
                "between T",
            ))
        }
        (Rule::on_window, [v]) => WindowKind::On(v.clone()),
        (rule, parts) => unreachable!("window {rule:?} with {} values", parts.len()),
    };
    Ok(Window { kind, span })
}

/// The values of a window form, each required after its keyword.
fn keyword_values(pairs: Pairs<Rule>, text: &str) -> Result<Vec<Value>, Diagnostic> {
    let mut values = Vec::new();
    let mut keyword: Option<Pair<Rule>> = None;
    for pair in pairs {
        if pair.as_rule() == Rule::value {
            values.push(build_value(pair)?);
            keyword = None;
        } else {
            if let Some(kw) = keyword.take() {
                return Err(missing_window_value(&kw, text));
            }
            keyword = Some(pair);
        }
    }
    match keyword {
        Some(kw) => Err(missing_window_value(&kw, text)),
        None => Ok(values),
    }
}

fn missing_window_value(keyword: &Pair<Rule>, text: &str) -> Diagnostic {
    let word = keyword.as_str().to_ascii_lowercase();
    let expected = if word == "last" {
        "a duration like 2h or 30m"
    } else if word == "on" {
        "a date like 2026-11-26"
    } else {
        "a time like 2026-11-26T10:00:00Z or a date"
    };
    missing(text, span_of(keyword).end, expected, &word)
}

// ------------------------------------------------------------------ values

fn build_value(pair: Pair<Rule>) -> Result<Value, Diagnostic> {
    let span = span_of(&pair);
    let inner = pair.into_inner().next().expect("value has one form");
    let kind = match inner.as_rule() {
        Rule::bare => ValueKind::Word(inner.as_str().to_string()),
        Rule::param => ValueKind::Param(inner.as_str()[1..].to_string()),
        Rule::list_ref => ValueKind::List(inner.as_str()[1..].to_string()),
        Rule::string => {
            let raw = inner.into_inner().next().map_or("", |p| p.as_str());
            ValueKind::Text(unescape(raw))
        }
        Rule::set => {
            let mut members = Vec::new();
            for member in inner.into_inner() {
                let member = build_value(member)?;
                if matches!(member.kind, ValueKind::Set(_)) {
                    return Err(Diagnostic::error(member.span, "sets cannot be nested")
                        .with_help("list every member in one set: {a, b, c}"));
                }
                members.push(member);
            }
            if members.is_empty() {
                return Err(Diagnostic::error(span, "empty set")
                    .with_help("a set needs at least one member: {22, 3389}"));
            }
            ValueKind::Set(members)
        }
        rule => unreachable!("value rule {rule:?}"),
    };
    Ok(Value { kind, span })
}

/// A backslash takes the next character literally.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn name(pair: Pair<Rule>) -> Name {
    Name {
        text: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

// ------------------------------------------------------------------ stages

fn build_stage(pair: Pair<Rule>, text: &str) -> Result<Stage, Diagnostic> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
    let kind = match rule {
        Rule::stats => {
            let mut aggregates = Vec::new();
            let mut by = Vec::new();
            for part in inner {
                match part.as_rule() {
                    Rule::aggregate => aggregates.push(build_aggregate(part)),
                    _ => by = by_fields(part),
                }
            }
            StageKind::Stats { aggregates, by }
        }
        Rule::sort => StageKind::Sort(
            inner
                .map(|key| {
                    let mut parts = key.into_inner();
                    let field = name(parts.next().expect("sort key has a field"));
                    let descending = parts
                        .next()
                        .is_some_and(|d| d.as_str().eq_ignore_ascii_case("desc"));
                    SortKey { field, descending }
                })
                .collect(),
        ),
        Rule::limit => StageKind::Limit(build_value(inner.next().expect("limit has a value"))?),
        Rule::fields => StageKind::Fields(field_list(inner.next().expect("fields has a list"))),
        Rule::count => StageKind::Count {
            by: inner.next().map(by_fields).unwrap_or_default(),
        },
        Rule::top => {
            let n = build_value(inner.next().expect("top has a count"))?;
            let fields = field_list(inner.next().expect("top has fields"));
            let metric = inner
                .next()
                .map(|by| name(by.into_inner().nth(1).expect("top by has a field")));
            StageKind::Top { n, fields, metric }
        }
        Rule::timechart => {
            let interval = build_value(inner.next().expect("timechart has an interval"))?;
            let mut aggregates = Vec::new();
            let mut by = None;
            for part in inner {
                match part.as_rule() {
                    Rule::aggregate => aggregates.push(build_aggregate(part)),
                    _ => by = part.into_inner().nth(1).map(name),
                }
            }
            StageKind::TimeChart {
                interval,
                aggregates,
                by,
            }
        }
        Rule::lookup => {
            let table = name(inner.next().expect("lookup has a table"));
            let key = name(inner.next().expect("lookup has a key"));
            let column = inner.next().map(name);
            StageKind::Lookup { table, key, column }
        }
        Rule::unknown_stage => return Err(unknown_stage(span, text)),
        rule => unreachable!("stage rule {rule:?}"),
    };
    Ok(Stage { kind, span })
}

/// A stage the grammar could not read. A stage name it knows means the
/// stage's arguments are wrong, which is said in the stage's terms; any
/// other word is an unknown stage.
fn unknown_stage(span: Span, text: &str) -> Diagnostic {
    let body = &text[span.start..span.end];
    let word_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(body.len());
    let word = &body[..word_len];
    let stage = word.to_ascii_lowercase();
    if STAGES.contains(&stage.as_str()) {
        return bad_stage_arguments(&stage, span.start + word_len, span.end, text);
    }
    let word_span = Span::new(span.start, span.start + word.len());
    let error = Diagnostic::error(word_span, format!("unknown stage '{word}'"));
    match suggest::closest(word, STAGES) {
        Some(stage) => error.with_help(format!("did you mean '{stage}'?")),
        None => error.with_help(format!("the stages are: {}", STAGES.join(", "))),
    }
}

/// Explains why the arguments of `stage` (from `start` to `end` in the
/// text) do not read: none given, SQL's `count(*)`, an unknown aggregate,
/// a quoted field name, or else what was expected where.
fn bad_stage_arguments(stage: &str, start: usize, end: usize, text: &str) -> Diagnostic {
    let rest = &text[start..end];
    let (needs, example) = match stage {
        "timechart" => (
            "an interval and an aggregate",
            "e.g. 'timechart 5m count() by action' or 'timechart 1h sum(bytes)'",
        ),
        "stats" => (
            "an aggregate",
            "e.g. 'stats count() by dport' or 'stats sum(bytes) as bytes by srcaddr'",
        ),
        "fields" => ("a list of fields", "e.g. 'fields srcaddr, dstaddr, bytes'"),
        "top" => (
            "a count and fields",
            "e.g. 'top 10 srcaddr' or 'top 5 srcaddr, dstaddr by packets'",
        ),
        "sort" => ("a field", "e.g. 'sort bytes desc'"),
        "limit" => ("a number", "e.g. 'limit 100'"),
        "lookup" => (
            "a table and 'on' a key field",
            "e.g. 'lookup enis on interface-id'",
        ),
        _ => ("'by' and fields", "e.g. 'count by dport'"),
    };
    if rest.trim_matches(is_blank).is_empty() {
        return Diagnostic::error(Span::new(start, start), format!("'{stage}' needs {needs}"))
            .with_help(example);
    }
    if let Some(d) = known_argument_mistake(stage, start, rest) {
        return d;
    }
    if stage == "lookup" {
        if let Some(d) = lookup_without_on(start, end, text) {
            return d;
        }
    }
    let (span, found) = next_token(text, start);
    let found = found.map_or_else(String::new, |f| format!(", found {}", shown(f)));
    Diagnostic::error(span, format!("expected {needs} after '{stage}'{found}")).with_help(example)
}

/// `lookup enis interface-id`: a table name, then something other than
/// `on` (or nothing): say that `on` is missing, where it belongs.
fn lookup_without_on(start: usize, end: usize, text: &str) -> Option<Diagnostic> {
    let (table_span, table) = next_token(&text[..end], start);
    let table = table?;
    let is_name = table
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !is_name {
        return None;
    }
    let (span, found) = next_token(&text[..end], table_span.end);
    if found.is_some_and(|w| w.eq_ignore_ascii_case("on")) {
        let (key_span, key) = next_token(&text[..end], span.end);
        return key.is_none().then(|| {
            Diagnostic::error(key_span, format!("expected a field after 'lookup {table} on'"))
                .with_help(format!(
                    "name the column of the rows the table is joined on, e.g. 'lookup {table} on interface-id'"
                ))
        });
    }
    let found = found.map_or_else(String::new, |f| format!(", found {}", shown(f)));
    Some(
        Diagnostic::error(span, format!("expected 'on' after 'lookup {table}'{found}")).with_help(
            format!("name the key the table is joined on, e.g. 'lookup {table} on interface-id'"),
        ),
    )
}

/// SQL habits in a stage's arguments (`rest`, at `start` in the text):
/// `count(*)`, an unknown aggregate, a quoted field name.
fn known_argument_mistake(stage: &str, start: usize, rest: &str) -> Option<Diagnostic> {
    if stage == "stats" || stage == "timechart" {
        if let Some(d) = calls_in(rest)
            .into_iter()
            .find_map(|call| bad_aggregate(call, start, rest))
        {
            return Some(d);
        }
    }
    let (at, quoted) = first_quoted(rest)?;
    let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
    Some(
        Diagnostic::error(
            Span::new(start + at, start + at + quoted.len()),
            format!("'{stage}' takes field names, not quoted text"),
        )
        .with_help(format!("write '{stage} {inner}'")),
    )
}

/// The stage the text at `at` belongs to: its name and where its
/// arguments start and end. Pipes inside quotes and comments do not count.
fn stage_around(text: &str, at: usize) -> Option<(String, usize, usize)> {
    let mut pipes = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            None if c == '|' && text[i..].starts_with("||") => {
                chars.next();
            }
            None if c == '|' => pipes.push(i),
            None => {}
        }
    }
    let pipe = pipes.iter().rev().find(|&&p| p < at)?;
    let end = pipes
        .iter()
        .find(|&&p| p > at)
        .copied()
        .unwrap_or(text.len());
    let body = &text[pipe + 1..end];
    let name_start = pipe + 1 + (body.len() - body.trim_start_matches(is_blank).len());
    let name_len = text[name_start..end]
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(end - name_start);
    let name = text[name_start..name_start + name_len].to_ascii_lowercase();
    STAGES
        .contains(&name.as_str())
        .then_some((name, name_start + name_len, end))
}

/// Each `name(args)` in a stage's text: (offset of the name, name, args).
fn calls_in(rest: &str) -> Vec<(usize, &str, &str)> {
    let mut calls = Vec::new();
    let mut from = 0;
    while let Some(open) = rest[from..].find('(').map(|i| from + i) {
        let name_start = rest[..open]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let close = rest[open..].find(')').map_or(rest.len(), |i| open + i);
        calls.push((
            name_start,
            &rest[name_start..open],
            rest[open + 1..close].trim_matches(is_blank),
        ));
        from = (close + 1).min(rest.len());
        if from >= rest.len() {
            break;
        }
    }
    calls
}

/// The error for an aggregate call the grammar refused, if that is why.
fn bad_aggregate(
    (at, name, args): (usize, &str, &str),
    start: usize,
    rest: &str,
) -> Option<Diagnostic> {
    let call_end = rest[at..].find(')').map_or(rest.len(), |i| at + i + 1);
    if name.is_empty() {
        return None;
    }
    if AggFn::from_name(name).is_none() {
        let names: Vec<&str> = AggFn::ALL.iter().map(|f| f.name()).collect();
        return Some(
            Diagnostic::error(
                Span::new(start + at, start + at + name.len()),
                format!("unknown aggregate '{name}'"),
            )
            .with_help(format!("the aggregates are {}", names.join(", "))),
        );
    }
    (args == "*").then(|| {
        let span = Span::new(start + at, start + call_end);
        if name.eq_ignore_ascii_case("count") {
            Diagnostic::error(span, "count(*) is written count() in flowq")
                .with_help("count() counts rows; count(F) counts rows where F is not null")
        } else {
            Diagnostic::error(span, format!("'{name}' takes a field, not '*'"))
                .with_help(format!("e.g. {name}(bytes)"))
        }
    })
}

/// The first quoted string in a stage's text: (offset, text with quotes).
fn first_quoted(rest: &str) -> Option<(usize, &str)> {
    let at = rest.find(['"', '\''])?;
    let quote = rest[at..].chars().next()?;
    let len = rest[at + 1..]
        .find(quote)
        .map_or(rest.len() - at, |i| i + 2);
    Some((at, &rest[at..at + len]))
}

fn build_aggregate(pair: Pair<Rule>) -> Aggregate {
    let span = span_of(&pair);
    let mut function = AggFn::Count;
    let mut argument = None;
    let mut alias = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::agg_fn => {
                function = AggFn::from_name(part.as_str()).expect("grammar matches known functions")
            }
            Rule::field_name => argument = Some(name(part)),
            Rule::ident => alias = Some(name(part)),
            _ => {}
        }
    }
    Aggregate {
        function,
        argument,
        alias,
        span,
    }
}

fn by_fields(pair: Pair<Rule>) -> Vec<Name> {
    field_list(pair.into_inner().nth(1).expect("by has a list"))
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_stats
            | Rule::kw_timechart
            | Rule::kw_sort
            | Rule::kw_limit
            | Rule::kw_fields
            | Rule::kw_count
            | Rule::kw_top
            | Rule::kw_by
            | Rule::kw_as
            | Rule::kw_lookup
            | Rule::kw_on
    )
}

fn field_list(pair: Pair<Rule>) -> Vec<Name> {
    pair.into_inner().map(name).collect()
}

// ------------------------------------------------------------------ errors

/// Refuses text past MAX_QUERY_BYTES, pointing at the first byte past it.
fn check_size(text: &str) -> Result<(), Diagnostic> {
    if text.len() <= MAX_QUERY_BYTES {
        return Ok(());
    }
    let mut at = MAX_QUERY_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let width = text[at..].chars().next().map_or(0, char::len_utf8);
    Err(Diagnostic::error(
        Span::new(at, at + width),
        format!(
            "the query is {} bytes; the limit is {MAX_QUERY_BYTES} (64 KiB)",
            text.len()
        ),
    )
    .with_help("use sets ('dport {22, 80, 443}') or a parameter for long lists of values"))
}

/// Reports an unclosed or unmatched bracket where it is, which pest would
/// only notice at the end of the text, and brackets nested deeper than
/// MAX_NESTING. One pass that skips quoted text and comments as the
/// grammar does, before pest (which recurses per bracket) sees the text.
fn check_brackets(text: &str) -> Result<(), Diagnostic> {
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == '\\' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '#' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '{' if open.len() >= MAX_NESTING => {
                return Err(too_deep(Span::new(i, i + 1)));
            }
            '(' | '{' => open.push((c, i)),
            ')' | '}' => {
                let expected = if c == ')' { '(' } else { '{' };
                match open.pop() {
                    Some((o, _)) if o == expected => {}
                    Some((o, at)) => {
                        return Err(Diagnostic::error(
                            Span::new(i, i + 1),
                            format!("'{c}' closes the '{o}' at offset {at}"),
                        )
                        .with_help(format!("close it with '{}' first", closing(o))))
                    }
                    None => {
                        return Err(Diagnostic::error(
                            Span::new(i, i + 1),
                            format!("unmatched '{c}'"),
                        )
                        .with_help(format!("remove it, or open it with '{expected}'")))
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(q) = quote {
        let at = text.rfind(q).unwrap_or(0);
        return Err(Diagnostic::error(Span::new(at, at + 1), "unclosed quote")
            .with_help(format!("end the string with {q}")));
    }
    match open.pop() {
        Some((o, at)) => Err(
            Diagnostic::error(Span::new(at, at + 1), format!("unclosed '{o}'"))
                .with_help(format!("close it with '{}'", closing(o))),
        ),
        None => Ok(()),
    }
}

fn closing(open: char) -> char {
    if open == '(' {
        ')'
    } else {
        '}'
    }
}

fn from_pest(error: pest::error::Error<Rule>, text: &str) -> Diagnostic {
    let at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => describe(positives),
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let before = text[..at.min(text.len())].trim_end();
    if before.ends_with('|') {
        let (span, _) = next_token(text, before.len());
        let stages = STAGES.join(", ");
        return Diagnostic::error(span, format!("expected a stage after '|' ({stages})"));
    }
    if let Some((stage, start, end)) = stage_around(text, at) {
        if let Some(d) = known_argument_mistake(&stage, start, &text[start..end]) {
            return d;
        }
    }
    let (span, found) = next_token(text, at);
    if found.is_some_and(|f| f.starts_with('(')) && ends_with_stage(before, "count") {
        return Diagnostic::error(span, "'count' takes no parentheses")
            .with_help("write '| count' to count records, or '| stats count() by F'");
    }
    let message = match found {
        Some(found) => format!("unexpected {}", shown(found)),
        None => "unexpected end of query".to_string(),
    };
    let diagnostic = Diagnostic::error(span, message);
    if found.is_some_and(|f| is_invisible(f.chars().next())) {
        diagnostic.with_help(
            "delete it or type a plain space: invisible characters often come with copied text",
        )
    } else if expected.is_empty() {
        diagnostic
    } else {
        diagnostic.with_help(format!("expected {expected}"))
    }
}

/// Whether `before` ends with the stage `| name`.
fn ends_with_stage(before: &str, name: &str) -> bool {
    let lower = before.to_ascii_lowercase();
    lower
        .strip_suffix(name)
        .is_some_and(|rest| rest.trim_end_matches(is_blank).ends_with('|'))
}

/// Names grammar rules the way the docs do.
fn describe(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for rule in rules {
        let name = match rule {
            Rule::EOI => "the end of the query",
            Rule::aggregate | Rule::agg_fn => "an aggregate like count() or sum(bytes)",
            Rule::field_name | Rule::field_list | Rule::sort_key | Rule::sort_name => {
                "a field name"
            }
            Rule::ident => "a name",
            Rule::value
            | Rule::set
            | Rule::param
            | Rule::list_ref
            | Rule::list_name
            | Rule::string
            | Rule::bare => "a value",
            Rule::stage_list
            | Rule::stats
            | Rule::sort
            | Rule::limit
            | Rule::fields
            | Rule::count
            | Rule::top
            | Rule::lookup
            | Rule::unknown_stage => "a stage (stats, sort, limit, fields, count, top, lookup)",
            Rule::lookup_table => "a lookup table name",
            Rule::and_op | Rule::or_op | Rule::juxtaposed => "'and', 'or' or another predicate",
            Rule::direction => "'asc' or 'desc'",
            Rule::cmp_op => "a comparison operator",
            Rule::by_fields | Rule::top_by => "'by'",
            _ => "a predicate",
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).unwrap_err().message
    }

    #[test]
    fn not_binds_tighter_than_and_than_or() {
        let q = parse("not dport 22 src 10.0.0.1 or accept").unwrap();
        let Expr::Or(alternatives) = q.filter.unwrap() else {
            panic!("expected or");
        };
        assert_eq!(alternatives.len(), 2);
        assert!(matches!(alternatives[1], Expr::Predicate(_)));
        let Expr::And(conjuncts) = &alternatives[0] else {
            panic!("expected and, got {:?}", alternatives[0]);
        };
        assert_eq!(conjuncts.len(), 2);
        assert!(matches!(conjuncts[0], Expr::Not(_)));
        assert!(matches!(conjuncts[1], Expr::Predicate(_)));
    }

    /// `a and b and c`, `(a and b) and c` and `a and (b and c)` are one
    /// list of three: a chain is never a deep tree.
    #[test]
    fn chains_are_lists_whatever_their_parentheses() {
        for text in [
            "dport 1 and dport 2 and dport 3",
            "(dport 1 and dport 2) and dport 3",
            "dport 1 and (dport 2 and dport 3)",
            "dport 1 dport 2 && (dport 3)",
        ] {
            let filter = parse(text).unwrap().filter.unwrap();
            assert!(
                matches!(&filter, Expr::And(parts) if parts.len() == 3),
                "{text}: {filter:?}"
            );
        }
        let filter = parse("(dport 1 or dport 2) or (dport 3 || dport 4)")
            .unwrap()
            .filter
            .unwrap();
        assert!(
            matches!(&filter, Expr::Or(parts) if parts.len() == 4),
            "{filter:?}"
        );
        let mixed = parse("(dport 1 or dport 2) and dport 3")
            .unwrap()
            .filter
            .unwrap();
        assert!(
            matches!(&mixed, Expr::And(parts) if matches!(&parts[0], Expr::Or(p) if p.len() == 2))
        );
    }

    #[test]
    fn window_is_taken_from_the_top_level() {
        let q = parse("dport 22 last 2h and reject").unwrap();
        assert!(matches!(q.window.unwrap().kind, WindowKind::Last(_)));
        assert!(matches!(q.filter.unwrap(), Expr::And(parts) if parts.len() == 2));
    }

    #[test]
    fn nesting_is_refused_past_the_limit_where_it_passes_it() {
        let at_limit = format!(
            "{}dport 22{}",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert!(parse(&at_limit).is_ok());
        let e = parse(&format!("({at_limit})")).unwrap_err();
        assert_eq!((e.span.start, e.span.end), (MAX_NESTING, MAX_NESTING + 1));
        assert!(
            e.message
                .starts_with("the query nests deeper than 256 levels"),
            "{}",
            e.message
        );
        // `not`s count with the parentheses around them.
        let nots = format!("{}dport 22", "not ".repeat(MAX_NESTING));
        assert!(parse(&nots).is_ok());
        let e = parse(&format!("not {nots}")).unwrap_err();
        assert_eq!(e.span.start, 4 * MAX_NESTING);
        let mixed = format!(
            "{}dport 22{}",
            "!(".repeat(MAX_NESTING / 2),
            ")".repeat(MAX_NESTING / 2)
        );
        assert!(parse(&mixed).is_ok());
        let e = parse(&format!("!{mixed}")).unwrap_err();
        assert_eq!(e.span.start, MAX_NESTING);
        // A group past the limit of `not`s and parentheses, pointed at.
        let e = parse(&format!("{}(dport 22)", "not ".repeat(MAX_NESTING))).unwrap_err();
        assert_eq!(
            (e.span.start, e.span.end),
            (4 * MAX_NESTING, 4 * MAX_NESTING + 1)
        );
        // Braces count too, and quoted ones do not.
        let braces = format!(
            "dport {}22{}",
            "{".repeat(MAX_NESTING + 1),
            "}".repeat(MAX_NESTING + 1)
        );
        assert_eq!(parse(&braces).unwrap_err().span.start, 6 + MAX_NESTING);
        let quoted = format!("vpc-id = \"{}\"", "(".repeat(10 * MAX_NESTING));
        assert!(parse(&quoted).is_ok());
    }

    #[test]
    fn text_past_the_size_limit_is_refused_where_it_passes_it() {
        let fits = format!("dport 22 {}", " ".repeat(MAX_QUERY_BYTES - 9));
        assert_eq!(fits.len(), MAX_QUERY_BYTES);
        assert!(parse(&fits).is_ok());
        let e = parse(&format!("{fits} ")).unwrap_err();
        assert_eq!(
            e.message,
            "the query is 65537 bytes; the limit is 65536 (64 KiB)"
        );
        assert_eq!(e.span.start, MAX_QUERY_BYTES);
        // The span starts on a character, even when one straddles the limit.
        let e = parse(&format!("{}é", " ".repeat(MAX_QUERY_BYTES - 1))).unwrap_err();
        assert_eq!(e.span.start, MAX_QUERY_BYTES - 1);
    }

    #[test]
    fn misplaced_windows_are_errors() {
        assert!(err("dport 22 or last 2h").contains("cannot stand inside"));
        assert!(err("not last 2h").contains("cannot stand inside"));
        assert!(err("(dport 22 last 2h)").contains("cannot stand inside"));
        assert!(err("last 2h last 3h").contains("at most one"));
        // Between two predicates joined by `or`, under `not`, in parentheses.
        let e = parse("dport 22 last 1h or dport 23").unwrap_err();
        assert!(e.message.contains("cannot stand inside"), "{}", e.message);
        assert_eq!(e.span.start, 9);
        assert_eq!(
            e.help.as_deref(),
            Some("put the window first or last in the query, where it applies to the whole filter: 'a or b last 1h'")
        );
        assert!(err("dport 22 or not last 1h").contains("cannot stand inside"));
        assert!(err("(dport 22 or dport 23 last 1h)").contains("cannot stand inside"));
        assert!(err("dport 21 or (dport 22 last 1h) or dport 23").contains("cannot stand inside"));
        assert!(err("last 1h dport 22 or dport 23 last 2h").contains("at most one"));
    }

    /// Issue 12: a window that stands first or last in the filter scopes
    /// the whole filter, as a time picker does.
    #[test]
    fn a_window_first_or_last_applies_to_the_whole_filter() {
        let scoped = |filter: &str, window: &str| parse(&format!("({filter}) {window}")).unwrap();
        for (text, filter, window) in [
            (
                "flags rst or flags fin last 12h",
                "flags rst or flags fin",
                "last 12h",
            ),
            (
                "last 12h flags rst or flags fin",
                "flags rst or flags fin",
                "last 12h",
            ),
            (
                "status nodata or status skipdata last 1d",
                "status nodata or status skipdata",
                "last 1d",
            ),
            (
                "dst 3.0.0.0/8 or dst 52.0.0.0/8 and action accept last 2h",
                "dst 3.0.0.0/8 or dst 52.0.0.0/8 and action accept",
                "last 2h",
            ),
            (
                "reject or dport 22 and last 2h",
                "reject or dport 22",
                "last 2h",
            ),
        ] {
            let query = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(query, scoped(filter, window), "{text}");
            // The canonical form keeps the window last, the `or` grouped.
            assert_eq!(
                crate::lang::print::canonical(&query),
                format!("({filter}) {window}")
            );
        }
    }

    #[test]
    fn a_value_without_qualifier_suggests_a_set() {
        let e = parse("dport 22 or 23").unwrap_err();
        assert_eq!(e.message, "'23' has no qualifier");
        assert!(e.help.unwrap().contains("dport {22, 23}"));
        assert_eq!(e.span.start, 12);
    }

    #[test]
    fn missing_values_name_the_qualifier() {
        let e = parse("src and dport 22").unwrap_err();
        assert_eq!(
            e.message,
            "expected an address or CIDR after 'src', found 'and'"
        );
        assert_eq!((e.span.start, e.span.end), (4, 7));
        assert_eq!(
            err("dport"),
            "expected a port, port range or service name after 'dport'"
        );
    }

    #[test]
    fn brackets_are_checked_where_they_are() {
        let e = parse("(dport 22 or dport 23").unwrap_err();
        assert_eq!((e.message.as_str(), e.span.start), ("unclosed '('", 0));
        assert_eq!(err("dport 22)"), "unmatched ')'");
    }

    #[test]
    fn unknown_stages_get_a_suggestion() {
        let e = parse("dport 22 | sotr bytes").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean 'sort'?"));
    }

    /// (message, help, span) of the error for `text`.
    fn error_at(text: &str) -> (String, String, (usize, usize)) {
        let e = parse(text).unwrap_err();
        (
            e.message,
            e.help.unwrap_or_default(),
            (e.span.start, e.span.end),
        )
    }

    #[test]
    fn a_known_stage_with_bad_arguments_says_what_it_needs() {
        let (message, help, span) = error_at("last 1h | stats");
        assert_eq!(message, "'stats' needs an aggregate");
        assert_eq!(
            help,
            "e.g. 'stats count() by dport' or 'stats sum(bytes) as bytes by srcaddr'"
        );
        assert_eq!(span, (15, 15));
        let (message, _, span) = error_at("last 1h | fields");
        assert_eq!(message, "'fields' needs a list of fields");
        assert_eq!(span, (16, 16));
        let (message, _, _) = error_at("last 1h | TOP");
        assert_eq!(message, "'top' needs a count and fields");
        let (message, _, _) = error_at("last 1h | sort");
        assert_eq!(message, "'sort' needs a field");
        let (message, _, _) = error_at("last 1h | limit");
        assert_eq!(message, "'limit' needs a number");
        // What stands there instead, pointed at.
        let (message, help, span) = error_at("last 1h | stats count(*)");
        assert_eq!(message, "count(*) is written count() in flowq");
        assert_eq!(
            help,
            "count() counts rows; count(F) counts rows where F is not null"
        );
        assert_eq!(span, (16, 24));
        let (message, _, span) = error_at("last 1h | stats sum(bytes), count(*) by dport");
        assert_eq!(message, "count(*) is written count() in flowq");
        assert_eq!(span, (28, 36));
        let (message, help, span) = error_at("last 1h | sort \"x\"");
        assert_eq!(message, "'sort' takes field names, not quoted text");
        assert_eq!(help, "write 'sort x'");
        assert_eq!(span, (15, 18));
        let (message, help, _) = error_at("last 1h | fields 'srcaddr', dstport");
        assert_eq!(message, "'fields' takes field names, not quoted text");
        assert_eq!(help, "write 'fields srcaddr'");
        let (message, help, span) = error_at("last 1h | stats total(bytes)");
        assert_eq!(message, "unknown aggregate 'total'");
        assert_eq!(
            help,
            "the aggregates are count, sum, min, max, avg, count_distinct"
        );
        assert_eq!(span, (16, 21));
        let (message, help, span) = error_at("last 1h | count(*)");
        assert_eq!(message, "'count' takes no parentheses");
        assert_eq!(
            help,
            "write '| count' to count records, or '| stats count() by F'"
        );
        assert_eq!(span, (15, 16));
    }

    #[test]
    fn a_value_after_or_without_its_qualifier_suggests_a_set_before_a_window() {
        let (message, help, span) = error_at("dport 22 or 23 last 1h");
        assert_eq!(message, "'23' has no qualifier");
        assert!(help.contains("write 'dport {22, 23}'"), "{help}");
        assert_eq!(span, (12, 14));
        let (_, help, _) = error_at("last 1h src 10.0.0.1 or 10.0.0.2 and reject");
        assert!(help.contains("write 'src {10.0.0.1, 10.0.0.2}'"), "{help}");
    }

    #[test]
    fn an_invisible_character_is_named_by_its_code_point() {
        let (message, _, span) = error_at("dport 22 \u{200b} last 1h");
        assert_eq!(
            message,
            "unexpected invisible character U+200B (ZERO WIDTH SPACE)"
        );
        assert_eq!(span, (9, 12));
        // A no-break space is not whitespace to the grammar: it is what
        // is unexpected, not the word after it.
        let (message, help, span) = error_at("dport 22\u{a0}last 1h");
        assert_eq!(
            message,
            "unexpected invisible character U+00A0 (NO-BREAK SPACE)"
        );
        assert!(
            help.starts_with("delete it or type a plain space"),
            "{help}"
        );
        assert_eq!(span, (8, 10));
        let (message, _, _) = error_at("src\u{200b} 10.0.0.1 last 1h");
        assert_eq!(
            message,
            "unexpected invisible character U+200B (ZERO WIDTH SPACE)"
        );
        let (message, _, span) = error_at("src \u{2063}10.0.0.1");
        assert_eq!(message, "unexpected invisible character U+2063");
        assert_eq!(span, (4, 7));
        let (message, _, _) = error_at("dport 22 é");
        assert_eq!(message, "unexpected 'é' (U+00E9)");
    }

    #[test]
    fn param_values_parse_as_values_or_text() {
        assert!(matches!(parse_value("{22, 23}").unwrap().kind, ValueKind::Set(v) if v.len() == 2));
        assert_eq!(
            parse_value("x' OR '1'='1").unwrap().kind,
            ValueKind::Text("x' OR '1'='1".into())
        );
        let deep = format!("{}22{}", "{".repeat(5_000), "}".repeat(5_000));
        assert_eq!(parse_value(&deep).unwrap().kind, ValueKind::Text(deep));
    }

    #[test]
    fn a_param_value_cannot_name_a_parameter() {
        for text in ["$ssh", " $ssh ", "{22, $ssh}", "{$s,$s,$s}"] {
            let error = parse_value(text).unwrap_err();
            assert!(
                error.starts_with("a parameter value cannot refer to another parameter ('$"),
                "{text}: {error}"
            );
        }
        assert_eq!(
            parse_value("\"$ssh\"").unwrap().kind,
            ValueKind::Text("$ssh".into())
        );
        assert_eq!(
            parse_value("cost $5").unwrap().kind,
            ValueKind::Text("cost $5".into())
        );
    }
}
