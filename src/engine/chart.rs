//! A timechart drawn for a terminal: a [`RowSink`] that holds the rows of
//! a `timechart` query and draws the first aggregate with Unicode block
//! characters, time running left to right with UTC labels below.
//!
//! Without `by`, one chart eight lines high with the value axis on the
//! left; with `by`, one line per series (largest total first, `other`
//! last), all scaled to the same maximum so that the lines compare, with
//! each series' total on the right. When there are more buckets than
//! columns, each column sums a run of whole buckets (counts and sums add
//! up) and the title says how long a column is. The CLI picks this sink
//! for `--format table` on a terminal (docs/cli.md).

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::engine::output::{Cell, ColumnInfo, RowSink, Rows};
use crate::lang::ir::{TimeChart, OTHER_SERIES};
use crate::time::utc_fields;
use crate::units::format_duration;

/// How a chart is drawn.
#[derive(Clone, Copy, Debug)]
pub struct ChartStyle {
    /// Terminal columns the chart may use (at least [`MIN_WIDTH`] are used).
    pub width: usize,
    /// ANSI colours on the bars; off for NO_COLOR and for anything but a
    /// terminal.
    pub colour: bool,
}

/// Narrower terminals still get a chart this wide rather than none.
pub const MIN_WIDTH: usize = 40;

/// Lines of the one-series chart.
const HEIGHT: usize = 8;

/// Bars by eighths: index 1..=8; a nonzero value never rounds to blank.
const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Foreground colours given to the series in turn.
const PALETTE: [&str; 6] = ["36", "33", "35", "32", "34", "31"];

pub struct ChartSink<'a> {
    out: Box<dyn Write + 'a>,
    chart: TimeChart,
    style: ChartStyle,
    kept: Rows,
}

impl<'a> ChartSink<'a> {
    pub fn new(out: Box<dyn Write + 'a>, chart: &TimeChart, style: ChartStyle) -> Self {
        ChartSink {
            out,
            chart: chart.clone(),
            style,
            kept: Rows::default(),
        }
    }
}

