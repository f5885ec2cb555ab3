//! Commits built straight into the object database, onto a branch, without a work tree: the
//! fleet's way of upgrading a repository someone may be working in, or a bare mirror. Also what
//! an existing pave branch holds, so a re-run can tell "nothing to do" from "regenerate".

use std::path::Path;

use super::{GitError, signatures};
use crate::render::RenderedFile;

/// One path's new state in a commit built from a plan: `None` deletes it.
pub(crate) type TreeChange = (String, Option<RenderedFile>);

/// The trailer that marks pave's own fleet commits, so a re-run may move its own branch.
pub(crate) const PAVE_TRAILER: &str = "Generated-by: pave fleet";

/// The trailer that records what a pave commit was made from.
const INPUTS_TRAILER: &str = "Pave-Inputs: ";

/// How far a search through a branch's history goes before giving up.
const MAX_WALK: usize = 1000;

/// A commit of pave's, as a branch holds it (and the fleet's memo keeps it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PaveCommit {
    /// Its id.
    pub id: String,
    /// Its tree's id.
    pub tree: String,
    /// Its `Pave-Inputs` trailer, if any.
    pub inputs: Option<String>,
}

/// What an existing branch holds, relative to the commit an upgrade starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BranchState {
    /// The branch's tip is in the base's history: it was merged.
    Merged,
    /// Only pave's commits, directly on the base (oldest first).
    OnBase(Vec<PaveCommit>),
    /// Only pave's commits, on an older commit of the base's history: the base moved.
    Stale,
    /// Someone else's commit is on the branch.
    Edited,
}

/// A read and write view of the commits of any repository (a work tree's or a bare mirror's).
pub(crate) struct Commits<'a> {
    pub(super) repo: &'a git2::Repository,
    pub(super) path: &'a Path,
}

/// The files of one directory of a commit.
pub(crate) struct FilesAt<'a> {
    commits: &'a Commits<'a>,
    tree: Option<git2::Tree<'a>>,
}

impl FilesAt<'_> {
    /// The file at `path` under the directory (`None` when absent or not a file).
    pub(crate) fn read(&self, path: &str) -> Result<Option<RenderedFile>, GitError> {
        let Some(tree) = &self.tree else { return Ok(None) };
        let Ok(entry) = tree.get_path(Path::new(path)) else { return Ok(None) };
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return Ok(None);
        }
        let repo = self.commits.repo;
        let blob = repo.find_blob(entry.id()).map_err(|e| self.commits.err("read a file", e))?;
        let bytes = blob.content().to_vec();
        Ok(Some(match entry.filemode() {
            0o120_000 => RenderedFile::Symlink { target: String::from_utf8_lossy(&bytes).into_owned() },
            mode => RenderedFile::File { bytes, executable: mode == 0o100_755 },
        }))
    }

    /// Every file's path under the directory, sorted.
    pub(crate) fn paths(&self) -> Vec<String> {
        let Some(tree) = &self.tree else { return Vec::new() };
        let mut paths = Vec::new();
        let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob)
                && let Ok(name) = entry.name()
            {
                paths.push(format!("{dir}{name}"));
            }
            git2::TreeWalkResult::Ok
        });
        paths.sort();
        paths
    }
}

fn oid(id: &str) -> Result<git2::Oid, git2::Error> {
    git2::Oid::from_str(id)
}

