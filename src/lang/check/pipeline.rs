//! Stages: projections, aggregates, sort and limit in a normal form.

use super::values::*;
use super::*;
use crate::lang::ast::{self, AggFn, StageKind, Value};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::*;
use crate::schema::{self};

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
    pub(super) fn output(&mut self, stages: &[ast::Stage]) -> Option<Output> {
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
        let chosen = pipeline.limit.or(pipeline.implied_limit);
        let limit_is_default = chosen.is_none() && !global_aggregate;
        let limit = chosen.or(limit_is_default.then_some(self.ctx.table.default_limit));
        Some(Output {
            columns,
            group_by,
            order,
            limit,
            limit_is_default,
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
        let v = self.one_value(v, stage)?;
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
