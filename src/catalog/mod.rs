//! catalog.toml: the published golden paths with their maturity, owner and support promise;
//! the versions on disk; lookup of `TEMPLATE[@VERSION]` with "did you mean".

use serde::{Deserialize, Serialize};

mod meta;

pub(crate) use meta::{CatalogMeta, Maturity, Support};

use crate::diagnostic::SourceError;
use crate::fs::FsError;
use crate::manifest::{Manifest, ManifestError};
use crate::store::{SourceFile, Store};

/// A catalog that could not be loaded, or a lookup that found nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CatalogError {
    /// catalog.toml is malformed.
    #[error("{0}")]
    Invalid(Box<SourceError>),
    /// No catalog.toml where one was expected.
    #[error("no catalog at `{0}`: catalog.toml is missing")]
    Missing(String),
    /// Reading the catalog failed.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A version's template.toml is malformed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// No template by that name.
    #[error("unknown template `{name}`")]
    UnknownTemplate {
        /// The name asked for.
        name: String,
        /// The closest names.
        suggestions: Vec<String>,
    },
    /// The template has no such version.
    #[error("template `{name}` has no version `{version}`")]
    UnknownVersion {
        /// The template.
        name: String,
        /// The version asked for.
        version: String,
        /// The versions it has.
        available: Vec<String>,
    },
    /// The template has no released version at all.
    #[error("template `{name}` has no released version{}", if *.pre_exists { " (only pre-releases: ask for one with @VERSION)" } else { "" })]
    NoVersion {
        /// The template.
        name: String,
        /// Whether pre-releases exist.
        pre_exists: bool,
    },
    /// The template is retired.
    #[error("template `{name}` is retired{}", replacement.as_deref().map(|r| format!(": use `{r}` instead")).unwrap_or_default())]
    Retired {
        /// The template.
        name: String,
        /// What to use instead.
        replacement: Option<String>,
    },
    /// The template is experimental and was not allowed.
    #[error("template `{name}` is experimental: it may change or disappear without notice")]
    Experimental {
        /// The template.
        name: String,
    },
}

impl CatalogError {
    /// Whether the user asked for something that is not there (exit 2) rather than a failure.
    pub(crate) fn is_input(&self) -> bool {
        !matches!(self, Self::Fs(_))
    }

    /// What to do next.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownTemplate { suggestions, .. } if !suggestions.is_empty() => {
                Some(format!("did you mean `{}`? See `pave catalog list`", suggestions.join("` or `")))
            }
            Self::UnknownTemplate { .. } => Some("see the templates with `pave catalog list`".into()),
            Self::UnknownVersion { name, available, .. } => Some(format!(
                "available: {}; see `pave catalog show {name}`",
                if available.is_empty() { "none".to_string() } else { available.join(", ") }
            )),
            Self::Experimental { .. } => Some("pass --allow-experimental to use it anyway".into()),
            Self::Retired { .. } => Some(
                "retired templates are kept only so existing projects can be checked: `pave catalog list --all`".into(),
            ),
            Self::Missing(_) => Some("pass --catalog with a directory holding catalog.toml and templates/".into()),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    catalog: CatalogMeta,
    #[serde(default)]
    support: Support,
    #[serde(default)]
    template: Vec<EntryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_kind")]
    kind: String,
    maturity: Maturity,
    owner: String,
    #[serde(default)]
    replacement: Option<String>,
    #[serde(default)]
    support: Option<Support>,
}

fn default_kind() -> String {
    "service".into()
}

/// One golden path of the catalog, with the versions found on disk.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// The template's name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// service, worker, library...
    pub kind: String,
    /// Maturity label.
    pub maturity: Maturity,
    /// The owning team.
    pub owner: String,
    /// What to use instead, for deprecated and retired templates.
    pub replacement: Option<String>,
    /// Every version on disk, oldest first.
    pub versions: Vec<semver::Version>,
    /// The newest released (non-pre-release) version.
    pub latest: Option<semver::Version>,
    /// The support promise (the catalog's, with this template's overrides).
    pub support: Support,
}

impl Entry {
    /// The version to use: the exact one asked for, else the newest released (or newest at all
    /// with `pre`).
    pub(crate) fn pick(&self, requested: Option<&str>, pre: bool) -> Result<semver::Version, CatalogError> {
        if let Some(req) = requested {
            let req = req.trim_start_matches('v');
            return self.versions.iter().find(|v| v.to_string() == req).cloned().ok_or_else(|| {
                CatalogError::UnknownVersion {
                    name: self.name.clone(),
                    version: req.to_string(),
                    available: self.versions.iter().map(ToString::to_string).collect(),
                }
            });
        }
        let candidates = self.versions.iter().filter(|v| pre || v.pre.is_empty());
        candidates
            .max()
            .cloned()
            .ok_or_else(|| CatalogError::NoVersion { name: self.name.clone(), pre_exists: !self.versions.is_empty() })
    }
}