impl Commits<'_> {
    fn err(&self, op: &'static str, cause: git2::Error) -> GitError {
        GitError { op, path: self.path.to_path_buf(), cause }
    }

    /// The commit a reference points to (`refs/heads/x`, `refs/remotes/origin/x`).
    pub(crate) fn resolve(&self, refname: &str) -> Result<Option<String>, GitError> {
        match self.repo.find_reference(refname) {
            Ok(r) => Ok(r.peel_to_commit().ok().map(|c| c.id().to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.err("read a reference", e)),
        }
    }

    /// The branch names under `prefix` (`pave/`), without `refs/heads/` or the remote's prefix.
    pub(crate) fn branches_under(&self, ref_prefix: &str) -> Vec<String> {
        let Ok(refs) = self.repo.references_glob(&format!("{ref_prefix}*")) else { return Vec::new() };
        refs.flatten()
            .filter_map(|r| r.name().ok().and_then(|n| n.strip_prefix(ref_prefix)).map(str::to_string))
            .collect()
    }

    fn tree(&self, commit: &str) -> Result<git2::Tree<'_>, GitError> {
        oid(commit)
            .and_then(|id| self.repo.find_commit(id))
            .and_then(|c| c.tree())
            .map_err(|e| self.err("read a commit's tree", e))
    }

    /// A file of a commit's tree (`None` when absent or not a file).
    pub(crate) fn read_file(&self, commit: &str, path: &str) -> Result<Option<RenderedFile>, GitError> {
        self.files_at(commit, "")?.read(path)
    }

    /// The files under `prefix` of a commit, for many reads (the tree is looked up once).
    pub(crate) fn files_at(&self, commit: &str, prefix: &str) -> Result<FilesAt<'_>, GitError> {
        let tree = self.tree(commit)?;
        let dir = prefix.trim_end_matches('/');
        let tree = if dir.is_empty() {
            Some(tree)
        } else {
            match tree.get_path(Path::new(dir)) {
                Ok(entry) => entry.to_object(self.repo).ok().and_then(|o| o.into_tree().ok()),
                Err(_) => None,
            }
        };
        Ok(FilesAt { commits: self, tree })
    }

    /// The id of the tree at `dir` in a commit (`""`: the root), as a fingerprint of its content.
    pub(crate) fn subtree_id(&self, commit: &str, dir: &str) -> Result<Option<String>, GitError> {
        let tree = self.tree(commit)?;
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return Ok(Some(tree.id().to_string()));
        }
        Ok(tree.get_path(Path::new(dir)).ok().map(|e| e.id().to_string()))
    }

    /// The directories (`""` or ending in `/`) holding a file named `name` in a commit's tree.
    pub(crate) fn dirs_with_file(&self, commit: &str, name: &str) -> Result<Vec<String>, GitError> {
        let tree = self.tree(commit)?;
        let mut out = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) && entry.name().ok() == Some(name) {
                out.push(dir.to_string());
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(|e| self.err("walk a commit's tree", e))?;
        out.sort();
        Ok(out)
    }

    fn is_ancestor(&self, ancestor: git2::Oid, of: git2::Oid) -> bool {
        ancestor == of || self.repo.graph_descendant_of(of, ancestor).unwrap_or(false)
    }

    /// A commit's message.
    pub(crate) fn message(&self, id: &str) -> Result<String, GitError> {
        let commit = oid(id).and_then(|id| self.repo.find_commit(id)).map_err(|e| self.err("read a commit", e))?;
        Ok(commit.message().unwrap_or_default().to_string())
    }

    /// What the branch at `tip` holds relative to `base`.
    pub(crate) fn branch_state(&self, tip: &str, base: &str) -> Result<BranchState, GitError> {
        let (tip, base) = (oid(tip), oid(base));
        let (Ok(tip), Ok(base)) = (tip, base) else { return Ok(BranchState::Edited) };
        if tip == base {
            return Ok(BranchState::Merged);
        }
        // The common case first, without a merge-base search: pave's commits straight down to
        // the base. A tip that reaches the base that way descends from it, so it is not merged.
        let mut chain = Vec::new();
        let mut cur = tip;
        let stop = loop {
            if cur == base {
                chain.reverse();
                return Ok(BranchState::OnBase(chain));
            }
            if chain.len() == MAX_WALK {
                break None;
            }
            let commit = self.repo.find_commit(cur).map_err(|e| self.err("read the branch", e))?;
            let message = commit.message().unwrap_or_default();
            if !message.lines().any(|l| l.trim() == PAVE_TRAILER) {
                break Some(cur);
            }
            let inputs =
                message.lines().find_map(|l| l.trim().strip_prefix(INPUTS_TRAILER)).map(|s| s.trim().to_string());
            chain.push(PaveCommit { id: cur.to_string(), tree: commit.tree_id().to_string(), inputs });
            match commit.parent_id(0) {
                Ok(p) => cur = p,
                Err(_) => break None,
            }
        };
        if self.is_ancestor(tip, base) {
            return Ok(BranchState::Merged);
        }
        Ok(match stop {
            Some(other) if self.is_ancestor(other, base) => BranchState::Stale,
            _ => BranchState::Edited,
        })
    }

    /// The messages of the commits `tip` has and `base` has not, newest first: what a branch
    /// adds (a rollout reads pave's conflict notes from them). At most a thousand.
    pub(crate) fn messages_since(&self, tip: &str, base: &str) -> Result<Vec<String>, GitError> {
        let walk = || -> Result<Vec<String>, git2::Error> {
            let mut walk = self.repo.revwalk()?;
            walk.push(oid(tip)?)?;
            walk.hide(oid(base)?)?;
            walk.take(MAX_WALK)
                .map(|id| Ok(self.repo.find_commit(id?)?.message().unwrap_or_default().to_string()))
                .collect()
        };
        walk().map_err(|e| self.err("read the branch", e))
    }

    /// Makes a commit on `parent` whose tree is the parent's with `changes` applied under
    /// `prefix`, marked as pave's with its inputs. Returns the commit's and the tree's ids.
    pub(crate) fn commit_changes(
        &self,
        parent: &str,
        prefix: &str,
        changes: &[TreeChange],
        message: &str,
        inputs: &str,
    ) -> Result<PaveCommit, GitError> {
        // Built here, then written as one pack before the branch can refer to it.
        let staging = super::pack::Staging::new();
        let parent =
            oid(parent).and_then(|id| self.repo.find_commit(id)).map_err(|e| self.err("read the parent", e))?;
        let base = parent.tree().map_err(|e| self.err("read the parent's tree", e))?;
        let mut paths = Vec::with_capacity(changes.len());
        for (rel, file) in changes {
            let full = format!("{prefix}{rel}");
            let entry = match file {
                None => None,
                Some(f) => {
                    let (bytes, mode) = match f {
                        RenderedFile::File { bytes, executable } => {
                            (bytes.as_slice(), if *executable { 0o100_755 } else { 0o100_644 })
                        }
                        RenderedFile::Symlink { target } => (target.as_bytes(), 0o120_000),
                    };
                    Some((mode, staging.blob(bytes).map_err(|e| self.err("write a blob", e))?))
                }
            };
            paths.push((full, entry));
        }
        let paths: Vec<_> = paths.iter().map(|(p, e)| (p.as_bytes(), *e)).collect();
        let tree_id = staging.tree(self.repo, Some(&base), &paths).map_err(|e| self.err("write the tree", e))?;
        let tree_id = match tree_id {
            Some(id) => id,
            // Everything removed: the empty tree.
            None => staging.tree_of_nothing().map_err(|e| self.err("write the tree", e))?,
        };
        let (author, committer) =
            signatures(self.repo).map_err(|e| self.err("make the commit (author identity)", e))?;
        let message = format!("{}\n\n{PAVE_TRAILER}\n{INPUTS_TRAILER}{inputs}\n", message.trim_end());
        let id = staging
            .commit(tree_id, Some(parent.id()), &author, &committer, &message)
            .map_err(|e| self.err("commit", e))?;
        staging.write_pack(self.repo).map_err(|e| self.err("write the commit's objects", e))?;
        Ok(PaveCommit { id: id.to_string(), tree: tree_id.to_string(), inputs: Some(inputs.to_string()) })
    }

    /// Points `refname` at `new`, only if it still points at `expected` (`None`: absent).
    /// Returns false when someone moved it in between (nothing is changed then).
    pub(crate) fn set_ref(&self, refname: &str, new: &str, expected: Option<&str>) -> Result<bool, GitError> {
        let new = oid(new).map_err(|e| self.err("move the branch", e))?;
        let expected = expected.map(oid).transpose().map_err(|e| self.err("move the branch", e))?;
        let attempt = || match expected {
            None => self.repo.reference(refname, new, false, "pave fleet upgrade"),
            Some(old) => self.repo.reference_matching(refname, new, true, old, "pave fleet upgrade"),
        };
        // A reference another process is writing is tried again for 100 ms, as git does
        // (`core.filesRefLockTimeout`); then the comparison above decides.
        let mut result = attempt();
        for pause in [1, 2, 4, 8, 16, 32, 37] {
            if !matches!(&result, Err(e) if e.code() == git2::ErrorCode::Locked) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(pause));
            result = attempt();
        }
        match result {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.code(), git2::ErrorCode::Exists | git2::ErrorCode::Modified) => Ok(false),
            Err(e) => Err(self.err("move the branch", e)),
        }
    }

    /// Removes a reference (a remote branch that is gone).
    pub(crate) fn delete_ref(&self, refname: &str) -> Result<(), GitError> {
        match self.repo.find_reference(refname) {
            Ok(mut r) => r.delete().map_err(|e| self.err("remove a reference", e)),
            Err(_) => Ok(()),
        }
    }
}
