//! What the fleet learned about commits, kept between runs: a project's record and tree at a
//! base commit, and the commits a pave branch holds on a base. Commits never change, so nothing
//! here can go stale: what moves is the branches, and those are read afresh every run. A re-run
//! of a repository whose branches have not moved ([`recall`]) then needs neither libgit2 nor a
//! single object (docs/decisions.md, "An unchanged repository is recognised from its refs and
//! what pave already knows"); Renovate's repository cache does the same for its branches.
//!
//! Kept in `$XDG_CACHE_HOME/pave/fleet-memo.json` (else `~/.cache/pave/`), written at the end of
//! a run that learned something, never by a dry run or a run that learned nothing. A missing,
//! unreadable or foreign file is an empty memo: everything takes the long way, as before.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::Project;
use super::branch::{inputs_digest, same_inputs};
use super::upgrade::{Fleet, Outcome, RepoOutcome};
use crate::git::{LooseRefs, PaveCommit};
use crate::project::{FILE_NAME, ProjectFile};

/// The file's format; another is ignored (and replaced by the next run that learns).
const FORMAT: u32 = 1;

/// Beyond this many facts, those this run did not use are forgotten when it saves.
const KEEP: usize = 200_000;

/// A project's record and tree at a base commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Base {
    /// `.pave.toml` as committed.
    pub record: String,
    /// The id of the project's tree (the directory's, or the root's).
    pub tree: String,
}

/// One of pave's commits on a branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Link {
    id: String,
    tree: String,
    inputs: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Facts {
    format: u32,
    /// `BASE PREFIX` → the record and tree.
    bases: HashMap<String, Base>,
    /// `TIP BASE` → pave's commits from the base up to the tip (oldest first).
    chains: HashMap<String, Vec<Link>>,
}

#[derive(Debug, Default)]
struct State {
    facts: Facts,
    /// Keys this run used or learned (`b KEY`, `c KEY`).
    used: HashSet<String>,
    learned: bool,
}

/// The memo of one run.
#[derive(Debug)]
pub(crate) struct Memo {
    path: PathBuf,
    state: Mutex<State>,
}

impl Memo {
    /// The memo kept at `path`; empty when there is none or it cannot be read.
    pub(crate) fn load(path: PathBuf) -> Self {
        let facts = crate::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Facts>(&bytes).ok())
            .filter(|f| f.format == FORMAT)
            .unwrap_or_default();
        Self { path, state: Mutex::new(State { facts, ..State::default() }) }
    }

    /// Where the memo is kept: beside the catalogs' cache.
    pub(crate) fn default_path() -> PathBuf {
        crate::remote::cache_root().with_file_name("fleet-memo.json")
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The record and tree of the project at `prefix` of the commit `base`, if known.
    pub(crate) fn base(&self, base: &str, prefix: &str) -> Option<Base> {
        let key = format!("{base} {prefix}");
        let mut state = self.state();
        let found = state.facts.bases.get(&key).cloned()?;
        state.used.insert(format!("b {key}"));
        Some(found)
    }

    /// pave's commits from `base` up to `tip`, if known.
    pub(crate) fn chain(&self, tip: &str, base: &str) -> Option<Vec<PaveCommit>> {
        let key = format!("{tip} {base}");
        let mut state = self.state();
        let links = state.facts.chains.get(&key)?;
        let chain = links
            .iter()
            .map(|l| PaveCommit { id: l.id.clone(), tree: l.tree.clone(), inputs: l.inputs.clone() })
            .collect();
        state.used.insert(format!("c {key}"));
        Some(chain)
    }

    /// Learns the project's record and tree at `prefix` of `base`.
    pub(crate) fn learn_base(&self, base: &str, prefix: &str, record: &str, tree: &str) {
        let key = format!("{base} {prefix}");
        let mut state = self.state();
        let fact = Base { record: record.to_string(), tree: tree.to_string() };
        if state.facts.bases.get(&key) != Some(&fact) {
            state.facts.bases.insert(key.clone(), fact);
            state.learned = true;
        }
        state.used.insert(format!("b {key}"));
    }

    /// Learns that the branch at `tip` holds `chain` (oldest first) on `base`.
    pub(crate) fn learn_chain(&self, tip: &str, base: &str, chain: &[PaveCommit]) {
        let key = format!("{tip} {base}");
        let links: Vec<Link> =
            chain.iter().map(|c| Link { id: c.id.clone(), tree: c.tree.clone(), inputs: c.inputs.clone() }).collect();
        let mut state = self.state();
        if state.facts.chains.get(&key) != Some(&links) {
            state.facts.chains.insert(key.clone(), links);
            state.learned = true;
        }
        state.used.insert(format!("c {key}"));
    }

    /// Writes the memo when this run learned something (atomically: a concurrent run reads the
    /// old memo or this one). Past [`KEEP`] facts, only those this run used are kept.
    pub(crate) fn save(&self) -> Result<(), crate::fs::FsError> {
        let mut state = self.state();
        if !state.learned {
            return Ok(());
        }
        let State { facts, used, .. } = &mut *state;
        facts.format = FORMAT;
        if facts.bases.len() + facts.chains.len() > KEEP {
            facts.bases.retain(|k, _| used.contains(&format!("b {k}")));
            facts.chains.retain(|k, _| used.contains(&format!("c {k}")));
        }
        let bytes = serde_json::to_vec(&*facts).unwrap_or_default();
        if let Some(dir) = self.path.parent() {
            crate::fs::create_dir_all(dir)?;
        }
        crate::fs::write_atomic(&self.path, &bytes, false)?;
        state.learned = false;
        Ok(())
    }
}

