//! Rendering every template version with fixture answers, once per test process: the base
//! render, one more for every choice (or bool) value that changes which files exist, and one with
//! every choice question on its last choice (other content: tiers, regions, objectives).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::catalog::{Question, TemplateVersion, template_versions};
use crate::pave;
use crate::tree::Tree;

/// What was rendered, and what could not be.
pub struct Renders {
    pub trees: Vec<Tree>,
    /// `NAME@VERSION [answers]: pave's output` for every render that failed.
    pub failures: Vec<String>,
}

/// Every rendered tree of every template version (rendered once, on first use).
pub fn renders() -> &'static Renders {
    static RENDERS: OnceLock<Renders> = OnceLock::new();
    RENDERS.get_or_init(|| {
        let started = std::time::Instant::now();
        let results: Vec<_> = template_versions().par_iter().map(render_all_variants).collect();
        let mut renders = Renders { trees: Vec::new(), failures: Vec::new() };
        for (trees, failures) in results {
            renders.trees.extend(trees);
            renders.failures.extend(failures);
        }
        eprintln!(
            "golden_paths: rendered {} trees of {} template versions in {:.1?}",
            renders.trees.len(),
            template_versions().len(),
            started.elapsed()
        );
        renders
    })
}

/// The rendered trees (failed renders are reported by `every_template_version_renders`).
pub fn trees() -> &'static [Tree] {
    &renders().trees
}

/// The answers every render starts from: a valid value for each required question (and for
/// `service_name` and the owning team, which every golden path asks for).
pub fn fixture_answers(tv: &TemplateVersion) -> Vec<(String, String)> {
    tv.questions
        .iter()
        .filter(|q| q.required || matches!(q.name.as_str(), "service_name" | "owner" | "team"))
        .filter_map(|q| fixture_value(q).map(|v| (q.name.clone(), v)))
        .collect()
}

/// A value for `q` that passes its rule: its example, or a realistic candidate that matches.
pub fn fixture_value(q: &Question) -> Option<String> {
    match q.kind.as_str() {
        "bool" => return Some("false".into()),
        "int" => return Some(q.min.unwrap_or(1).to_string()),
        "choice" | "multichoice" => return q.choices.first().cloned(),
        _ => {}
    }
    let by_name: &[&str] = match q.name.as_str() {
        "service_name" | "name" => &["payments"],
        "owner" | "team" => &["team-payments"],
        n if n.contains("email") => &["pat@example.com"],
        n if n.contains("schedule") || n.contains("cron") => &["0 3 * * *"],
        _ => &[],
    };
    let generic = ["payments", "team-payments", "example", "CC-1234", "eu-west-1", "1", "https://example.com"];
    let rule = q.validate.as_deref().and_then(|r| regex::Regex::new(r).ok());
    let fits = |v: &str| rule.as_ref().is_none_or(|r| r.is_match(v));
    let candidates = by_name.iter().copied().chain(q.example.as_deref()).chain(generic);
    let mut candidates = candidates.collect::<Vec<&str>>().into_iter();
    Some(candidates.find(|v| fits(v)).or(q.example.as_deref()).unwrap_or("example").to_string())
}

/// `pave new NAME@VERSION DEST --no-input --no-git -d ...`; Err holds pave's output.
pub fn render(tv: &TemplateVersion, answers: &[(String, String)], dest: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dest);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let dest_s = dest.to_string_lossy();
    let id = tv.id();
    let mut args: Vec<String> = vec!["new".into(), id, dest_s.into_owned(), "--no-input".into(), "--no-git".into()];
    args.extend(tv.maturity_flags().iter().map(|s| (*s).to_string()));
    for (k, v) in answers {
        args.push("-d".into());
        args.push(format!("{k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = pave::run(&args, &tv.catalog_dir(), pave::work_dir());
    if out.status.success() { Ok(()) } else { Err(format!("pave {}\n{}", args.join(" "), pave::describe(&out))) }
}

fn render_all_variants(tv: &'static TemplateVersion) -> (Vec<Tree>, Vec<String>) {
    let dir = pave::work_dir().join("renders").join(tv.id());
    let base_answers = fixture_answers(tv);
    let mut trees = Vec::new();
    let mut failures = Vec::new();
    let base_dir = dir.join("base");
    if let Err(e) = render(tv, &base_answers, &base_dir) {
        failures.push(format!("{} {}: {e}", tv.id(), show(&base_answers)));
        return (trees, failures);
    }
    let base = Tree::new(tv, "", base_answers.clone(), base_dir);
    let mut file_sets: BTreeSet<Vec<String>> = BTreeSet::new();
    file_sets.insert(base.files.clone());

    // One render per value of every choice or bool question; kept when its file set is new.
    for (n, q) in tv.questions.iter().enumerate() {
        for value in alternatives(q, &base_answers) {
            let mut answers = with(&base_answers, &q.name, &value);
            // A question shown only when a bool question is true (`when = "database"`) needs it.
            if let Some(flag) = q.when.as_deref().map(str::trim)
                && tv.questions.iter().any(|o| o.name == flag && o.kind == "bool")
            {
                answers = with(&answers, flag, "true");
            }
            let probe = dir.join(format!("probe-{n}-{}", slug(&value)));
            match render(tv, &answers, &probe) {
                Ok(()) => {
                    let tree = Tree::new(tv, &format!("{}={value}", q.name), answers.clone(), probe);
                    if file_sets.insert(tree.files.clone()) {
                        trees.push(tree);
                    } else {
                        let _ = std::fs::remove_dir_all(&tree.root);
                    }
                }
                Err(e) => failures.push(format!("{} {}: {e}", tv.id(), show(&answers))),
            }
        }
    }

    // Every choice on its last value: other tiers, regions and objectives in the content.
    let mut alternate = base_answers.clone();
    for q in tv.questions.iter().filter(|q| q.kind == "choice" && q.when.is_none()) {
        if let Some(last) = q.choices.last() {
            alternate = with(&alternate, &q.name, last);
        }
    }
    if alternate != base_answers {
        let alt_dir = dir.join("alternate");
        match render(tv, &alternate, &alt_dir) {
            Ok(()) => trees.push(Tree::new(tv, "last choices", alternate, alt_dir)),
            Err(e) => failures.push(format!("{} {}: {e}", tv.id(), show(&alternate))),
        }
    }
    trees.insert(0, base);
    (trees, failures)
}

/// The values of a choice or bool question other than the one the base render used.
fn alternatives(q: &Question, base: &[(String, String)]) -> Vec<String> {
    let current = base.iter().find(|(k, _)| *k == q.name).map(|(_, v)| v.as_str());
    let all: Vec<String> = match q.kind.as_str() {
        "choice" => q.choices.clone(),
        "bool" => vec!["true".into(), "false".into()],
        _ => Vec::new(),
    };
    all.into_iter().filter(|v| Some(v.as_str()) != current).collect()
}

fn with(answers: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = answers.iter().filter(|(k, _)| k != key).cloned().collect();
    out.push((key.to_string(), value.to_string()));
    out
}

fn show(answers: &[(String, String)]) -> String {
    let parts: Vec<String> = answers.iter().map(|(k, v)| format!("-d {k}={v}")).collect();
    parts.join(" ")
}

fn slug(value: &str) -> String {
    value.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}
