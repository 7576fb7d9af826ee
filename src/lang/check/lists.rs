//! Named lists (`@corp-nets`): a value that stands for the entries of a
//! list of the catalog. The lists come in with the parameters (the
//! catalog loads them; this layer never reads a file), and a list stands
//! only where its kind fits: an address list where addresses may stand,
//! a port list where ports may.

use ipnet::IpNet;

use super::values::{addresses, port_ranges};
use super::*;
use crate::lang::ast::{Value, ValueKind};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::NamedList;
use crate::lang::limits::MAX_LIST_VALUES;
use crate::suggest;

impl Checker<'_> {
    /// The networks of `members`, each list expanded to its entries.
    pub(super) fn address_members(
        &mut self,
        members: &[Value],
        wanted_by: &str,
    ) -> Result<Vec<IpNet>, Diagnostic> {
        let (lists, plain) = split_lists(members);
        let mut nets = addresses(&plain)?;
        for value in lists {
            match self.list(value)? {
                NamedList::Addresses(entries) => nets.extend(entries.iter().copied()),
                other => return Err(wrong_kind(value, other, wanted_by, "addresses")),
            }
        }
        Ok(nets)
    }

    /// The port ranges of `members`, each list expanded to its entries.
    pub(super) fn port_members(
        &mut self,
        members: &[Value],
        wanted_by: &str,
    ) -> Result<Vec<(i64, i64)>, Diagnostic> {
        let (lists, plain) = split_lists(members);
        let mut ranges = port_ranges(&plain)?;
        for value in lists {
            match self.list(value)? {
                NamedList::Ports(entries) => ranges.extend(entries.iter().copied()),
                other => return Err(wrong_kind(value, other, wanted_by, "ports")),
            }
        }
        Ok(ranges)
    }

    /// Refuses a list where neither addresses nor ports stand
    /// (`proto @x`, `limit @x`), naming the list's kind.
    pub(super) fn no_lists(
        &mut self,
        members: &[Value],
        wanted_by: &str,
    ) -> Result<(), Diagnostic> {
        let Some(value) = members
            .iter()
            .find(|m| matches!(m.kind, ValueKind::List(_)))
        else {
            return Ok(());
        };
        let list = self.list(value)?;
        Err(wrong_kind(value, list, wanted_by, "no list"))
    }

    /// The list `value` names, counted against the query's limit.
    fn list(&mut self, value: &Value) -> Result<&NamedList, Diagnostic> {
        let ValueKind::List(name) = &value.kind else {
            unreachable!("only list values are looked up")
        };
        let lists = self.ctx.params.lists();
        let Some(list) = lists.get(name) else {
            return Err(unknown_list(name, value, lists.names().collect()));
        };
        if list.is_empty() {
            return Err(Diagnostic::error(
                value.span,
                format!("the list '@{name}' is empty: a test on it would match nothing"),
            )
            .with_help(format!(
                "add entries to lists/{name}.txt, or remove the test"
            )));
        }
        self.list_values += list.len();
        if self.list_values > MAX_LIST_VALUES {
            return Err(Diagnostic::error(
                value.span,
                format!("lists expand to more than {MAX_LIST_VALUES} entries in this query"),
            )
            .with_help("use each list in fewer places, or a smaller list"));
        }
        self.lists_used.insert(name.clone(), list.len());
        Ok(list)
    }
}

/// `@name` members apart from the others.
fn split_lists(members: &[Value]) -> (Vec<&Value>, Vec<Value>) {
    let (lists, plain): (Vec<&Value>, Vec<&Value>) = members
        .iter()
        .partition(|m| matches!(m.kind, ValueKind::List(_)));
    (lists, plain.into_iter().cloned().collect())
}

fn unknown_list(name: &str, value: &Value, known: Vec<&str>) -> Diagnostic {
    let d = Diagnostic::error(value.span, format!("unknown list '@{name}'"));
    let listed = if known.is_empty() {
        "there are no lists: add lists/<name>.txt beside searches/ (docs/catalog.md)".to_string()
    } else {
        let names: Vec<String> = known.iter().map(|n| format!("@{n}")).collect();
        format!("the lists are {}", names.join(", "))
    };
    match suggest::closest(name, known) {
        Some(other) => d.with_help(format!("did you mean '@{other}'? {listed}")),
        None => d.with_help(listed),
    }
}

/// A list of one kind where another is wanted (`wants` is "addresses",
/// "ports" or "no list").
fn wrong_kind(value: &Value, list: &NamedList, wanted_by: &str, wants: &str) -> Diagnostic {
    let name = match &value.kind {
        ValueKind::List(name) => name.as_str(),
        _ => "",
    };
    let message = format!("'@{name}' is a list of {}", list.kind());
    let help = if wants == "no list" {
        format!("'{wanted_by}' takes no list: lists stand for addresses (src, dst, host, ...) and ports (sport, dport, port)")
    } else {
        format!("'{wanted_by}' takes {wants}: use a list of {wants} here")
    };
    Diagnostic::error(value.span, message).with_help(help)
}
