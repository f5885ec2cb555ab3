//! A rollout as one self-contained HTML page: the counts, a burndown of its pull requests (open
//! and merged per day, from their own timestamps) as inline SVG, and the table. No script, no
//! font or style from anywhere else; the only links are the pull requests' own pages.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::dates::Day;
use super::rollout::{Release, Row, State, Summary, day_of};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One day of the burndown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Point {
    /// The day.
    pub day: Day,
    /// Pull requests open at the end of it.
    pub open: usize,
    /// Pull requests merged by the end of it.
    pub merged: usize,
}

/// A pull request's life in days: opened, merged, closed (a merged one is closed too).
pub(crate) type Life = (Day, Option<Day>, Option<Day>);

/// Open and merged pull requests per day, from the day before the first one was opened (none
/// yet: the chart starts at zero, and has two days at least) to `today`.
pub(crate) fn burndown(pulls: &[Life], today: Day) -> Vec<Point> {
    let Some(first) = pulls.iter().map(|p| p.0).min() else { return Vec::new() };
    (first.0 - 1..=today.0.max(first.0))
        .map(Day)
        .map(|day| {
            let open = pulls.iter().filter(|(o, _, c)| *o <= day && c.is_none_or(|c| c > day)).count();
            let merged = pulls.iter().filter(|(_, m, _)| m.is_some_and(|m| m <= day)).count();
            Point { day, open, merged }
        })
        .collect()
}

/// The distinct pull requests of the rows, as lives.
fn lives(rows: &[Row]) -> Vec<Life> {
    let mut seen = BTreeSet::new();
    rows.iter()
        .filter_map(|r| r.pr.as_ref())
        .filter(|p| seen.insert(p.url.clone()))
        .filter_map(|p| {
            let merged = p.merged_at.as_deref().and_then(day_of);
            let closed = p.closed_at.as_deref().and_then(day_of).or(merged);
            Some((day_of(&p.created_at)?, merged, closed))
        })
        .collect()
}

/// The chart: open and merged lines, and the goal (repositories that need the release) dashed.
fn chart(points: &[Point], goal: usize) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 260.0, 44.0, 700.0, 16.0, 220.0);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return format!(
            "<svg role=\"img\" aria-label=\"Burndown\" viewBox=\"0 0 {w} 30\" width=\"{w}\" height=\"30\"><text x=\"0\" y=\"20\" font-size=\"14\">No pull request yet: the burndown starts with the first one.</text></svg>"
        );
    };
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Burndown: open and merged pull requests per day\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">"
    );
    let max = points.iter().map(|p| p.open.max(p.merged)).max().unwrap_or(0).max(goal).max(1);
    #[allow(clippy::cast_precision_loss)] // a few thousand days and pull requests at most
    let (x, y) = {
        let span = (points.len().max(2) - 1) as f64;
        let max = max as f64;
        (
            move |i: usize| left + (right - left) * i as f64 / span,
            move |n: usize| bottom - (bottom - top) * n as f64 / max,
        )
    };
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"#888\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"#888\"/>\
<text x=\"{lx}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"end\">{max}</text><text x=\"{lx}\" y=\"{bottom}\" font-size=\"11\" text-anchor=\"end\">0</text>\
<text x=\"{left}\" y=\"238\" font-size=\"11\">{}</text><text x=\"{right}\" y=\"238\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        first.day,
        last.day,
        lx = left - 6.0,
        ty = top + 4.0
    );
    if goal > 0 {
        let gy = y(goal);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{gy:.1}\" x2=\"{right}\" y2=\"{gy:.1}\" stroke=\"#6b7280\" stroke-dasharray=\"5 4\"/>"
        );
    }
    for (color, value) in [("#d97706", (|p: &Point| p.open) as fn(&Point) -> usize), ("#16a34a", |p: &Point| p.merged)]
    {
        let line: Vec<String> =
            points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(value(p)))).collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" points=\"{}\"/>",
            line.join(" ")
        );
    }
    let _ = write!(
        svg,
        "<rect x=\"60\" y=\"246\" width=\"12\" height=\"4\" fill=\"#d97706\"/><text x=\"78\" y=\"252\" font-size=\"11\">open ({})</text>\
<rect x=\"170\" y=\"246\" width=\"12\" height=\"4\" fill=\"#16a34a\"/><text x=\"188\" y=\"252\" font-size=\"11\">merged ({})</text>\
<rect x=\"290\" y=\"247\" width=\"12\" height=\"2\" fill=\"#6b7280\"/><text x=\"308\" y=\"252\" font-size=\"11\">to move ({goal})</text></svg>",
        last.open, last.merged
    );
    svg
}

