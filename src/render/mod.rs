//! Template version + answers → an in-memory tree of files. Never writes. `.tera` files are
//! rendered with Tera (no environment, files or network), others copied byte for byte; every path
//! component is rendered and checked so that nothing can land outside the destination.

mod reads;

use std::collections::{BTreeMap, HashSet};

use crate::answers::Answers;
use crate::catalog::{Catalog, TemplateVersion};
use crate::store::SourceFile;
pub(crate) use reads::Reads;

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RenderedFile {
    /// A regular file.
    File {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Whether it is executable.
        executable: bool,
    },
    /// A relative symbolic link that stays inside the project.
    Symlink {
        /// The link target.
        target: String,
    },
}

impl RenderedFile {
    /// The bytes a diff or digest sees (a link's target for a link).
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Self::File { bytes, .. } => bytes,
            Self::Symlink { target } => target.as_bytes(),
        }
    }
}

/// The rendered project: project-relative paths with `/` separators → files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RenderedTree {
    /// Every file, sorted by path.
    pub files: BTreeMap<String, RenderedFile>,
}

/// Why a template version could not be rendered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    /// Tera failed on a file or a path.
    #[error("{file}: {message}")]
    Template {
        /// The template file.
        file: String,
        /// Tera's report.
        message: String,
    },
    /// A rendered path would leave the destination or enter `.git`.
    #[error("refusing to write `{rendered}` (from template file `{source_path}`): {reason}")]
    UnsafePath {
        /// The path in the template.
        source_path: String,
        /// What it rendered to.
        rendered: String,
        /// Why it is refused.
        reason: String,
    },
    /// A symlink that is absolute or leaves the template.
    #[error(
        "template file `{path}` is a link to `{target}`, which leaves the template: only relative links inside it are allowed"
    )]
    Link {
        /// The link in the template.
        path: String,
        /// Where it points.
        target: String,
    },
    /// A `.tera` file that is not UTF-8.
    #[error("template file `{0}` ends in .tera but is not UTF-8 text")]
    NotText(String),
    /// Two template files render to the same path.
    #[error("template files `{first}` and `{second}` both render to `{rendered}`")]
    Collision {
        /// One source.
        first: String,
        /// The other.
        second: String,
        /// The path both produce.
        rendered: String,
    },
}

/// The context every file sees: the answers, plus `template`, `catalog` and `pave`.
pub(crate) fn context(tv: &TemplateVersion, catalog: &Catalog, values: &Answers) -> tera::Context {
    let mut ctx = meta(tv, catalog);
    for (k, v) in values {
        ctx.insert(k.clone(), v);
    }
    ctx
}

/// `template`, `catalog` and `pave`: what defaults, `when` and files may read besides answers.
pub(crate) fn meta(tv: &TemplateVersion, catalog: &Catalog) -> tera::Context {
    let mut ctx = tera::Context::new();
    for (key, value) in meta_values(tv, catalog) {
        ctx.insert(key, &value);
    }
    ctx
}

