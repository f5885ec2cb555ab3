//! The scorecard as one self-contained HTML page: inline CSS and SVG trend charts, no script,
//! no network, laid out to print (one section per group, no page break inside a table).

use std::fmt::Write as _;

use super::scorecard::{Figures, Scorecard, Section};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn days(d: Option<i64>) -> String {
    d.map_or_else(|| "–".to_string(), |d| format!("{d} d"))
}

fn share(s: Option<f64>) -> String {
    s.map_or_else(|| "–".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// A small bar chart of one figure over the quarters of the trend.
fn trend_chart(title: &str, trend: &[Figures], value: &dyn Fn(&Figures) -> Option<f64>, unit: &str) -> String {
    let values: Vec<Option<f64>> = trend.iter().map(value).collect();
    let max = values.iter().flatten().copied().fold(0.0_f64, f64::max).max(1.0);
    let (w, h, bar) = (220.0, 90.0, 40.0);
    let mut svg = format!(
        "<figure><figcaption>{t}</figcaption><svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">",
        t = esc(title)
    );
    for (i, (f, v)) in trend.iter().zip(&values).enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = 8.0 + 53.0 * i as f64;
        let label = f.quarter.to_string();
        let short = label.get(2..).unwrap_or(&label);
        if let Some(v) = v {
            let bh = 50.0 * v / max;
            let y = 62.0 - bh;
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y:.1}\" width=\"{bar}\" height=\"{bh:.1}\" fill=\"#2563eb\"/><text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"middle\">{v:.0}{unit}</text>",
                tx = x + bar / 2.0,
                ty = y - 2.0
            );
        } else {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"60\" font-size=\"10\" text-anchor=\"middle\">–</text>",
                x + bar / 2.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"78\" font-size=\"10\" text-anchor=\"middle\">{short}</text>",
            x + bar / 2.0
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn section(html: &mut String, title: &str, s: &Section) {
    let n = &s.now;
    let _ = write!(html, "<section><h2>{}</h2><div class=\"grid\">", esc(title));
    let _ = write!(
        html,
        "<div><h3>Adoption</h3><p class=\"big\">{} projects <small>({:+} since {})</small></p><p>{} on the newest release ({})</p><table><thead><tr><th>template</th><th>version</th><th>projects</th></tr></thead><tbody>",
        n.projects,
        n.change,
        n.quarter.previous(),
        n.on_latest,
        share(n.on_latest_share)
    );
    for (t, vs) in &n.versions {
        for (v, c) in super::scorecard::newest_first(vs) {
            let _ = write!(html, "<tr><td>{}</td><td>{}</td><td>{c}</td></tr>", esc(t), esc(v));
        }
    }
    html.push_str("</tbody></table></div>");
    let _ = write!(
        html,
        "<div><h3>Upgrade lead time</h3><p class=\"big\">median {} · p90 {}</p><p>{} upgrade(s) this quarter · {} project(s) behind</p></div>",
        days(n.lead_time.median),
        days(n.lead_time.p90),
        n.lead_time.upgrades,
        n.behind
    );
    let r = &n.risk;
    let _ = write!(
        html,
        "<div><h3>Risk</h3><ul><li>{} on deprecated or retired templates</li><li>{} open exception(s)</li><li class=\"{}\">{} expired exception(s)</li><li>{} project(s) failing <code>pave check</code> now ({} violation(s))</li></ul></div>",
        r.deprecated_or_retired,
        r.open_exceptions,
        if r.expired_exceptions > 0 { "bad" } else { "" },
        r.expired_exceptions,
        r.projects_with_violations.map_or("–".into(), |v| v.to_string()),
        r.violations.map_or("–".into(), |v| v.to_string()),
    );
    html.push_str("</div><div class=\"charts\">");
    #[allow(clippy::cast_precision_loss)]
    let projects = |f: &Figures| Some(f.projects as f64);
    html.push_str(&trend_chart("Projects", &s.trend, &projects, ""));
    html.push_str(&trend_chart("On the newest release", &s.trend, &|f| f.on_latest_share.map(|x| x * 100.0), "%"));
    #[allow(clippy::cast_precision_loss)]
    let lead = |f: &Figures| f.lead_time.median.map(|d| d as f64);
    html.push_str(&trend_chart("Median lead time (days)", &s.trend, &lead, ""));
    #[allow(clippy::cast_precision_loss)]
    let expired = |f: &Figures| Some((f.risk.open_exceptions + f.risk.expired_exceptions) as f64);
    html.push_str(&trend_chart("Exceptions on the record", &s.trend, &expired, ""));
    html.push_str("</div></section>");
}

/// The page.
pub(crate) fn page(card: &Scorecard) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pave golden-path scorecard</title><style>\
body{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:70rem}h1{margin-bottom:.2rem}\
section{border-top:2px solid #ddd;margin-top:1.5rem;break-inside:avoid}.grid{display:flex;flex-wrap:wrap;gap:2rem}\
.grid>div{min-width:16rem}.big{font-size:1.3rem;font-weight:600;margin:.2rem 0}.charts{display:flex;flex-wrap:wrap;gap:1rem}\
figure{margin:0}figcaption{font-size:.8rem;font-weight:600}table{border-collapse:collapse;font-size:.85rem}\
th,td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}th{background:#f3f4f6}.bad{color:#b91c1c}\
.muted{color:#555;font-size:.85rem}@media print{body{margin:0;max-width:none}section,table{break-inside:avoid}}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>Golden-path scorecard {}</h1><p class=\"muted\">{} to {} · measured as of {} · from the git history of each project's .pave.toml</p>",
        card.quarter, card.start, card.end, card.as_of
    );
    section(&mut html, "Fleet", &card.fleet);
    for (t, s) in &card.templates {
        section(&mut html, &format!("Template {t}"), s);
    }
    for (t, s) in &card.teams {
        section(&mut html, &format!("Team {t}"), s);
    }
    html.push_str("<section><h2>Still behind</h2>");
    if card.behind.is_empty() {
        html.push_str("<p>Every project is on its template's newest release.</p>");
    } else {
        html.push_str("<table><thead><tr><th>project</th><th>template</th><th>on</th><th>newest</th><th>behind since</th><th>days</th></tr></thead><tbody>");
        for b in &card.behind {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&b.path),
                esc(&b.template),
                esc(&b.version),
                esc(&b.latest),
                b.since,
                b.days
            );
        }
        html.push_str("</tbody></table>");
    }
    html.push_str("</section>");
    if !card.notes.is_empty() {
        html.push_str("<section><h2>Notes on the record</h2><ul>");
        for n in &card.notes {
            let _ = write!(html, "<li>{}</li>", esc(n));
        }
        html.push_str("</ul></section>");
    }
    html.push_str("</body></html>\n");
    html
}
