//! Result pages to rows: GetQueryResults gives every value as a string
//! (`VarCharValue`, absent for NULL) and the column types apart, in
//! `ColumnInfo` (reference §4.6). Rows are written page by page, so a
//! result of any size is held one page (1000 rows) at a time.

use aws_sdk_athena::types::{ColumnInfo as AthenaColumn, Row};

use super::connect::Athena;
use super::summary::{ApiError, Halt};
use crate::engine::output::{Cell, ColumnInfo, RowSink};

/// The most rows GetQueryResults returns per call (reference §4.6).
pub const PAGE_ROWS: i32 = 1000;

/// How a column's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Float,
    /// DECIMAL keeps its exact digits: integral values become integers,
    /// others stay text rather than lose digits to a float.
    Decimal,
    Text,
}

/// The kind of an Athena (Trino) type name as ColumnInfo.Type gives it.
pub fn kind(athena_type: &str) -> Kind {
    let base = athena_type
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "tinyint" | "smallint" | "integer" | "int" | "bigint" => Kind::Integer,
        "double" | "real" | "float" => Kind::Float,
        "decimal" => Kind::Decimal,
        _ => Kind::Text,
    }
}

pub fn column(info: &AthenaColumn) -> ColumnInfo {
    ColumnInfo {
        name: info.name().to_string(),
        numeric: kind(info.r#type()) != Kind::Text,
    }
}

/// One value. A value that does not parse as its column's type is kept as
/// text rather than dropped.
pub fn cell(kind: Kind, value: Option<&str>) -> Cell {
    let Some(text) = value else {
        return Cell::Null;
    };
    let parsed = match kind {
        Kind::Integer | Kind::Decimal => text.parse().ok().map(Cell::Int),
        Kind::Float => text.parse().ok().map(Cell::Float),
        Kind::Text => None,
    };
    parsed.unwrap_or_else(|| Cell::Text(text.to_string()))
}

/// A row as cells, one per column: a short row is padded with NULLs.
pub fn row(kinds: &[Kind], row: &Row) -> Vec<Cell> {
    let data = row.data();
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| cell(*kind, data.get(i).and_then(|d| d.var_char_value())))
        .collect()
}

/// Pages through the results of a succeeded query into `sink`, counting
/// the rows written in `rows`.
pub(super) async fn stream(
    athena: &Athena,
    id: &str,
    sink: &mut dyn RowSink,
    rows: &mut u64,
) -> Result<(), Halt> {
    let mut next_token: Option<String> = None;
    let mut kinds: Option<Vec<Kind>> = None;
    loop {
        let page = athena
            .client()
            .get_query_results()
            .query_execution_id(id)
            .max_results(PAGE_ROWS)
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|e| Halt::Api(ApiError::new("GetQueryResults", e)))?;
        let result_set = page.result_set();
        let page_rows = result_set.map(|r| r.rows()).unwrap_or_default();
        let skip = match &kinds {
            Some(_) => 0,
            None => {
                let columns = result_set
                    .and_then(|r| r.result_set_metadata())
                    .map(|m| m.column_info())
                    .unwrap_or_default();
                let infos: Vec<ColumnInfo> = columns.iter().map(column).collect();
                sink.begin(&infos).map_err(Halt::Output)?;
                kinds = Some(columns.iter().map(|c| kind(c.r#type())).collect());
                // A SELECT's first row on the first page is its header
                // (reference §4.6), and flowq only runs SELECTs.
                1
            }
        };
        let kinds = kinds.as_deref().unwrap_or_default();
        for athena_row in page_rows.iter().skip(skip) {
            sink.row(&row(kinds, athena_row)).map_err(Halt::Output)?;
            *rows += 1;
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
            _ => break,
        }
    }
    sink.finish().map_err(Halt::Output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_athena::types::Datum;

    #[test]
    fn types_decide_how_values_are_read() {
        assert_eq!(kind("bigint"), Kind::Integer);
        assert_eq!(kind("INTEGER"), Kind::Integer);
        assert_eq!(kind("double"), Kind::Float);
        assert_eq!(kind("decimal(38,2)"), Kind::Decimal);
        assert_eq!(kind("varchar"), Kind::Text);
        assert_eq!(kind("ipaddress"), Kind::Text);
        assert_eq!(cell(Kind::Integer, Some("-42")), Cell::Int(-42));
        assert_eq!(cell(Kind::Float, Some("2.5")), Cell::Float(2.5));
        assert_eq!(cell(Kind::Float, Some("NaN")).to_text(), "NaN");
        assert_eq!(cell(Kind::Decimal, Some("12")), Cell::Int(12));
        assert_eq!(
            cell(Kind::Decimal, Some("12.50")),
            Cell::Text("12.50".into())
        );
        assert_eq!(cell(Kind::Integer, Some("x")), Cell::Text("x".into()));
        assert_eq!(cell(Kind::Text, Some("")), Cell::Text(String::new()));
        assert_eq!(cell(Kind::Integer, None), Cell::Null);
    }

    #[test]
    fn missing_values_are_null_and_short_rows_are_padded() {
        let athena_row = Row::builder()
            .data(Datum::builder().var_char_value("10.0.0.1").build())
            .data(Datum::builder().build())
            .build();
        assert_eq!(
            row(&[Kind::Text, Kind::Integer, Kind::Float], &athena_row),
            vec![Cell::Text("10.0.0.1".into()), Cell::Null, Cell::Null]
        );
    }
}