fn meta_values(tv: &TemplateVersion, catalog: &Catalog) -> [(&'static str, serde_json::Value); 3] {
    [
        (
            "template",
            serde_json::json!({
                "name": tv.entry.name,
                "version": tv.version.to_string(),
                "maturity": tv.entry.maturity.to_string(),
                "owner": tv.entry.owner,
                "description": tv.entry.description,
            }),
        ),
        (
            "catalog",
            serde_json::json!({ "name": catalog.meta.name, "owner": catalog.meta.owner, "support": tv.entry.support }),
        ),
        ("pave", serde_json::json!({ "version": env!("CARGO_PKG_VERSION") })),
    ]
}

/// What [`context`] holds, as JSON, to compare two contexts.
fn context_values(
    tv: &TemplateVersion,
    catalog: &Catalog,
    values: &Answers,
) -> serde_json::Map<String, serde_json::Value> {
    let mut map: serde_json::Map<String, serde_json::Value> =
        meta_values(tv, catalog).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for (k, v) in values {
        map.insert(k.clone(), serde_json::to_value(v).unwrap_or_default());
    }
    map
}

/// A version's templates, parsed: once per version, whatever the number of renders.
fn compiled(tv: &TemplateVersion) -> Result<std::sync::Arc<tera::Tera>, RenderError> {
    if let Some(tera) = tv.compiled.get() {
        return Ok(tera.clone());
    }
    let tera = std::sync::Arc::new(compile(tv, &HashSet::new())?);
    Ok(tv.compiled.get_or_init(|| tera).clone())
}

/// Parses every `.tera` file of a version (and its partials) into one Tera, but those `skip`
/// names (files that are not rendered).
fn compile(tv: &TemplateVersion, skip: &HashSet<&str>) -> Result<tera::Tera, RenderError> {
    let mut tera = crate::engine::engine();
    // Excluded `.tera` files are loaded first, each on its own and only when it parses, so
    // templates can `{% include %}` partials that never land in the project themselves.
    for f in tv.files.iter().filter(|f| tv.excludes(&f.path) && f.link.is_none() && is_tera(&f.path)) {
        if let Ok(text) = std::str::from_utf8(&f.bytes) {
            let _ = tera.add_raw_template(&f.path, text);
        }
    }
    let mut texts = Vec::new();
    for f in tv.files.iter().filter(|f| !tv.excludes(&f.path) && !skip.contains(f.path.as_str())) {
        if f.link.is_none() && is_tera(&f.path) {
            let text = std::str::from_utf8(&f.bytes).map_err(|_| RenderError::NotText(f.path.clone()))?;
            texts.push((f.path.as_str(), text));
        }
    }
    tera.add_raw_templates(texts).map_err(|e| RenderError::Template {
        file: tv.dir_display.clone(),
        message: crate::engine::tera_message(&e),
    })?;
    Ok(tera)
}

/// Renders a template version with a context into memory.
pub(crate) fn render(tv: &TemplateVersion, ctx: &tera::Context) -> Result<RenderedTree, RenderError> {
    render_with(tv, &*compiled(tv)?, ctx, &HashSet::new())
}

/// Renders every file of a version but those `skip` names, which are placed (their paths are
/// rendered and checked like any other) but left out of the tree.
fn render_with(
    tv: &TemplateVersion,
    tera: &tera::Tera,
    ctx: &tera::Context,
    skip: &HashSet<&str>,
) -> Result<RenderedTree, RenderError> {
    let sources: Vec<_> = tv.files.iter().filter(|f| !tv.excludes(&f.path)).collect();

    let mut tree = RenderedTree::default();
    let mut origin: BTreeMap<String, &str> = BTreeMap::new();
    for f in sources {
        let Some(rendered) = render_path(tera, &f.path, ctx)? else {
            continue;
        };
        if let Some(first) = origin.insert(rendered.clone(), &f.path) {
            return Err(RenderError::Collision { first: first.into(), second: f.path.clone(), rendered });
        }
        if let Some(target) = &f.link {
            check_link(&f.path, target)?;
        }
        if skip.contains(f.path.as_str()) {
            continue;
        }
        let file = if let Some(target) = &f.link {
            RenderedFile::Symlink { target: target.clone() }
        } else if is_tera(&f.path) {
            let text = tera.render(&f.path, ctx).map_err(|e| RenderError::Template {
                file: format!("{}/files/{}", tv.dir_display, f.path),
                message: crate::engine::tera_message(&e),
            })?;
            RenderedFile::File { bytes: text.into_bytes(), executable: f.executable }
        } else {
            RenderedFile::File { bytes: f.bytes.to_vec(), executable: f.executable }
        };
        tree.files.insert(rendered, file);
    }
    check_no_file_under_file(&origin)?;
    Ok(tree)
}

/// The two renders of an upgrade: the recorded version with the recorded answers (`base`) and
/// the target version with the new answers (`theirs`).
pub(crate) struct Pair<'a> {
    /// The catalog both versions come from.
    pub catalog: &'a Catalog,
    /// The recorded version.
    pub from: &'a TemplateVersion,
    /// The recorded answers.
    pub old: &'a Answers,
    /// The target version (the same one for a re-render with changed answers).
    pub to: &'a TemplateVersion,
    /// The new answers.
    pub new: &'a Answers,
    /// Whether files that both renders would give alike are left out of both trees.
    pub leave_out_same: bool,
    /// Whether each version's templates are parsed whole and kept, because the same versions
    /// are rendered again (a fleet); else only the templates this pair renders are parsed.
    pub keep_compiled: bool,
}