/// A loaded catalog: its metadata and entries, and where its files live.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// `[catalog]`.
    pub meta: CatalogMeta,
    /// The default support promise.
    pub support: Support,
    /// Every template, in file order.
    pub entries: Vec<Entry>,
    /// Where the files are.
    pub store: Store,
    /// How `.pave.toml` records this catalog: `builtin`, a directory or a git URL.
    pub source: String,
    /// Versions already loaded, shared by the catalog's clones: a fleet reads each version's
    /// manifest and files once per run, not once per project.
    loaded: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<TemplateVersion>>>>,
}

/// A template version ready to render: its manifest and files.
#[derive(Debug, Clone)]
pub(crate) struct TemplateVersion {
    /// The catalog entry.
    pub entry: Entry,
    /// The version.
    pub version: semver::Version,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The files under `files/`.
    pub files: Vec<SourceFile>,
    /// How the version directory is shown in errors.
    pub dir_display: String,
    /// Its templates, parsed once (by `render`): a fleet renders a version for every project.
    pub compiled: std::sync::OnceLock<std::sync::Arc<tera::Tera>>,
    /// What each file reads of the context, in the order of `files`, worked out when an
    /// upgrade's render first asks.
    pub reads: Vec<std::sync::OnceLock<crate::render::Reads>>,
    /// `[files] exclude`, compiled once (every render and every fleet project asks).
    excludes: std::sync::OnceLock<globset::GlobSet>,
}

impl TemplateVersion {
    /// Whether `[files] exclude` leaves the template file at `path` out of projects.
    pub(crate) fn excludes(&self, path: &str) -> bool {
        self.excludes.get_or_init(|| crate::manifest::globset(&self.manifest.files.exclude)).is_match(path)
    }
}

impl Catalog {
    /// Loads catalog.toml from a store and lists the versions of every template.
    pub(crate) fn load(store: Store, source: String) -> Result<Self, CatalogError> {
        let file = store.display_path("catalog.toml");
        let bytes = store.read("catalog.toml")?.ok_or_else(|| CatalogError::Missing(store.display_path("")))?;
        let text = String::from_utf8_lossy(&bytes);
        let parsed: CatalogFile = toml::from_str(&text)
            .map_err(|e| CatalogError::Invalid(Box::new(SourceError::from_toml(&file, &text, &e))))?;
        let invalid = |needle: &str, msg: String| {
            CatalogError::Invalid(Box::new(SourceError::at_line_starting(&file, &text, needle, msg)))
        };
        let mut entries = Vec::new();
        for e in parsed.template {
            let needle = format!("name = \"{}\"", e.name);
            let valid_name = e.name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && e.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
            if !valid_name {
                return Err(invalid(
                    &needle,
                    format!("template name `{}` must be lowercase letters, digits, `-`, `_` or `.`", e.name),
                ));
            }
            if entries.iter().any(|x: &Entry| x.name == e.name) {
                return Err(invalid(&needle, format!("template `{}` is listed twice", e.name)));
            }
            if matches!(e.maturity, Maturity::Deprecated | Maturity::Retired) && e.replacement.is_none() {
                return Err(invalid(
                    &needle,
                    format!("template `{}` is {} and must name a `replacement`", e.name, e.maturity),
                ));
            }
            let mut versions = Vec::new();
            for dir in store.subdirs(&format!("templates/{}", e.name))? {
                let v = semver::Version::parse(&dir).map_err(|err| {
                    invalid(
                        &needle,
                        format!("templates/{}/{dir} is not a semantic version ({err}): rename it, e.g. 1.0.0", e.name),
                    )
                })?;
                versions.push(v);
            }
            versions.sort();
            let latest = versions.iter().filter(|v| v.pre.is_empty()).max().cloned();
            let support = e.support.as_ref().map_or_else(|| parsed.support.clone(), |s| s.or(&parsed.support));
            entries.push(Entry {
                name: e.name,
                description: e.description,
                kind: e.kind,
                maturity: e.maturity,
                owner: e.owner,
                replacement: e.replacement,
                versions,
                latest,
                support,
            });
        }
        for e in &entries {
            if let Some(r) = &e.replacement
                && !entries.iter().any(|x| &x.name == r)
            {
                let needle = format!("replacement = \"{r}\"");
                return Err(invalid(
                    &needle,
                    format!("template `{}` names a replacement `{r}` that is not in the catalog", e.name),
                ));
            }
        }
        Ok(Self {
            meta: parsed.catalog,
            support: parsed.support,
            entries,
            store,
            source,
            loaded: std::sync::Arc::default(),
        })
    }

