//! The simulation's chart: meetings held and cancellations per week, one line per policy, as a
//! hand-written SVG (two panels sharing the week axis). No plotting crate: a few polylines, axes
//! and labels are all it takes, and the file diffs well in the repository.

use std::fmt::Write;

use chrono::NaiveDate;

use super::report::Metrics;

const WIDTH: f64 = 960.0;
const PANEL_HEIGHT: f64 = 230.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 64.0;
const GAP: f64 = 60.0;
/// A panel's title and the weekly series it draws.
type Panel = (&'static str, fn(&Metrics) -> &Vec<u64>);

const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// The SVG text for `runs`, whose weeks count from `start`.
pub fn svg(runs: &[Metrics], start: NaiveDate) -> String {
    let weeks = runs.iter().map(|m| m.held_per_week.len().max(m.cancelled_per_week.len())).max().unwrap_or(1).max(2);
    let height = TOP + 2.0 * PANEL_HEIGHT + GAP + 50.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">samspil simulate: first joint meetings per week, {} people from {start}</text>"#,
        runs.first().map_or(0, |m| m.people)
    );
    let panels: [Panel; 2] = [
        ("meetings held (by meeting day)", |m| &m.held_per_week),
        ("cancellations (by the day the job exit was processed)", |m| &m.cancelled_per_week),
    ];
    for (index, (title, series)) in panels.iter().enumerate() {
        let top = TOP + index as f64 * (PANEL_HEIGHT + GAP);
        let max = runs.iter().flat_map(|m| series(m).iter().copied()).max().unwrap_or(1).max(1);
        panel(&mut out, top, title, weeks, max, runs.iter().map(|m| series(m).as_slice()));
    }
    for (index, run) in runs.iter().enumerate() {
        let y = TOP + 20.0 + 20.0 * index as f64;
        let x = WIDTH - RIGHT + 20.0;
        let colour = COLOURS[index % COLOURS.len()];
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="2.5"/><text x="{}" y="{}">{}</text>"#,
            x + 24.0,
            x + 30.0,
            y + 4.0,
            escape(&run.policy)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// One panel: axes, grid, labels and one polyline per series.
fn panel<'a>(out: &mut String, top: f64, title: &str, weeks: usize, max: u64, series: impl Iterator<Item = &'a [u64]>) {
    let plot_width = WIDTH - LEFT - RIGHT;
    let bottom = top + PANEL_HEIGHT;
    let step = nice_step(max);
    let y_max = (max.div_ceil(step) * step) as f64;
    let x = |week: f64| LEFT + plot_width * week / (weeks - 1) as f64;
    let y = |value: f64| bottom - PANEL_HEIGHT * value / y_max;

    let _ = writeln!(out, r#"<text x="{LEFT}" y="{}" font-weight="bold">{}</text>"#, top - 8.0, escape(title));
    let mut tick = 0;
    while tick as f64 <= y_max {
        let ty = y(tick as f64);
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{tick}</text>"##,
            LEFT + plot_width,
            LEFT - 6.0,
            ty + 4.0
        );
        tick += step;
    }
    for week in (0..weeks).step_by(10) {
        let tx = x(week as f64);
        let _ = writeln!(
            out,
            r##"<line x1="{tx:.1}" y1="{bottom}" x2="{tx:.1}" y2="{}" stroke="#444"/><text x="{tx:.1}" y="{}" text-anchor="middle">{week}</text>"##,
            bottom + 5.0,
            bottom + 18.0
        );
    }
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{bottom}" x2="{:.1}" y2="{bottom}" stroke="#444"/><line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}" stroke="#444"/>"##,
        LEFT + plot_width
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">week since the first registration</text>"#,
        LEFT + plot_width / 2.0,
        bottom + 34.0
    );
    for (index, values) in series.enumerate() {
        let points: Vec<String> = (0..weeks)
            .map(|week| format!("{:.1},{:.1}", x(week as f64), y(values.get(week).copied().unwrap_or(0) as f64)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            COLOURS[index % COLOURS.len()],
            points.join(" ")
        );
    }
}

/// A round tick step giving four to ten ticks up to `max`.
fn nice_step(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if max / (step * factor) <= 8 {
                return step * factor;
            }
        }
        step *= 10;
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(17), 2);
        assert_eq!(nice_step(95), 20);
        assert_eq!(nice_step(2300), 500);
    }
}
