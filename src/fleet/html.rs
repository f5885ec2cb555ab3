//! The fleet's status as one self-contained HTML page: inline CSS and SVG, no scripts, no
//! network, so a platform team can publish it anywhere.

use std::fmt::Write as _;

use super::status::{StatusRow, StatusSummary};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const PALETTE: &[&str] = &["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563"];

/// A horizontal bar chart of labelled counts.
fn bars(title: &str, items: &[(String, usize)]) -> String {
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let height = 26 * items.len() + 10;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 520 {height}\" width=\"520\" height=\"{height}\">",
        esc(title),
        esc(title)
    );
    for (i, (label, n)) in items.iter().enumerate() {
        let y = 26 * i + 5;
        let w = 300 * n / max;
        let color = PALETTE[i % PALETTE.len()];
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"190\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" font-size=\"13\">{n}</text>",
            y + 14,
            esc(label),
            196 + w,
            y + 14
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The page.
pub(crate) fn page(rows: &[StatusRow], summary: &StatusSummary) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pave fleet status</title><style>\
body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;font-size:14px}\
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}th{background:#f3f4f6}.charts{display:flex;flex-wrap:wrap;gap:2rem}\
figcaption{font-weight:600;margin-bottom:.3rem}.warn{color:#b45309}.bad{color:#b91c1c}.ok{color:#15803d}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>pave fleet status</h1><p>{} projects · <span class=\"ok\">{} current</span> · {} behind · <span class=\"warn\">{} on deprecated or retired templates</span> · <span class=\"bad\">{} with expired exceptions</span> · <span class=\"bad\">{} failing pave check</span> · {} unreadable</p>",
        summary.projects,
        summary.current,
        summary.behind,
        summary.on_deprecated_or_retired,
        summary.with_expired_exceptions,
        summary.with_violations,
        summary.unreadable
    );
    html.push_str("<div class=\"charts\">");
    let adoption: Vec<(String, usize)> = summary.per_template.iter().map(|(k, v)| (k.clone(), *v)).collect();
    html.push_str(&bars("Adoption per template", &adoption));
    let spread: Vec<(String, usize)> =
        summary.per_version.iter().flat_map(|(t, vs)| vs.iter().map(move |(v, n)| (format!("{t} {v}"), *n))).collect();
    html.push_str(&bars("Version spread", &spread));
    let maturity: Vec<(String, usize)> = summary.per_maturity.iter().map(|(k, v)| (k.clone(), *v)).collect();
    html.push_str(&bars("Maturity", &maturity));
    html.push_str("</div><h2>Projects</h2><table><thead><tr><th>Project</th><th>Template</th><th>Version</th><th>Latest</th><th>Behind</th><th>Maturity</th><th>Check</th><th>Notes</th></tr></thead><tbody>");
    for r in rows {
        let behind = r.behind.map_or("-".to_string(), |b| format!("{b:?}").to_lowercase());
        let class = match behind.as_str() {
            "current" | "ahead" => "ok",
            "major" => "bad",
            _ => "warn",
        };
        let mut notes = Vec::new();
        if let Some(e) = &r.error {
            notes.push(esc(e.lines().next().unwrap_or_default()));
        }
        if let Some(rep) = &r.replacement {
            notes.push(format!("use {}", esc(rep)));
        }
        if !r.expired_exceptions.is_empty() {
            notes.push(format!(
                "<span class=\"bad\">expired exception: {}</span>",
                esc(&r.expired_exceptions.join(", "))
            ));
        }
        let check = match (r.violations, r.warnings) {
            (Some(0), Some(0)) => "<span class=\"ok\">ok</span>".to_string(),
            (Some(v), Some(w)) => {
                format!(
                    "<span class=\"{}\">{v} violation(s), {w} warning(s)</span>",
                    if v > 0 { "bad" } else { "warn" }
                )
            }
            _ => "-".to_string(),
        };
        if !r.violated_rules.is_empty() {
            notes.push(format!("violates {}", esc(&r.violated_rules.join(", "))));
        }
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{behind}</td><td>{}</td><td>{check}</td><td>{}</td></tr>",
            esc(&r.path),
            esc(&r.template),
            esc(&r.version),
            esc(r.latest.as_deref().unwrap_or("-")),
            r.maturity.map_or("-".to_string(), |m| m.to_string()),
            notes.join("; ")
        );
    }
    html.push_str("</tbody></table></body></html>\n");
    html
}
