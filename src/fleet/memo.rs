//! What a fleet run learned of a checkout's commits, kept in its git directory
//! (`.git/pave-fleet-memo.json`) for the next run: each project's record and tree at the base
//! commit, and the commits pave's branch holds on it. Commits never change, so a fact found
//! under the same commit ids is still true: what moves is the branches, and those are read
//! afresh every run. A re-run of a checkout whose branches have not moved ([`recall`]) then needs
//! neither libgit2 nor a single object (docs/decisions.md, "An unchanged repository is
//! recognised from its refs and what pave already knows"); Renovate's repository cache does the
//! same for its branches.
//!
//! One small file a repository, written (atomically) by a run that learned something there, never
//! by a dry run. A missing, unreadable or foreign file is an empty memo: the checkout takes the
//! long way, as before, and the long way teaches it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::Project;
use super::branch::{Plan, inputs_digest, plan, same_inputs};
use super::upgrade::{Fleet, Outcome, RepoOutcome};
use crate::git::{LooseRefs, PaveCommit};

/// The memo's name in the git directory.
pub(crate) const FILE: &str = "pave-fleet-memo.json";

/// The file's format; another is ignored (and replaced by the next run that learns).
const FORMAT: u32 = 1;

/// A project's record and tree at a base commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Base {
    /// The base commit.
    pub commit: String,
    /// `.pave.toml` as committed.
    pub record: String,
    /// The id of the project's tree (the directory's, or the root's).
    pub tree: String,
}

/// pave's commits on a branch, from the base up to the tip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Chain {
    tip: String,
    base: String,
    links: Vec<PaveCommit>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Facts {
    format: u32,
    /// A project's directory (`""` or ending in `/`) → its record and tree at the base last seen.
    bases: BTreeMap<String, Base>,
    /// A pave branch → its commits, as last seen.
    chains: BTreeMap<String, Chain>,
}

/// The memo of one repository, for one run.
#[derive(Debug)]
pub(crate) struct Memo {
    path: PathBuf,
    facts: Mutex<(Facts, bool)>,
}

impl Memo {
    /// The memo kept in the git directory `git_dir`; empty when there is none or it cannot be
    /// read.
    pub(crate) fn load(git_dir: &Path) -> Self {
        let path = git_dir.join(FILE);
        let facts = crate::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Facts>(&bytes).ok())
            .filter(|f| f.format == FORMAT)
            .unwrap_or_default();
        Self { path, facts: Mutex::new((facts, false)) }
    }

    fn facts(&self) -> std::sync::MutexGuard<'_, (Facts, bool)> {
        self.facts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The record and tree of the project at `prefix` of the commit `base`, if known.
    pub(crate) fn base(&self, base: &str, prefix: &str) -> Option<Base> {
        self.facts().0.bases.get(prefix).filter(|b| b.commit == base).cloned()
    }

    /// pave's commits from `base` up to `tip` on `branch`, if known.
    pub(crate) fn chain(&self, branch: &str, tip: &str, base: &str) -> Option<Vec<PaveCommit>> {
        let facts = self.facts();
        let chain = facts.0.chains.get(branch).filter(|c| c.tip == tip && c.base == base)?;
        Some(chain.links.clone())
    }

    /// Learns the project's record and tree at `prefix` of `base`.
    pub(crate) fn learn_base(&self, base: &str, prefix: &str, record: &str, tree: &str) {
        let fact = Base { commit: base.to_string(), record: record.to_string(), tree: tree.to_string() };
        let mut facts = self.facts();
        if facts.0.bases.get(prefix) != Some(&fact) {
            facts.0.bases.insert(prefix.to_string(), fact);
            facts.1 = true;
        }
    }

    /// Learns that `branch` at `tip` holds `chain` (oldest first) on `base`.
    pub(crate) fn learn_chain(&self, branch: &str, tip: &str, base: &str, chain: &[PaveCommit]) {
        let fact = Chain { tip: tip.to_string(), base: base.to_string(), links: chain.to_vec() };
        let mut facts = self.facts();
        if facts.0.chains.get(branch) != Some(&fact) {
            facts.0.chains.insert(branch.to_string(), fact);
            facts.1 = true;
        }
    }

    /// Writes the memo when this run learned something: in place and not synced. A memo read
    /// half-written (by a run at the same moment, or after a crash) is not one JSON document, so
    /// it is read as empty, and only costs that run its speed.
    pub(crate) fn save(&self) -> Result<(), crate::fs::FsError> {
        let mut facts = self.facts();
        if !facts.1 {
            return Ok(());
        }
        facts.0.format = FORMAT;
        let bytes = serde_json::to_vec(&facts.0).unwrap_or_default();
        crate::fs::write_cache(&self.path, &bytes)?;
        facts.1 = false;
        Ok(())
    }
}