/// The rows of a local repository whose every project is unchanged since the last run, read
/// from its refs and the memo alone: the same rows the long way gives. `None` when anything is
/// not known or not so (a moved branch, a base never seen, a template now elsewhere...): the
/// repository then takes the long way, which learns what this lacked.
pub(super) fn recall(fleet: &Fleet<'_>, memo: &Memo, projects: &[Project]) -> Option<Vec<RepoOutcome>> {
    let top = super::repo_key(&projects.first()?.dir);
    let refs = LooseRefs::open(&top)?;
    let (_, base) = refs.head()?;
    let mut rows = Vec::with_capacity(projects.len());
    // Branch → each project's row, prefix and inputs, in the order found (as the long way).
    let mut branches: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (i, p) in projects.iter().enumerate() {
        let prefix = prefix_in(&top, &p.dir)?;
        let known = memo.base(&base, &prefix)?;
        let file = ProjectFile::parse(&format!("{}/{FILE_NAME}", p.name), &known.record).ok()?;
        if fleet.opts.template.as_ref().is_some_and(|t| t != &file.template.name) {
            return None;
        }
        let catalog = (fleet.catalog_for)(file.template.catalog.as_deref()).ok()?;
        let target = crate::upgrade::target(&catalog, &file, &fleet.request()).ok()??;
        let branch = fleet.opts.branch.clone().unwrap_or_else(|| format!("pave/{}-{target}", file.template.name));
        let inputs = inputs_digest(fleet, &catalog, &file, &target, &known.tree).ok()?;
        let mut row = RepoOutcome::new(p.name.clone(), p.dir.display().to_string(), None);
        row.template.clone_from(&file.template.name);
        row.from = file.template.version.to_string();
        row.to = target.to_string();
        row.branch = Some(branch.clone());
        row.outcome = Outcome::Unchanged;
        rows.push(row);
        branches.entry(branch).or_default().push((i, inputs));
    }
    for (branch, projects) in branches {
        let tip = refs.branch(&branch)?;
        let chain = memo.chain(&tip, &base)?;
        let inputs: Vec<&str> = projects.iter().map(|(_, inputs)| inputs.as_str()).collect();
        if !same_inputs(&chain, &inputs) {
            return None;
        }
        for ((row, _), commit) in projects.iter().zip(&chain) {
            rows[*row].commit = Some(commit.id.clone());
        }
    }
    Some(rows)
}

/// The project's directory relative to the top of its work tree: `""` or ending in `/`.
fn prefix_in(top: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(top).ok()?.to_str()?.replace('\\', "/");
    Some(if rel.is_empty() { rel } else { format!("{rel}/") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: &str, inputs: &str) -> PaveCommit {
        PaveCommit { id: id.into(), tree: format!("t{id}"), inputs: Some(inputs.into()) }
    }

    #[cfg(unix)]
    #[test]
    fn a_run_that_learns_nothing_writes_nothing_and_what_is_learned_comes_back() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("cache/fleet-memo.json");
        let memo = Memo::load(path.clone());
        assert_eq!(memo.base("b1", ""), None);
        memo.save().unwrap();
        assert_eq!(crate::fs::entry_kind(&path).unwrap(), None, "nothing learned, nothing written");

        memo.learn_base("b1", "", "[template]\n", "tree1");
        memo.learn_chain("tip1", "b1", &[commit("c1", "i1")]);
        memo.save().unwrap();
        // The file as written: a rewrite, even of the same bytes, is a new file (an atomic
        // write renames a new one into place).
        let identity = |p: &Path| {
            #[allow(clippy::disallowed_methods)] // a test looking at the file itself
            let meta = std::fs::metadata(p).unwrap();
            (meta.modified().unwrap(), std::os::unix::fs::MetadataExt::ino(&meta))
        };
        let before = identity(&path);

        let again = Memo::load(path.clone());
        assert_eq!(again.base("b1", ""), Some(Base { record: "[template]\n".into(), tree: "tree1".into() }));
        assert_eq!(again.chain("tip1", "b1"), Some(vec![commit("c1", "i1")]));
        assert_eq!(again.chain("tip1", "b2"), None, "a chain is known on its base only");
        // Learning what is already known is not learning.
        again.learn_base("b1", "", "[template]\n", "tree1");
        again.save().unwrap();
        assert_eq!(identity(&path), before, "not written again");

        // A file of another format, or not a memo at all, is an empty memo.
        crate::fs::write_atomic(&path, b"{\"format\": 99, \"bases\": {}, \"chains\": {}}", false).unwrap();
        assert_eq!(Memo::load(path.clone()).base("b1", ""), None);
        crate::fs::write_atomic(&path, b"not json", false).unwrap();
        assert_eq!(Memo::load(path).base("b1", ""), None);
    }

    #[test]
    fn prefixes_are_relative_to_the_work_tree() {
        assert_eq!(prefix_in(Path::new("/f/repo"), Path::new("/f/repo")).as_deref(), Some(""));
        assert_eq!(prefix_in(Path::new("/f/repo"), Path::new("/f/repo/services/a")).as_deref(), Some("services/a/"));
        assert_eq!(prefix_in(Path::new("/f/repo"), Path::new("/f/other")), None);
    }
}
