//! The terminal chart of a timechart (`engine/chart.rs`), drawn at a
//! fixed width from hand-made rows: one series, several series with
//! `other`, all zero, more buckets than columns. The snapshots are the
//! review; the assertions pin what a reader relies on.

mod common;

use flowq::engine::chart::{draw, ChartStyle, MIN_WIDTH};
use flowq::engine::output::{Cell, ColumnInfo};
use flowq::lang::ir::{Column, TimeChart};
use flowq::schema::field_named;

/// 2026-11-27T00:00:00Z.
const MIDNIGHT: i64 = 1_795_737_600;

const STYLE: ChartStyle = ChartStyle {
    width: 72,
    colour: false,
};

fn chart(interval: i64, buckets: i64, by: Option<&str>) -> TimeChart {
    TimeChart {
        interval,
        first: MIDNIGHT,
        buckets,
        series: by.map(|f| Column::Field(field_named(f).unwrap())),
    }
}

fn columns(names: &[&str]) -> Vec<ColumnInfo> {
    names
        .iter()
        .map(|n| ColumnInfo {
            name: n.to_string(),
            numeric: true,
        })
        .collect()
}

/// Rows of one series: `values[i]` in bucket i.
fn one_series(chart: &TimeChart, values: &[i64]) -> Vec<Vec<Cell>> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            vec![
                Cell::Int(chart.first + i as i64 * chart.interval),
                Cell::Int(v),
            ]
        })
        .collect()
}

fn snapshot(name: &str, text: &str) {
    common::snapshots_in("chart").bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn one_series_is_a_bar_chart_with_a_value_axis() {
    let chart = chart(600, 36, None);
    let values: Vec<i64> = (0..36).map(|i| (i * 7 % 23) * (i % 5)).collect();
    let text = draw(
        &chart,
        &columns(&["bucket", "count"]),
        &one_series(&chart, &values),
        STYLE,
    );
    snapshot("one-series", &text);
    let max = values.iter().max().unwrap();
    assert!(text
        .lines()
        .next()
        .unwrap()
        .ends_with(&format!("max {max}")));
    assert!(
        text.contains(&format!("{max}┤")),
        "the axis shows the max:\n{text}"
    );
    assert!(
        text.contains("00:00") && text.contains("04:00"),
        "UTC labels:\n{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= STYLE.width));
    assert!(!text.contains('\u{1b}'), "no colour when it is off");
}

#[test]
fn several_series_are_one_line_each_largest_first_other_last() {
    let chart = chart(3600, 6, Some("dstport"));
    let mut rows = Vec::new();
    for (series, values) in [
        ("22", [1, 0, 0, 2, 0, 1]),
        ("443", [40, 35, 50, 60, 20, 10]),
        ("other", [5, 5, 5, 5, 5, 5]),
        ("53", [0, 0, 0, 0, 0, 0]),
    ] {
        for (i, v) in values.into_iter().enumerate() {
            rows.push(vec![
                Cell::Int(chart.first + i as i64 * 3600),
                Cell::Text(series.into()),
                Cell::Int(v),
            ]);
        }
    }
    let text = draw(
        &chart,
        &columns(&["bucket", "dstport", "count"]),
        &rows,
        STYLE,
    );
    snapshot("several-series", &text);
    let names: Vec<&str> = text
        .lines()
        .skip(2)
        .take(4)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["443", "22", "53", "other"]);
    assert!(text.starts_with(
        "count per 1h by dstport, max 60\n2026-11-27 00:00 to 2026-11-27 06:00 UTC\n"
    ));
    // A small value is still visible next to a large one.
    let line_22 = text.lines().find(|l| l.starts_with("22 ")).unwrap();
    assert!(line_22.contains('▁'), "{line_22}");
    assert!(line_22.trim_end().ends_with(" 4"), "the total: {line_22}");
}

#[test]
fn all_zero_draws_an_empty_chart_with_its_axis() {
    let chart = chart(300, 24, None);
    let text = draw(
        &chart,
        &columns(&["bucket", "count"]),
        &one_series(&chart, &[0; 24]),
        STYLE,
    );
    snapshot("all-zero", &text);
    assert!(text.lines().next().unwrap().ends_with("max 0"));
    assert!(!text.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)), "{text}");
}

#[test]
fn more_buckets_than_columns_sum_into_columns() {
    let chart = chart(60, 360, None);
    let values = vec![1; 360];
    let text = draw(
        &chart,
        &columns(&["bucket", "count"]),
        &one_series(&chart, &values),
        STYLE,
    );
    snapshot("summed-columns", &text);
    // 360 one-minute buckets on at most 68 columns: 6 buckets a column.
    assert!(text.contains("one column per 6m"), "{text}");
    assert!(text.lines().next().unwrap().ends_with("max 6"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= STYLE.width));
}

#[test]
fn colour_is_only_drawn_when_asked() {
    let chart = chart(600, 6, None);
    let rows = one_series(&chart, &[1, 2, 3, 4, 5, 6]);
    let coloured = ChartStyle {
        colour: true,
        ..STYLE
    };
    assert!(draw(&chart, &columns(&["bucket", "count"]), &rows, coloured).contains("\u{1b}["));
    assert!(!draw(&chart, &columns(&["bucket", "count"]), &rows, STYLE).contains('\u{1b}'));
}

/// Every line of a chart fits its width (from `MIN_WIDTH` up), however
/// long the names, totals and metric, and however many buckets.
#[test]
fn no_line_is_wider_than_the_width() {
    let huge = i64::MAX / 4;
    for width in [MIN_WIDTH, 45, 50, 60, 80, 120, 200] {
        let style = ChartStyle {
            width,
            colour: false,
        };
        for (interval, buckets) in [(60, 5), (60, 180), (600, 36), (3600, 720), (1, 10_000)] {
            let single = chart(interval, buckets, None);
            let values: Vec<i64> = (0..buckets).map(|i| huge / 10_000 * (i % 7)).collect();
            let rows = one_series(&single, &values);
            let cols = columns(&["bucket", "a_rather_long_aggregate_name"]);
            fits(&draw(&single, &cols, &rows, style), width);
            let by = chart(interval, buckets, Some("srcaddr"));
            let mut rows = Vec::new();
            for series in ["2001:db8:ffff:ffff:ffff:ffff:ffff:1", "10.0.0.1", "other"] {
                for i in 0..buckets {
                    rows.push(vec![
                        Cell::Int(by.first + i * interval),
                        Cell::Text(series.into()),
                        Cell::Int(huge / 10_000),
                    ]);
                }
            }
            let cols = columns(&["bucket", "srcaddr", "a_rather_long_aggregate_name"]);
            fits(&draw(&by, &cols, &rows, style), width);
        }
    }
}

fn fits(text: &str, width: usize) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "{} columns at width {width}: {line}\n{text}",
            line.chars().count()
        );
    }
}