/// The rows of a local repository whose every project is unchanged since the last run, read
/// from its refs and the memo alone: the same rows the long way gives. `None` when anything is
/// not known or not so (a moved branch, a base never seen, a template now elsewhere...): the
/// repository then takes the long way, which learns what this lacked.
pub(super) fn recall(fleet: &Fleet<'_>, top: &Path, memo: &Memo, projects: &[Project]) -> Option<Vec<RepoOutcome>> {
    let refs = LooseRefs::open(top)?;
    let (_, base) = refs.head()?;
    let mut rows = Vec::with_capacity(projects.len());
    // Each branch's known commits, and its projects' rows and inputs, in the order found (as the
    // long way). A branch that moved is found out before any input is computed.
    let mut branches: BTreeMap<String, (Vec<PaveCommit>, Vec<Recalled>)> = BTreeMap::new();
    for (i, p) in projects.iter().enumerate() {
        let prefix = prefix_in(top, &p.dir)?;
        let known = memo.base(&base, &prefix)?;
        let mut row = RepoOutcome::new(p.name.clone(), p.dir.display().to_string(), None);
        let Ok(Plan::Upgrade { file, catalog, target, branch }) = plan(fleet, &mut row, &known.record) else {
            return None;
        };
        if !branches.contains_key(&branch) {
            let chain = memo.chain(&branch, &refs.branch(&branch)?, &base)?;
            branches.insert(branch.clone(), (chain, Vec::new()));
        }
        let inputs = inputs_digest(fleet, &catalog, &file, &target, &known.tree).ok()?;
        row.outcome = Outcome::Unchanged;
        rows.push(row);
        branches.get_mut(&branch)?.1.push((i, inputs));
    }
    for (chain, projects) in branches.values() {
        let inputs: Vec<&str> = projects.iter().map(|(_, inputs)| inputs.as_str()).collect();
        if !same_inputs(chain, &inputs) {
            return None;
        }
        for ((row, _), commit) in projects.iter().zip(chain) {
            rows[*row].commit = Some(commit.id.clone());
        }
    }
    Some(rows)
}

/// A project [`recall`] found: its row, and its inputs.
type Recalled = (usize, String);

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

    #[test]
    fn a_run_that_learns_nothing_writes_nothing_and_what_is_learned_comes_back() {
        let tmp = tempfile::tempdir().unwrap();
        let git_dir = tmp.path();
        let path = git_dir.join(FILE);
        let memo = Memo::load(git_dir);
        assert_eq!(memo.base("b1", ""), None);
        memo.save().unwrap();
        assert_eq!(crate::fs::entry_kind(&path).unwrap(), None, "nothing learned, nothing written");

        memo.learn_base("b1", "", "[template]\n", "tree1");
        memo.learn_chain("pave/app-2.0.0", "tip1", "b1", &[commit("c1", "i1")]);
        memo.save().unwrap();
        // The same facts, laid out otherwise: a rewrite would lay them out as `save` does.
        let pretty =
            |bytes: &[u8]| serde_json::to_vec_pretty(&serde_json::from_slice::<Facts>(bytes).unwrap()).unwrap();
        let laid_out = pretty(&crate::fs::read(&path).unwrap());
        crate::fs::write_cache(&path, &laid_out).unwrap();

        let again = Memo::load(git_dir);
        let known = Base { commit: "b1".into(), record: "[template]\n".into(), tree: "tree1".into() };
        assert_eq!(again.base("b1", ""), Some(known));
        assert_eq!(again.base("b2", ""), None, "a record is known at its base only");
        assert_eq!(again.chain("pave/app-2.0.0", "tip1", "b1"), Some(vec![commit("c1", "i1")]));
        assert_eq!(again.chain("pave/app-2.0.0", "tip2", "b1"), None, "the branch moved");
        assert_eq!(again.chain("pave/app-2.0.0", "tip1", "b2"), None, "the base moved");
        // Learning what is already known is not learning.
        again.learn_base("b1", "", "[template]\n", "tree1");
        again.save().unwrap();
        assert_eq!(crate::fs::read(&path).unwrap(), laid_out, "not written again");
        // A newer base replaces the older one.
        again.learn_base("b2", "", "[template]\n", "tree2");
        assert_eq!(again.base("b1", ""), None);
        assert!(again.base("b2", "").is_some());

        // A file of another format, or not a memo at all, is an empty memo.
        crate::fs::write_atomic(&path, b"{\"format\": 99, \"bases\": {}, \"chains\": {}}", false).unwrap();
        assert_eq!(Memo::load(git_dir).base("b1", ""), None);
        crate::fs::write_atomic(&path, b"not json", false).unwrap();
        assert_eq!(Memo::load(git_dir).base("b1", ""), None);
    }

    #[test]
    fn prefixes_are_relative_to_the_work_tree() {
        assert_eq!(prefix_in(Path::new("/f/repo"), Path::new("/f/repo")).as_deref(), Some(""));
        assert_eq!(prefix_in(Path::new("/f/repo"), Path::new("/f/repo/services/a")).as_deref(), Some("services/a/"));
        assert_eq!(prefix_in(Path::new("/f/repo"), Path::new("/f/other")), None);
    }
}