impl Pair<'_> {
    /// Renders both versions: `(base, theirs)`.
    ///
    /// With `leave_out_same`, a file that is in both versions with the same bytes and mode, and
    /// whose path and text read nothing that differs between the two contexts, renders the same
    /// twice: it is neither parsed nor rendered, and it is in neither tree, which the planner
    /// takes as "not changed by the template" (it is, either way). Its path is still rendered
    /// and checked, so both versions refuse what they refused before.
    pub(crate) fn render(&self) -> Result<(RenderedTree, RenderedTree), RenderError> {
        let same = if self.leave_out_same { self.same() } else { HashSet::new() };
        let from_tera = self.tera(self.from, &same)?;
        let base = render_with(self.from, &from_tera, &context(self.from, self.catalog, self.old), &same)?;
        // A re-render with changed answers renders one version twice: parsed once.
        let to_tera = if std::ptr::eq(self.from, self.to) { from_tera } else { self.tera(self.to, &same)? };
        let theirs = render_with(self.to, &to_tera, &context(self.to, self.catalog, self.new), &same)?;
        Ok((base, theirs))
    }

    /// The source paths both versions render alike.
    fn same(&self) -> HashSet<&str> {
        let changed = reads::changed(
            &context_values(self.from, self.catalog, self.old),
            &context_values(self.to, self.catalog, self.new),
        );
        let theirs: BTreeMap<&str, &SourceFile> = self.to.files.iter().map(|f| (f.path.as_str(), f)).collect();
        let from = self.from;
        (0..from.files.len())
            .filter(|&i| {
                let f = &from.files[i];
                theirs
                    .get(f.path.as_str())
                    .is_some_and(|t| t.bytes == f.bytes && t.executable == f.executable && t.link == f.link)
                    && !from.excludes(&f.path)
                    && !self.to.excludes(&f.path)
                    && !file_reads(from, i).touches(&changed)
            })
            .map(|i| from.files[i].path.as_str())
            .collect()
    }

    /// The Tera that renders `tv`'s files but those in `skip`.
    fn tera(&self, tv: &TemplateVersion, skip: &HashSet<&str>) -> Result<std::sync::Arc<tera::Tera>, RenderError> {
        if let Some(tera) = tv.compiled.get() {
            return Ok(tera.clone());
        }
        // A template that reads another (or a component) may need one of those left out.
        let opaque = (0..tv.files.len())
            .any(|i| !skip.contains(tv.files[i].path.as_str()) && *file_reads(tv, i) == Reads::Opaque);
        if self.keep_compiled || skip.is_empty() || opaque {
            return compiled(tv);
        }
        Ok(std::sync::Arc::new(compile(tv, skip)?))
    }
}

/// What `tv.files[i]` reads: its path and, for a `.tera` file, its text. Worked out once.
fn file_reads(tv: &TemplateVersion, i: usize) -> &Reads {
    tv.reads[i].get_or_init(|| {
        let f = &tv.files[i];
        let path = reads::reads(&f.path);
        let text = if is_tera(&f.path) && f.link.is_none() {
            // Not UTF-8: rendered, so that the error is the one it always was.
            std::str::from_utf8(&f.bytes).map_or(Reads::Opaque, reads::reads)
        } else {
            Reads::Names(std::collections::BTreeSet::new())
        };
        path.union(text)
    })
}

/// The `.tera` suffix is case-sensitive on purpose: `X.TERA` is copied as it is.
fn is_tera(path: &str) -> bool {
    path.strip_suffix(".tera").is_some()
}