fn state_class(s: State) -> &'static str {
    match s {
        State::Merged | State::OnVersion => "ok",
        State::PrOpen | State::BranchOnly => "go",
        State::NotStarted => "",
        State::Closed | State::Edited | State::Conflict => "warn",
        State::Failed => "bad",
    }
}

/// The page.
pub(crate) fn page(release: &Release, rows: &[Row], summary: &Summary, today: Day) -> String {
    let title = format!("Rollout of {} {}", release.template, release.version);
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:72rem}}h1{{margin-bottom:.2rem}}\
table{{border-collapse:collapse;width:100%;font-size:14px}}th,td{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}}td:not(:last-child){{white-space:nowrap}}\
th{{background:#f3f4f6}}.ok{{color:#15803d}}.go{{color:#1d4ed8}}.warn{{color:#b45309}}.bad{{color:#b91c1c}}\
.muted{{color:#555;font-size:.85rem}}figure{{margin:1rem 0}}figcaption{{font-weight:600;margin-bottom:.3rem}}\
@media print{{body{{margin:0;max-width:none}}table,figure{{break-inside:avoid}}}}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        html,
        "<h1>{}</h1><p class=\"muted\">branch <code>{}</code> · as of {today} · from git and the pull requests' own timestamps</p><p><strong>{}</strong></p>",
        esc(&title),
        esc(&release.branch),
        esc(&summary.line())
    );
    let mut goal = BTreeSet::new();
    for r in rows.iter().filter(|r| r.state != State::OnVersion) {
        goal.insert(r.pr.as_ref().map(|p| p.url.clone()).or_else(|| r.repo.clone()).unwrap_or_else(|| r.path.clone()));
    }
    let _ = write!(
        html,
        "<figure><figcaption>Burndown: pull requests open and merged per day</figcaption>{}</figure>",
        chart(&burndown(&lives(rows), today), goal.len())
    );
    html.push_str("<table><thead><tr><th>project</th><th>from</th><th>state</th><th>pull request</th><th>age</th><th>checks</th><th>note</th></tr></thead><tbody>");
    for r in rows {
        let pr = r.pr.as_ref().map_or_else(String::new, |p| {
            let draft = if p.draft { " (draft)" } else { "" };
            format!("<a href=\"{}\">#{}</a>{draft}", esc(&p.url), p.number)
        });
        let age = r.pr.as_ref().and_then(|p| p.age_days).map_or_else(String::new, |d| format!("{d} d"));
        let checks = r.pr.as_ref().and_then(|p| p.checks).map_or("", |c| c.word());
        let note = r.error.as_deref().or(r.note.as_deref()).unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{pr}</td><td>{age}</td><td class=\"{}\">{checks}</td><td>{}</td></tr>",
            esc(&r.path),
            esc(r.from.as_deref().unwrap_or("")),
            state_class(r.state),
            r.state.word(),
            if checks == "failing" { "bad" } else { "" },
            esc(note)
        );
    }
    html.push_str("</tbody></table></body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn the_burndown_counts_open_and_merged_pull_requests_per_day() {
        let pulls = [
            (d("2026-12-01"), Some(d("2026-12-03")), Some(d("2026-12-03"))),
            (d("2026-12-02"), None, None),
            (d("2026-12-02"), None, Some(d("2026-12-04"))),
        ];
        let points = burndown(&pulls, d("2026-12-05"));
        let got: Vec<(String, usize, usize)> = points.iter().map(|p| (p.day.to_string(), p.open, p.merged)).collect();
        let want = [
            ("2026-11-30", 0, 0),
            ("2026-12-01", 1, 0),
            ("2026-12-02", 3, 0),
            ("2026-12-03", 2, 1),
            ("2026-12-04", 1, 1),
            ("2026-12-05", 1, 1),
        ];
        assert_eq!(got, want.map(|(d, o, m)| (d.to_string(), o, m)));
        assert!(burndown(&[], d("2026-12-05")).is_empty());
    }

    #[test]
    fn the_chart_is_inline_svg_even_without_pull_requests() {
        assert!(chart(&[], 3).contains("No pull request yet"));
        let points = burndown(&[(d("2026-12-01"), None, None)], d("2026-12-01"));
        assert_eq!(points.len(), 2, "a pull request opened today still draws a line");
        let svg = chart(&points, 2);
        assert!(svg.starts_with("<svg") && svg.contains("<polyline") && svg.contains("to move (2)"), "{svg}");
    }
}