impl RowSink for ChartSink<'_> {
    fn begin(&mut self, columns: &[ColumnInfo]) -> io::Result<()> {
        self.kept.begin(columns)
    }

    fn row(&mut self, row: &[Cell]) -> io::Result<()> {
        self.kept.row(row)
    }

    fn finish(&mut self) -> io::Result<()> {
        let text = draw(&self.chart, &self.kept.columns, &self.kept.rows, self.style);
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

/// One series: its name and its value per bucket.
struct Line {
    name: String,
    values: Vec<i128>,
    total: i128,
}

/// The chart of a timechart's rows, as text.
pub fn draw(
    chart: &TimeChart,
    columns: &[ColumnInfo],
    rows: &[Vec<Cell>],
    style: ChartStyle,
) -> String {
    let by = chart.series.is_some();
    let value_at = 1 + usize::from(by);
    let metric = columns.get(value_at).map_or("value", |c| c.name.as_str());
    let lines = series_lines(chart, rows, by, value_at);
    let width = style.width.max(MIN_WIDTH);
    let label_width = if by {
        lines
            .iter()
            .map(|l| l.name.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(5, 20)
    } else {
        0
    };
    let total_width = if by {
        lines
            .iter()
            .map(|l| l.total.to_string().len())
            .max()
            .unwrap_or(1)
            + 2
    } else {
        0
    };
    // Long names give way to the bars: at least 10 columns of plot.
    let label_width = label_width.min(width.saturating_sub(total_width + 11).max(1));
    let n = usize::try_from(chart.buckets).unwrap_or(usize::MAX);
    // Without `by`, the value axis is as wide as the largest column, which
    // sums `per_column` buckets, which depends on the axis: settle both.
    let mut per_column = 1;
    let mut axis_width = label_width + 1;
    let mut plot_width = 10;
    for _ in 0..4 {
        if !by {
            axis_width = largest_column(&lines, per_column).to_string().len() + 2;
        }
        plot_width = width.saturating_sub(axis_width + total_width).max(10);
        let settled = n.div_ceil(plot_width).max(1);
        if settled == per_column {
            break;
        }
        per_column = settled;
    }
    // Few buckets are drawn wider (up to 6 columns each), many are summed
    // in runs of whole buckets; `width` of a column pair says which.
    let repeat = (plot_width / n.max(1)).clamp(1, 6);
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line {
            values: l
                .values
                .chunks(per_column)
                .flat_map(|c| std::iter::repeat_n(c.iter().sum(), repeat))
                .collect(),
            ..l
        })
        .collect();
    let max = lines
        .iter()
        .flat_map(|l| l.values.iter())
        .copied()
        .max()
        .unwrap_or(0);
    let mut out: String = title(chart, metric, columns, by, per_column, max)
        .lines()
        .map(|line| fit(line, width) + "\n")
        .collect();
    if lines.is_empty() {
        out.push_str("no records matched: no series to draw\n");
        return out;
    }
    if by {
        for (i, line) in lines.iter().enumerate() {
            let name = fit(&line.name, label_width);
            let bars: String = line
                .values
                .iter()
                .map(|&v| BLOCKS[eighths(v, max, 8)])
                .collect();
            let bars = paint(&bars, PALETTE[i % PALETTE.len()], style.colour);
            let _ = writeln!(
                out,
                "{name:<label_width$} {bars}  {:>w$}",
                line.total,
                w = total_width - 2
            );
        }
    } else {
        let values = &lines[0].values;
        for row in (0..HEIGHT).rev() {
            let label = match row {
                r if r == HEIGHT - 1 => max.to_string(),
                0 => "0".to_string(),
                _ => String::new(),
            };
            let tick = if label.is_empty() { '│' } else { '┤' };
            let bars: String = values
                .iter()
                .map(|&v| {
                    let filled = eighths(v, max, 8 * HEIGHT);
                    BLOCKS[filled.saturating_sub(8 * row).min(8)]
                })
                .collect();
            let bars = paint(bars.trim_end(), PALETTE[0], style.colour);
            let _ = writeln!(out, "{label:>w$}{tick}{bars}", w = axis_width - 1);
        }
    }
    let scale = Scale {
        per_column,
        repeat,
        columns: lines[0].values.len(),
    };
    out.push_str(&time_axis(chart, scale, axis_width, width));
    out
}

/// The largest sum of `per_column` buckets in a run, of any series.
fn largest_column(lines: &[Line], per_column: usize) -> i128 {
    lines
        .iter()
        .flat_map(|l| l.values.chunks(per_column).map(|c| c.iter().sum::<i128>()))
        .max()
        .unwrap_or(0)
}

/// The series in the order they are drawn: by total, largest first, ties
/// by name, `other` last; without `by`, one unnamed series.
fn series_lines(chart: &TimeChart, rows: &[Vec<Cell>], by: bool, value_at: usize) -> Vec<Line> {
    let n = usize::try_from(chart.buckets).unwrap_or(0);
    let mut lines: Vec<Line> = Vec::new();
    for row in rows {
        let Some(Cell::Int(bucket)) = row.first() else {
            continue;
        };
        let index = (bucket - chart.first) / chart.interval;
        let Ok(index) = usize::try_from(index) else {
            continue;
        };
        if index >= n {
            continue;
        }
        let name = match (by, row.get(1)) {
            (true, Some(Cell::Text(t))) => t.clone(),
            (true, _) => "NULL".to_string(),
            (false, _) => String::new(),
        };
        let value = match row.get(value_at) {
            Some(Cell::Int(v)) => i128::from(*v),
            _ => 0,
        };
        let line = match lines.iter().position(|l| l.name == name) {
            Some(i) => &mut lines[i],
            None => {
                lines.push(Line {
                    name,
                    values: vec![0; n],
                    total: 0,
                });
                lines.last_mut().expect("just pushed")
            }
        };
        line.values[index] += value;
        line.total += value;
    }
    lines.sort_by(|a, b| {
        (a.name == OTHER_SERIES)
            .cmp(&(b.name == OTHER_SERIES))
            .then(b.total.cmp(&a.total))
            .then_with(|| a.name.cmp(&b.name))
    });
    lines
}

/// How many eighths of `steps` a value fills against `max`, rounded to
/// nearest but at least one for any value above zero.
fn eighths(value: i128, max: i128, steps: usize) -> usize {
    if value <= 0 || max <= 0 {
        return 0;
    }
    let steps = steps as i128;
    let filled = (value * steps + max / 2) / max;
    usize::try_from(filled.clamp(1, steps)).unwrap_or(1)
}

fn title(
    chart: &TimeChart,
    metric: &str,
    columns: &[ColumnInfo],
    by: bool,
    per_column: usize,
    max: i128,
) -> String {
    let mut out = format!("{metric} per {}", format_duration(chart.interval));
    if by {
        let series = columns.get(1).map_or("series", |c| c.name.as_str());
        let _ = write!(out, " by {series}");
    }
    if per_column > 1 {
        let column = i64::try_from(per_column)
            .unwrap_or(i64::MAX)
            .saturating_mul(chart.interval);
        let _ = write!(out, ", one column per {}", format_duration(column));
    }
    let end = chart.first + chart.buckets * chart.interval;
    let _ = writeln!(out, ", max {max}");
    let _ = writeln!(
        out,
        "{} to {} UTC",
        stamp(chart.first, true),
        stamp(end, true)
    );
    out
}

/// `2026-11-27 03:00`, or `03:00` without the date.
fn stamp(seconds: i64, with_date: bool) -> String {
    let (year, month, day, hour, minute) = utc_fields(seconds);
    if with_date {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    } else {
        format!("{hour:02}:{minute:02}")
    }
}

/// Round steps for the time labels, in seconds.
const LABEL_STEPS: [i64; 16] = [
    60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
    2_592_000, 7_776_000, 31_536_000,
];

/// How buckets map to columns: `per_column` buckets summed into a column
/// drawn `repeat` columns wide (one of the two is 1).
#[derive(Clone, Copy)]
struct Scale {
    per_column: usize,
    repeat: usize,
    columns: usize,
}

impl Scale {
    /// The column a time falls in, for a time inside the chart.
    fn column(self, chart: &TimeChart, t: i64) -> usize {
        let offset = i128::from(t - chart.first) * self.repeat as i128;
        let per = i128::from(chart.interval) * self.per_column as i128;
        usize::try_from(offset / per).unwrap_or(usize::MAX)
    }
}

/// Ticks and UTC labels at round times under the columns: `HH:MM` when
/// the chart spans less than two days, `MM-DD HH:MM` otherwise.
/// A label that would run past `width` is left out.
fn time_axis(chart: &TimeChart, scale: Scale, indent: usize, width: usize) -> String {
    let columns = scale.columns;
    let span = chart.interval.saturating_mul(chart.buckets);
    let with_date = span >= 2 * 86_400;
    let label_width = if with_date { 11 } else { 5 } + 2;
    let step = LABEL_STEPS
        .into_iter()
        .find(|&s| s % chart.interval == 0 && scale.column(chart, chart.first + s) >= label_width)
        .unwrap_or(span.max(1));
    let mut axis = vec![' '; columns];
    let mut labels = vec![' '; columns + label_width];
    let mut t = chart.first.div_euclid(step) * step;
    if t < chart.first {
        t += step;
    }
    let mut free_from = 0;
    while t < chart.first + span {
        let column = scale.column(chart, t);
        if column >= columns || indent + column + label_width - 2 > width {
            break;
        }
        if column >= free_from {
            axis[column] = '╵';
            let text = if with_date {
                let (_, month, day, hour, minute) = utc_fields(t);
                format!("{month:02}-{day:02} {hour:02}:{minute:02}")
            } else {
                stamp(t, false)
            };
            for (i, c) in text.chars().enumerate() {
                labels[column + i] = c;
            }
            free_from = column + label_width;
        }
        t += step;
    }
    let pad = " ".repeat(indent);
    let axis: String = axis.into_iter().collect();
    let labels: String = labels.into_iter().collect();
    format!("{pad}{}\n{pad}{}\n", axis.trim_end(), labels.trim_end())
}

/// A name cut to `width` characters, with `…` when cut.
fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn paint(text: &str, colour: &str, on: bool) -> String {
    if on && !text.is_empty() {
        format!("\u{1b}[{colour}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}
