//! Everything an upgrade decides before looking at the project: the target version, the
//! answers (migrated, defaulted, overridden), the migrations' file renames, and both renders.

use std::collections::BTreeMap;

use super::UpgradeError;
use crate::answers::{self, Given, NoPrompt, Prompter};
use crate::catalog::{Catalog, CatalogError, Entry, Maturity, TemplateVersion};
use crate::plan::{ConflictStyle, PlanInput};
use crate::project::ProjectFile;
use crate::render::{self, RenderedTree};

type Result<T, E = UpgradeError> = std::result::Result<T, E>;

/// What the user asked for.
#[derive(Debug, Default, Clone)]
pub(crate) struct Request {
    /// `--to VERSION`.
    pub to: Option<String>,
    /// `--pre`: pre-releases are candidates.
    pub pre: bool,
    /// `-d KEY=VALUE`: changes an answer (and re-renders even without a newer version).
    pub overrides: Vec<String>,
    /// `KEY=VALUE` answers used only where the project has none (the fleet's `-d`: it answers
    /// questions a new version adds, and never changes what a project already answered).
    pub fill: Vec<String>,
    /// Defaults that beat the template's (the user config's `[answers]`).
    pub defaults: indexmap::IndexMap<String, serde_json::Value>,
    /// `--conflict`.
    pub style: ConflictStyle,
    /// The same versions are rendered for many projects (the fleet): each version's templates
    /// are parsed whole once and kept, rather than only those one upgrade renders.
    pub renders_many: bool,
}

/// Both renders and what the planner needs.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The recorded version.
    pub from: std::sync::Arc<TemplateVersion>,
    /// The target version.
    pub to: std::sync::Arc<TemplateVersion>,
    /// The old render, paths moved by the migrations.
    pub base: RenderedTree,
    /// The new render.
    pub theirs: RenderedTree,
    /// Composed `rename_files`: old path → new path.
    pub renames: BTreeMap<String, String>,
    /// Seed globs of both versions.
    pub seed: Vec<String>,
    /// `TEMPLATE VERSION`, for conflict markers.
    pub label: String,
    /// The new `.pave.toml` text.
    pub record: String,
    /// How conflicts are written.
    pub style: ConflictStyle,
}

impl Prepared {
    /// The planner's input.
    pub(crate) fn plan_input(&self) -> PlanInput<'_> {
        PlanInput {
            base: &self.base,
            theirs: &self.theirs,
            renames: &self.renames,
            seed: &self.seed,
            label: &self.label,
            style: self.style,
        }
    }
}

/// Either there is nothing newer, or an upgrade to make.
#[derive(Debug)]
pub(crate) enum Target {
    /// The recorded version is the newest candidate (or newer) and no answer changes.
    Current {
        /// The recorded version.
        recorded: semver::Version,
        /// The newest candidate, if any.
        newest: Option<semver::Version>,
    },
    /// An upgrade (or a re-render with changed answers).
    Upgrade(Box<Prepared>),
}

/// Chooses the target version: `--to` exactly, else the newest candidate, never backwards.
fn choose(entry: &Entry, recorded: &semver::Version, req: &Request) -> Result<Option<semver::Version>> {
    if entry.maturity == Maturity::Retired {
        return Err(CatalogError::Retired { name: entry.name.clone(), replacement: entry.replacement.clone() }.into());
    }
    if let Some(to) = &req.to {
        let target = entry.pick(Some(to), true)?;
        if &target < recorded {
            return Err(UpgradeError::Refused {
                message: format!(
                    "{} {target} is older than the recorded {recorded}: pave does not downgrade",
                    entry.name
                ),
                hint: "to go back, revert the upgrade commit with git".to_string(),
            });
        }
        return Ok(Some(target));
    }
    let newest = entry.versions.iter().filter(|v| req.pre || v.pre.is_empty()).max().cloned();
    match newest {
        Some(n) if &n > recorded => Ok(Some(n)),
        _ if !req.overrides.is_empty() => Ok(Some(recorded.clone())),
        _ => Ok(None),
    }
}