/// Renders each component of a template path; `None` when a component renders empty (the file
/// is conditional). The result is checked: relative, no `..`, no `.git`, no NUL or backslash.
pub(crate) fn render_path(tera: &tera::Tera, source: &str, ctx: &tera::Context) -> Result<Option<String>, RenderError> {
    let trimmed = source.strip_suffix(".tera").unwrap_or(source);
    let mut parts: Vec<String> = Vec::new();
    for component in trimmed.split('/') {
        let rendered = if component.contains("{{") || component.contains("{%") {
            tera.render_str(component, ctx, false).map_err(|e| RenderError::Template {
                file: format!("path `{source}`"),
                message: crate::engine::tera_message(&e).replace("__tera_one_off", source),
            })?
        } else {
            component.to_string()
        };
        if rendered.is_empty() {
            return Ok(None);
        }
        // An answer may hold a nested directory (`com/example`); each piece is checked.
        for piece in rendered.split('/') {
            let unsafe_path = |reason: &str| RenderError::UnsafePath {
                source_path: source.into(),
                rendered: rendered.clone(),
                reason: reason.into(),
            };
            if piece.is_empty() {
                return Err(unsafe_path("it has an empty path component (or is absolute)"));
            }
            if piece == ".." || piece == "." {
                return Err(unsafe_path("it would leave its directory (`..` or `.`)"));
            }
            if piece.eq_ignore_ascii_case(".git") {
                return Err(unsafe_path("pave never writes inside `.git`"));
            }
            if piece.contains('\0') || piece.contains('\\') || piece.chars().any(char::is_control) {
                return Err(unsafe_path("it contains a NUL, a backslash or a control character"));
            }
            parts.push(piece.to_string());
        }
    }
    Ok(Some(parts.join("/")))
}

/// A link is kept only when relative and resolving inside the template's `files/`.
fn check_link(path: &str, target: &str) -> Result<(), RenderError> {
    let bad = || RenderError::Link { path: path.into(), target: target.into() };
    if target.starts_with('/') || target.contains('\\') || target.contains('\0') {
        return Err(bad());
    }
    let mut depth: Vec<&str> = path.split('/').collect();
    depth.pop();
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                if depth.pop().is_none() {
                    return Err(bad());
                }
            }
            p if p.eq_ignore_ascii_case(".git") => return Err(bad()),
            p => depth.push(p),
        }
    }
    Ok(())
}