    /// The entry called `name`, or an error suggesting near names.
    pub(crate) fn entry(&self, name: &str) -> Result<&Entry, CatalogError> {
        self.entries.iter().find(|e| e.name == name).ok_or_else(|| {
            let mut scored: Vec<(f64, &str)> = self
                .entries
                .iter()
                .map(|e| (strsim::jaro_winkler(name, &e.name), e.name.as_str()))
                .filter(|(score, candidate)| *score > 0.8 || candidate.contains(name))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            CatalogError::UnknownTemplate {
                name: name.to_string(),
                suggestions: scored.into_iter().take(2).map(|(_, n)| n.to_string()).collect(),
            }
        })
    }

    /// Loads the manifest of one version.
    pub(crate) fn manifest(&self, entry: &Entry, version: &semver::Version) -> Result<Manifest, CatalogError> {
        let manifest_rel = format!("templates/{}/{version}/template.toml", entry.name);
        let file = self.store.display_path(&manifest_rel);
        let bytes = self.store.read(&manifest_rel)?.ok_or_else(|| {
            ManifestError(Box::new(SourceError::at(&file, "", None, "template.toml is missing from this version")))
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(Manifest::parse(&file, &text, version)?)
    }

    /// The manifest and files of one version, loaded once.
    pub(crate) fn version(
        &self,
        entry: &Entry,
        version: &semver::Version,
    ) -> Result<std::sync::Arc<TemplateVersion>, CatalogError> {
        let key = format!("{}@{version}", entry.name);
        let lock = || self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(tv) = lock().get(&key) {
            return Ok(tv.clone());
        }
        let tv = std::sync::Arc::new(self.load_version(entry, version)?);
        lock().insert(key, tv.clone());
        Ok(tv)
    }

    /// Reads the manifest and files of one version.
    fn load_version(&self, entry: &Entry, version: &semver::Version) -> Result<TemplateVersion, CatalogError> {
        let dir = format!("templates/{}/{version}", entry.name);
        let manifest = self.manifest(entry, version)?;
        let files = self.store.walk(&format!("{dir}/files"))?;
        Ok(TemplateVersion {
            entry: entry.clone(),
            version: version.clone(),
            manifest,
            reads: files.iter().map(|_| std::sync::OnceLock::new()).collect(),
            files,
            dir_display: self.store.display_path(&dir),
            compiled: std::sync::OnceLock::new(),
            excludes: std::sync::OnceLock::new(),
        })
    }
}

/// Splits `NAME@VERSION`.
pub(crate) fn split_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once('@') {
        Some((name, version)) => (name, Some(version)),
        None => (spec, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(versions: &[&str]) -> Entry {
        Entry {
            name: "svc".into(),
            description: String::new(),
            kind: "service".into(),
            maturity: Maturity::Stable,
            owner: "team".into(),
            replacement: None,
            versions: versions.iter().filter_map(|v| semver::Version::parse(v).ok()).collect(),
            latest: None,
            support: Support::default(),
        }
    }

    #[test]
    fn prereleases_only_when_asked() {
        let e = entry(&["1.0.0", "1.1.0", "2.0.0-rc.1"]);
        assert_eq!(e.pick(None, false).map(|v| v.to_string()).ok(), Some("1.1.0".into()));
        assert_eq!(e.pick(None, true).map(|v| v.to_string()).ok(), Some("2.0.0-rc.1".into()));
        assert_eq!(e.pick(Some("2.0.0-rc.1"), false).map(|v| v.to_string()).ok(), Some("2.0.0-rc.1".into()));
        assert!(matches!(e.pick(Some("3.0.0"), false), Err(CatalogError::UnknownVersion { .. })));
    }

    #[test]
    fn only_prereleases_is_an_error() {
        let e = entry(&["2.0.0-rc.1"]);
        assert!(matches!(e.pick(None, false), Err(CatalogError::NoVersion { pre_exists: true, .. })));
    }

    #[test]
    fn spec_splits_on_at() {
        assert_eq!(split_spec("a@1.0.0"), ("a", Some("1.0.0")));
        assert_eq!(split_spec("a"), ("a", None));
    }
}