/// Renames answers and composes file renames for every version in (from, to], in order.
fn migrations(
    catalog: &Catalog,
    entry: &Entry,
    from: &semver::Version,
    to: &semver::Version,
    values: &mut indexmap::IndexMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>> {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for v in entry.versions.iter().filter(|v| *v > from && *v <= to) {
        let manifest = &catalog.version(entry, v)?.manifest;
        for m in &manifest.migrations {
            for (old, new) in &m.rename_answers {
                if let Some(value) = values.shift_remove(old) {
                    values.entry(new.clone()).or_insert(value);
                }
            }
            for (old, new) in &m.rename_files {
                // a → b then b → c composes to a → c.
                let mut composed = false;
                for target in renames.values_mut() {
                    if target == old {
                        target.clone_from(new);
                        composed = true;
                    }
                }
                if !composed {
                    renames.insert(old.clone(), new.clone());
                }
            }
        }
    }
    Ok(renames)
}

/// The version an upgrade of `project` goes to, without rendering anything: `None` when nothing
/// is newer (and no answer changes).
pub(crate) fn target(catalog: &Catalog, project: &ProjectFile, req: &Request) -> Result<Option<semver::Version>> {
    let recorded = &project.template;
    let entry = catalog.entry(&recorded.name)?;
    if !entry.versions.contains(&recorded.version) {
        return Err(CatalogError::UnknownVersion {
            name: entry.name.clone(),
            version: recorded.version.to_string(),
            available: entry.versions.iter().map(ToString::to_string).collect(),
        }
        .into());
    }
    choose(entry, &recorded.version, req)
}

/// Works out the upgrade of a project recorded in `project`.
pub(crate) fn prepare(
    catalog: &Catalog,
    project: &ProjectFile,
    req: &Request,
    prompter: &mut dyn Prompter,
) -> Result<Target> {
    let recorded = &project.template;
    let entry = catalog.entry(&recorded.name)?;
    let Some(target) = target(catalog, project, req)? else {
        let newest = entry.versions.iter().filter(|v| req.pre || v.pre.is_empty()).max().cloned();
        return Ok(Target::Current { recorded: recorded.version.clone(), newest });
    };
    let from = catalog.version(entry, &recorded.version)?;
    let to = if target == recorded.version { from.clone() } else { catalog.version(entry, &target)? };

    // The old answers, exactly as recorded: nothing is asked about the past.
    let recorded_given = Given { data: project.answer_values(), secrets_empty: true, ..Given::default() };
    let old = answers::resolve(&from.manifest, &recorded_given, &mut NoPrompt, &render::meta(&from, catalog)).map_err(
        |e| match e {
            answers::AnswerError::Missing { question, .. } => UpgradeError::Refused {
                message: format!(
                    ".pave.toml has no answer for `{question}`, which {} {} needs",
                    entry.name, recorded.version
                ),
                hint: format!(
                    "add `{question} = ...` under [answers] in .pave.toml, as it was when the project was made"
                ),
            },
            other => other.into(),
        },
    )?;

    let mut values = project.answer_values();
    let renames = migrations(catalog, entry, &recorded.version, &target, &mut values)?;
    values.retain(|k, _| to.manifest.questions.contains_key(k));
    let mut given = Given::from_pairs(&req.overrides)?;
    given.check_keys(&to.manifest, &entry.name)?;
    for (key, raw) in Given::from_pairs(&req.fill)?.cli {
        if to.manifest.questions.contains_key(&key) && !values.contains_key(&key) {
            values.insert(key, serde_json::Value::String(raw));
        }
    }
    given.data = values;
    given.defaults.clone_from(&req.defaults);
    given.secrets_empty = true;
    let new = answers::resolve(&to.manifest, &given, prompter, &render::meta(&to, catalog))?;

    let (mut base, theirs) = render::Pair {
        catalog,
        from: &from,
        old: &old.values,
        to: &to,
        new: &new.values,
        // A moved file's old and new paths must both be in the trees for the planner.
        leave_out_same: renames.is_empty(),
        keep_compiled: req.renders_many,
    }
    .render()?;
    base.files = std::mem::take(&mut base.files)
        .into_iter()
        .map(|(path, f)| (renames.get(&path).cloned().unwrap_or(path), f))
        .collect();
    let mut seed = from.manifest.files.seed.clone();
    seed.extend(to.manifest.files.seed.iter().cloned());
    let answers = new.recorded(&to.manifest);
    let record = project.updated_text(&target, &answers);
    let label = format!("{} {target}", entry.name);
    Ok(Target::Upgrade(Box::new(Prepared { from, to, base, theirs, renames, seed, label, record, style: req.style })))
}