/// `a` as a file and `a/b` as another file cannot both exist (`origin`: rendered → source).
fn check_no_file_under_file(origin: &BTreeMap<String, &str>) -> Result<(), RenderError> {
    for path in origin.keys() {
        let mut prefix = path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if let Some(src) = origin.get(parent) {
                return Err(RenderError::Collision {
                    first: (*src).to_string(),
                    second: origin.get(path).map_or_else(String::new, |s| (*s).to_string()),
                    rendered: path.clone(),
                });
            }
            prefix = parent;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: &str) -> tera::Context {
        let mut c = tera::Context::new();
        c.insert("name", name);
        c.insert("flag", &false);
        c
    }

    #[test]
    fn paths_are_rendered_and_conditional() {
        let t = crate::engine::engine();
        assert_eq!(
            render_path(&t, "src/{{ name }}/main.rs.tera", &ctx("svc")).ok().flatten().as_deref(),
            Some("src/svc/main.rs")
        );
        assert_eq!(render_path(&t, "{% if flag %}db{% endif %}/x.sql", &ctx("svc")).ok().flatten(), None);
    }

    #[test]
    fn escaping_paths_are_refused() {
        let t = crate::engine::engine();
        for bad in ["..", "../x", "/etc", ".git", "a\\b", "a\0b", "x/../../y"] {
            let r = render_path(&t, "{{ name }}/f", &ctx(bad));
            assert!(matches!(r, Err(RenderError::UnsafePath { .. })), "{bad:?} gave {r:?}");
        }
        assert!(render_path(&t, ".git/config", &ctx("x")).is_err());
    }

    #[test]
    fn links_must_stay_inside() {
        assert!(check_link("a/b", "../c").is_ok());
        assert!(check_link("a/b", "../../c").is_err());
        assert!(check_link("a", "/etc/passwd").is_err());
    }

    #[test]
    fn case_filters_and_quoting() {
        let t = crate::engine::engine();
        let out = t.render_str(
            "{{ name | snake_case }} {{ name | pascal_case }} {{ name | toml_string }}",
            &ctx("pay-ments"),
            false,
        );
        assert_eq!(out.ok().as_deref(), Some("pay_ments PayMents \"pay-ments\""));
    }

    #[test]
    fn environment_is_not_reachable() {
        let t = crate::engine::engine();
        assert!(t.render_str("{{ get_env(name='HOME') }}", &ctx("x"), false).is_err());
        assert!(t.render_str("{{ now() }}", &ctx("x"), false).is_err());
    }

    /// Answers for a version: every required question's `example` (else its first choice, else
    /// a plain value of its type), the rest their defaults.
    fn example_answers(tv: &TemplateVersion, catalog: &Catalog) -> Answers {
        use crate::manifest::QuestionType as T;
        let cli = tv
            .manifest
            .questions
            .iter()
            .filter(|(_, q)| q.default.is_none())
            .map(|(name, q)| {
                let plain = match q.kind {
                    T::Bool => "false".to_string(),
                    T::Int => q.min.unwrap_or(1).to_string(),
                    T::String | T::Choice | T::Multichoice => "payments".to_string(),
                };
                (name.clone(), q.example.clone().or_else(|| q.choices.first().cloned()).unwrap_or(plain))
            })
            .collect();
        let given = crate::answers::Given { cli, secrets_empty: true, ..Default::default() };
        let mut none = crate::answers::NoPrompt;
        crate::answers::resolve(&tv.manifest, &given, &mut none, &meta(tv, catalog))
            .unwrap_or_else(|e| panic!("{} {}: {e}", tv.entry.name, tv.version))
            .values
    }

    /// Leaving out what both renders give alike hides no change: on every pair of versions of
    /// every built-in template, the trees with files left out are the whole trees less paths
    /// whose file is the same in both.
    #[test]
    fn leaving_out_same_files_hides_no_change_in_the_builtin_catalog() {
        let catalog = Catalog::load(crate::store::Store::Embedded, "builtin".into()).unwrap();
        let mut left_out = 0;
        for entry in &catalog.entries {
            for (i, a) in entry.versions.iter().enumerate() {
                for b in &entry.versions[i..] {
                    let (from, to) = (catalog.version(entry, a).unwrap(), catalog.version(entry, b).unwrap());
                    let (old, new) = (example_answers(&from, &catalog), example_answers(&to, &catalog));
                    let pair = |leave_out_same| Pair {
                        catalog: &catalog,
                        from: &from,
                        old: &old,
                        to: &to,
                        new: &new,
                        leave_out_same,
                        keep_compiled: false,
                    };
                    let (whole_base, whole_theirs) = pair(false).render().unwrap();
                    let (base, theirs) = pair(true).render().unwrap();
                    let at = format!("{} {a} -> {b}", entry.name);
                    for (part, whole) in [(&base, &whole_base), (&theirs, &whole_theirs)] {
                        for (path, file) in &part.files {
                            assert_eq!(whole.files.get(path), Some(file), "{at}: {path}");
                        }
                    }
                    for path in whole_base.files.keys().chain(whole_theirs.files.keys()) {
                        if base.files.contains_key(path) && theirs.files.contains_key(path) {
                            continue;
                        }
                        let (b, t) = (whole_base.files.get(path), whole_theirs.files.get(path));
                        if base.files.contains_key(path) || theirs.files.contains_key(path) {
                            // In one render only: it is in only one whole tree too.
                            assert!(b.is_none() || t.is_none(), "{at}: {path} left out of one side");
                            continue;
                        }
                        assert!(b.is_some() && b == t, "{at}: {path} left out but changed");
                        left_out += 1;
                    }
                }
            }
        }
        assert!(left_out > 1000, "the built-in catalog's upgrades left out only {left_out} files");
    }

    proptest::proptest! {
        #[test]
        fn no_rendered_path_escapes(answer in "\\PC{0,12}", prefix in "[a-z]{0,3}", slash in proptest::bool::ANY) {
            let t = crate::engine::engine();
            let source = if slash { format!("{prefix}/{{{{ name }}}}/f") } else { format!("{prefix}{{{{ name }}}}.txt") };
            if let Ok(Some(p)) = render_path(&t, &source, &ctx(&answer)) {
                proptest::prop_assert!(!p.starts_with('/'));
                for piece in p.split('/') {
                    proptest::prop_assert!(piece != ".." && piece != "." && !piece.is_empty());
                    proptest::prop_assert!(!piece.eq_ignore_ascii_case(".git"));
                    proptest::prop_assert!(!piece.contains('\0') && !piece.contains('\\'));
                }
                let joined = std::path::Path::new("/dest").join(&p);
                proptest::prop_assert!(joined.starts_with("/dest"));
            }
        }
    }
}
