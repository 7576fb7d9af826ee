//! `lookup <table> on <key>`: a lookup table of the catalog joined to the
//! output rows on one of their text columns. The tables come in with the
//! parameters (the catalog loads them; this layer never reads a file).

use super::*;
use crate::lang::ast;
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::{Column, Lookup, OutputColumn, OutputValue};
use crate::schema::FieldType;
use crate::suggest;

impl Checker<'_> {
    /// The lookup of `table` on `key`, a column of `columns` (the output
    /// above the lookup stages); `taken` holds the output's column names
    /// so far, the added ones of earlier lookups included.
    pub(super) fn lookup(
        &self,
        table: &ast::Name,
        key: &ast::Name,
        column: Option<&ast::Name>,
        columns: &[OutputColumn],
        taken: &mut Vec<String>,
    ) -> Result<Lookup, Diagnostic> {
        let lookups = self.ctx.params.lookups();
        let Some(data) = lookups.get(&table.text) else {
            return Err(unknown_table(table, lookups.names().collect()));
        };
        if data.rows.is_empty() {
            return Err(Diagnostic::error(
                table.span,
                format!("the lookup table '{}' has no rows", table.text),
            )
            .with_help(format!(
                "add rows to lookups/{}.csv (or fill it with 'flowq lookup sync'), or remove this stage",
                table.text
            )));
        }
        let key_index = self.lookup_key(key, columns)?;
        let column_span = column.map(|c| c.span);
        let column = match column {
            Some(column) => table_column(table, column, &data.columns)?,
            None => 0,
        };
        let lookup = Lookup {
            table: table.text.clone(),
            key: key_index,
            column,
            data: data.clone(),
        };
        if lookup.entries().is_empty() {
            let span = column_span.unwrap_or(key.span);
            return Err(Diagnostic::error(
                span,
                format!(
                    "the column '{}' of the lookup table '{}' is empty in every row",
                    data.columns[column], table.text
                ),
            )
            .with_help("join on a column that holds values, e.g. the table's first"));
        }
        for name in lookup.added_columns() {
            if taken.iter().any(|t| t == &name) {
                return Err(Diagnostic::error(
                    table.span,
                    format!("the output already has a column named '{name}'"),
                )
                .with_help("look each table up once"));
            }
            taken.push(name);
        }
        Ok(lookup)
    }

    /// The index of the key among the output columns: by its output name
    /// (`interface_id`, an alias) or as a field (`interface-id`, `eni`).
    /// Keys are text: a lookup table holds text.
    fn lookup_key(&self, key: &ast::Name, columns: &[OutputColumn]) -> Result<usize, Diagnostic> {
        let by_name = columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(&key.text));
        let index = match by_name {
            Some(i) => i,
            None => {
                let column = self.column(key)?;
                columns
                    .iter()
                    .position(|c| c.value == OutputValue::Column(column))
                    .ok_or_else(|| not_in_output(key, column, columns))?
            }
        };
        let column = &columns[index];
        match column.value {
            OutputValue::Column(Column::Field(f))
                if matches!(f.ty, FieldType::Text | FieldType::Address) =>
            {
                Ok(index)
            }
            _ => Err(Diagnostic::error(
                key.span,
                format!(
                    "a lookup joins on a text column; '{}' is a number",
                    column.name
                ),
            )
            .with_help("join on a column of ids or addresses, e.g. 'lookup enis on interface-id'")),
        }
    }
}

/// The index of `column` among the table's columns.
fn table_column(
    table: &ast::Name,
    column: &ast::Name,
    columns: &[String],
) -> Result<usize, Diagnostic> {
    if let Some(i) = columns.iter().position(|c| *c == column.text) {
        return Ok(i);
    }
    let d = Diagnostic::error(
        column.span,
        format!(
            "the lookup table '{}' has no column '{}'",
            table.text, column.text
        ),
    );
    let listed = format!("its columns are {}", columns.join(", "));
    Err(
        match suggest::closest(&column.text, columns.iter().map(String::as_str)) {
            Some(other) => d.with_help(format!("did you mean '{other}'? {listed}")),
            None => d.with_help(listed),
        },
    )
}

fn unknown_table(table: &ast::Name, known: Vec<&str>) -> Diagnostic {
    let d = Diagnostic::error(table.span, format!("unknown lookup table '{}'", table.text));
    let listed = if known.is_empty() {
        "there are no lookup tables: add lookups/<name>.csv beside searches/ (docs/catalog.md)"
            .to_string()
    } else {
        format!("the lookup tables are {}", known.join(", "))
    };
    match suggest::closest(&table.text, known) {
        Some(other) => d.with_help(format!("did you mean '{other}'? {listed}")),
        None => d.with_help(listed),
    }
}

fn not_in_output(key: &ast::Name, column: Column, columns: &[OutputColumn]) -> Diagnostic {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    Diagnostic::error(
        key.span,
        format!(
            "the rows above have no column '{}' to join on",
            column.name()
        ),
    )
    .with_help(format!(
        "a lookup joins on a column of the rows above it, which are: {}; add '{}' to them (e.g. 'top 10 {} by bytes'), or join one of them to a column of the table, e.g. 'lookup enis on srcaddr = private_ips'",
        names.join(", "),
        key.text,
        key.text
    ))
}
