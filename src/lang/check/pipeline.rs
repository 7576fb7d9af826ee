//! Stages: projections, aggregates, sort and limit in a normal form.

use super::values::*;
use super::*;
use crate::lang::ast::{self, AggFn, StageKind, Value};
use crate::lang::diagnostic::Diagnostic;
use crate::lang::ir::*;
use crate::lang::limits::MAX_TIMECHART_BUCKETS;
use crate::schema::{self};
use crate::units::{format_duration, parse_duration};

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
    timechart: Option<TimeChart>,
    /// `lookup` stages: the table, the key and the table's column, as
    /// written.
    lookups: Vec<(ast::Name, ast::Name, Option<ast::Name>)>,
    /// `sort` and `limit` after the lookups.
    post_sort: Option<Vec<ast::SortKey>>,
    post_limit: Option<u64>,
}

impl Checker<'_> {
    pub(super) fn output(
        &mut self,
        stages: &[ast::Stage],
        window: Option<&ResolvedWindow>,
    ) -> Option<Output> {
        let mut pipeline = Pipeline::default();
        for stage in stages {
            if let Err(d) = self.stage(stage, window, &mut pipeline) {
                self.errors.push(d);
                return None;
            }
        }
        if let Some(chart) = pipeline.timechart.take() {
            let (columns, group_by) = pipeline.projection.take().expect("a timechart projects");
            let order = group_by
                .iter()
                .flatten()
                .map(|&column| OrderKey {
                    column,
                    descending: false,
                })
                .collect();
            return Some(Output {
                columns,
                group_by,
                order,
                limit: None,
                limit_is_default: false,
                timechart: Some(chart),
                lookups: Vec::new(),
                reorder: None,
            });
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
        let mut taken: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let mut lookups = Vec::new();
        for (table, key, column) in &pipeline.lookups {
            match self.lookup(table, key, column.as_ref(), &columns, &mut taken) {
                Ok(lookup) => lookups.push(lookup),
                Err(d) => {
                    self.errors.push(d);
                    return None;
                }
            }
        }
        let reorder = match self.reorder(&pipeline, &columns, &order, &taken) {
            Ok(reorder) => reorder,
            Err(d) => {
                self.errors.push(d);
                return None;
            }
        };
        Some(Output {
            columns,
            group_by,
            order,
            limit,
            limit_is_default,
            timechart: None,
            lookups,
            reorder,
        })
    }

    /// The `sort` and `limit` after the lookups, on the joined columns
    /// (`names`: the output's, then the added ones): the keys given, then
    /// the order above, then every column of the output as tie-breaks.
    fn reorder(
        &self,
        p: &Pipeline,
        columns: &[OutputColumn],
        order: &[OrderKey],
        names: &[String],
    ) -> Result<Option<Reorder>, Diagnostic> {
        if p.post_sort.is_none() && p.post_limit.is_none() {
            return Ok(None);
        }
        let mut keys = Vec::new();
        for key in p.post_sort.iter().flatten() {
            let by_name = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(&key.field.text));
            let column = match by_name {
                Some(i) => i,
                None => self
                    .output_index(&key.field, columns)
                    .map_err(|d| d.with_help(format!("the columns are: {}", names.join(", "))))?,
            };
            keys.push(OrderKey {
                column,
                descending: key.descending,
            });
        }
        let tie_breaks = order
            .iter()
            .copied()
            .chain((0..columns.len()).map(|column| OrderKey {
                column,
                descending: false,
            }));
        for key in tie_breaks {
            if !keys.iter().any(|k| k.column == key.column) {
                keys.push(key);
            }
        }
        Ok(Some(Reorder {
            order: keys,
            limit: p.post_limit,
        }))
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

    fn stage(
        &mut self,
        stage: &ast::Stage,
        window: Option<&ResolvedWindow>,
        p: &mut Pipeline,
    ) -> Result<(), Diagnostic> {
        if let StageKind::Lookup { table, key, column } = &stage.kind {
            if p.timechart.is_some() {
                return Err(Diagnostic::error(
                    stage.span,
                    "a timechart takes no lookup: its rows are time buckets",
                )
                .with_help("look up names on the rows of 'top', 'count', 'stats' or 'fields', e.g. 'top 10 interface-id by bytes | lookup enis on interface-id'"));
            }
            if p.post_sort.is_some() || p.post_limit.is_some() {
                return Err(Diagnostic::error(
                    stage.span,
                    "a lookup comes before the sort and limit of its columns",
                )
                .with_help("put every lookup first, then sort and limit"));
            }
            p.lookups.push((table.clone(), key.clone(), column.clone()));
            return Ok(());
        }
        if !p.lookups.is_empty() {
            return self.after_lookups(stage, p);
        }
        let shaping = !matches!(stage.kind, StageKind::Sort(_) | StageKind::Limit(_));
        if !shaping && p.timechart.is_some() {
            return Err(Diagnostic::error(
                stage.span,
                "a timechart returns every bucket in time order; it takes no sort or limit",
            )
            .with_help("remove this stage, or use 'stats' to sort and limit groups"));
        }
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
            StageKind::TimeChart {
                interval,
                aggregates,
                by,
            } => {
                let (chart, columns, group_by) =
                    self.timechart(stage.span, interval, aggregates, by.as_ref(), window)?;
                p.projection = Some((columns, Some(group_by)));
                p.timechart = Some(chart);
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
            StageKind::Lookup { .. } => unreachable!("lookup stages are taken above"),
            StageKind::Limit(v) => {
                if p.limit.is_some() {
                    return Err(Diagnostic::error(stage.span, "limit is given twice"));
                }
                p.limit = Some(self.count_value(v, "limit")?);
            }
        }
        Ok(())
    }

    /// A `sort` or `limit` after the lookups; nothing else may follow one.
    fn after_lookups(&mut self, stage: &ast::Stage, p: &mut Pipeline) -> Result<(), Diagnostic> {
        match &stage.kind {
            StageKind::Sort(keys) => {
                if p.post_sort.is_some() {
                    return Err(Diagnostic::error(stage.span, "sort is given twice after the lookups")
                        .with_help("list every key in one sort: 'sort enis.name, bytes desc'"));
                }
                if p.post_limit.is_some() {
                    return Err(Diagnostic::error(stage.span, "sort comes before limit"));
                }
                p.post_sort = Some(keys.clone());
                Ok(())
            }
            StageKind::Limit(v) => {
                if p.post_limit.is_some() {
                    return Err(Diagnostic::error(stage.span, "limit is given twice after the lookups"));
                }
                p.post_limit = Some(self.count_value(v, "limit")?);
                Ok(())
            }
            _ => Err(Diagnostic::error(
                stage.span,
                "only sort and limit may follow a lookup",
            )
            .with_help("put stats, count, top and fields before the lookup: it adds columns to the rows they give")),
        }
    }

    /// A timechart's buckets, from the window, and its columns: `bucket`,
    /// the series, the aggregates (count and sum only: they add up across
    /// buckets and into `other`, and an empty bucket's value is 0).
    fn timechart(
        &mut self,
        span: ast::Span,
        interval: &Value,
        aggregates: &[ast::Aggregate],
        by: Option<&ast::Name>,
        window: Option<&ResolvedWindow>,
    ) -> Result<(TimeChart, Vec<OutputColumn>, Vec<usize>), Diagnostic> {
        let interval_value = self.one_value(interval, "timechart")?;
        let seconds = parse_duration(text_of(&interval_value), true).map_err(|e| {
            Diagnostic::error(interval_value.span, e)
                .with_help("give the bucket as a duration, e.g. 'timechart 5m count()'")
        })?;
        if seconds <= 0 {
            return Err(Diagnostic::error(
                interval_value.span,
                "a timechart's interval must be at least 1s",
            ));
        }
        let start_field = self.in_format(
            schema::field_named("start").expect("known field"),
            span,
            "timechart",
        )?;
        let (t0, t1) = match window.map(|w| (w.start, w.end)) {
            Some((Some(t0), Some(t1))) => (t0.unix(), t1.unix()),
            Some(_) => {
                return Err(Diagnostic::error(
                    span,
                    "a timechart needs a window with a start and an end",
                )
                .with_help("give a window, e.g. 'last 6h' or 'on 2026-11-27'"))
            }
            // The window is wrong and has its own error.
            None => return Err(Diagnostic::error(span, "a timechart needs a valid window")),
        };
        let chart = buckets(t0, t1, seconds).map_err(|count| {
            let needed = ((t1 - t0 + MAX_TIMECHART_BUCKETS - 1) / MAX_TIMECHART_BUCKETS).max(1);
            let needed = ROUND_INTERVALS
                .into_iter()
                .find(|&round| round >= needed)
                .unwrap_or(needed);
            Diagnostic::error(
                interval_value.span,
                format!(
                    "a {} timechart over this window gives {count} buckets; the most is {MAX_TIMECHART_BUCKETS}",
                    format_duration(seconds)
                ),
            )
            .with_help(format!(
                "use an interval of at least {}, or a shorter window",
                format_duration(needed)
            ))
        })?;
        let mut columns = vec![OutputColumn {
            name: "bucket".into(),
            value: OutputValue::Column(Column::Field(start_field)),
        }];
        let mut spans = vec![span];
        let series = by.map(|n| self.column(n)).transpose()?;
        if let (Some(column), Some(name)) = (series, by) {
            columns.push(OutputColumn {
                name: column.name().into(),
                value: OutputValue::Column(column),
            });
            spans.push(name.span);
        }
        let group_by = (0..columns.len()).collect();
        for a in aggregates {
            if !matches!(a.function, AggFn::Count | AggFn::Sum) {
                return Err(Diagnostic::error(
                    a.span,
                    format!("a timechart takes count() and sum(field), not {}()", a.function.name()),
                )
                .with_help("buckets and the 'other' series add up, which only counts and sums do; use 'stats' for the others"));
            }
            columns.push(self.aggregate(a)?);
            spans.push(a.span);
        }
        let columns = unique(columns, &spans)?;
        Ok((TimeChart { series, ..chart }, columns, group_by))
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

/// Intervals to suggest when the one given makes too many buckets.
const ROUND_INTERVALS: [i64; 14] = [
    60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 604_800, 2_419_200,
    31_536_000,
];

/// The buckets of `[t0, t1)` for an interval of `seconds`, aligned to
/// multiples of it since the epoch; or how many there would be, past the
/// limit.
fn buckets(t0: i64, t1: i64, seconds: i64) -> Result<TimeChart, i64> {
    let first = t0.div_euclid(seconds) * seconds;
    let last = (t1 - 1).max(t0).div_euclid(seconds) * seconds;
    let count = (last - first) / seconds + 1;
    if count > MAX_TIMECHART_BUCKETS {
        return Err(count);
    }
    Ok(TimeChart {
        interval: seconds,
        first,
        buckets: count,
        series: None,
    })
}
