//! Commits built straight into the object database, onto a branch, without a work tree: the
//! fleet's way of upgrading a repository that someone may be working in.

use std::path::Path;

use super::{GitError, ProjectRepo, signatures};

/// One path's new state in a commit built from a plan: `None` deletes it.
pub(crate) type TreeChange = (String, Option<crate::render::RenderedFile>);

/// What happened to a fleet branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BranchWrite {
    /// A new branch was created at the commit.
    Created(String),
    /// pave's own earlier branch was moved to the new commit.
    Updated(String),
    /// The branch exists with someone else's commits: left alone.
    Exists,
}

/// The trailer that marks pave's own fleet commits, so a re-run may move its own branch.
pub(crate) const PAVE_TRAILER: &str = "Generated-by: pave fleet";

impl ProjectRepo {
    /// Refuses a repository the fleet cannot branch from: bare, empty, detached.
    pub(crate) fn fleet_precheck(&self) -> Result<Option<String>, GitError> {
        match self.repo.head() {
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                return Ok(Some("the repository has no commits".into()));
            }
            Err(e) => return Err(self.err("read HEAD", e)),
            Ok(_) => {}
        }
        if self.repo.head_detached().unwrap_or(false) {
            return Ok(Some("HEAD is detached: check out the branch to upgrade from".into()));
        }
        Ok(None)
    }

    /// The name of the checked-out branch.
    pub(crate) fn head_branch(&self) -> Option<String> {
        self.repo.head().ok().and_then(|h| h.shorthand().ok().map(str::to_string))
    }

    /// Reads a project file from HEAD's tree (`None` when absent).
    pub(crate) fn head_file(&self, rel: &str) -> Result<Option<crate::render::RenderedFile>, GitError> {
        let head = self.repo.head().and_then(|h| h.peel_to_tree()).map_err(|e| self.err("read HEAD", e))?;
        let full = format!("{}{rel}", self.prefix);
        let Ok(entry) = head.get_path(Path::new(&full)) else { return Ok(None) };
        let Ok(blob) = entry.to_object(&self.repo).and_then(|o| o.peel_to_blob()) else { return Ok(None) };
        let bytes = blob.content().to_vec();
        Ok(Some(match entry.filemode() {
            0o120_000 => crate::render::RenderedFile::Symlink { target: String::from_utf8_lossy(&bytes).into_owned() },
            mode => crate::render::RenderedFile::File { bytes, executable: mode == 0o100_755 },
        }))
    }

    /// Whether every commit from `tip` down to (not including) `base` is pave's own.
    fn only_pave_commits(&self, tip: git2::Oid, base: git2::Oid) -> bool {
        let mut cur = tip;
        for _ in 0..1000 {
            if cur == base {
                return true;
            }
            let Ok(c) = self.repo.find_commit(cur) else { return false };
            if !c.message().is_ok_and(|m| m.contains(PAVE_TRAILER)) {
                return false;
            }
            let Ok(parent) = c.parent_id(0) else { return false };
            cur = parent;
        }
        false
    }

    /// Commits `changes` onto branch `name`, straight into the object database: the index, the
    /// working tree and the checked-out branch are not touched. The parent is HEAD, or
    /// `previous` (this run's earlier commit on the branch, for several projects in one
    /// repository). An existing branch is moved (compare-and-swap) only when it holds nothing
    /// but pave's own commits on top of HEAD.
    pub(crate) fn commit_to_branch(
        &self,
        changes: &[TreeChange],
        message: &str,
        name: &str,
        previous: Option<&str>,
    ) -> Result<(String, BranchWrite), GitError> {
        let head = self.repo.head().and_then(|h| h.peel_to_commit()).map_err(|e| self.err("read HEAD", e))?;
        let previous = match previous {
            Some(id) => Some(
                git2::Oid::from_str(id)
                    .and_then(|oid| self.repo.find_commit(oid))
                    .map_err(|e| self.err("read the branch", e))?,
            ),
            None => None,
        };
        let parent = previous.clone().unwrap_or_else(|| head.clone());
        let mut index = git2::Index::new().map_err(|e| self.err("build the tree", e))?;
        index
            .read_tree(&parent.tree().map_err(|e| self.err("read HEAD's tree", e))?)
            .map_err(|e| self.err("build the tree", e))?;
        for (rel, file) in changes {
            let full = format!("{}{rel}", self.prefix);
            match file {
                None => {
                    let _ = index.remove_path(Path::new(&full));
                }
                Some(f) => {
                    let (bytes, mode) = match f {
                        crate::render::RenderedFile::File { bytes, executable } => {
                            (bytes.as_slice(), if *executable { 0o100_755 } else { 0o100_644 })
                        }
                        crate::render::RenderedFile::Symlink { target } => (target.as_bytes(), 0o120_000),
                    };
                    // An in-memory index cannot hash buffers itself: write the blob, then add it.
                    let id = self.repo.blob(bytes).map_err(|e| self.err("write a blob", e))?;
                    let entry = git2::IndexEntry {
                        ctime: git2::IndexTime::new(0, 0),
                        mtime: git2::IndexTime::new(0, 0),
                        dev: 0,
                        ino: 0,
                        mode,
                        uid: 0,
                        gid: 0,
                        file_size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                        id,
                        flags: u16::try_from(full.len().min(0xfff)).unwrap_or(0xfff),
                        flags_extended: 0,
                        path: full.into_bytes(),
                    };
                    index.add(&entry).map_err(|e| self.err("build the tree", e))?;
                }
            }
        }
        let tree_id = index.write_tree_to(&self.repo).map_err(|e| self.err("write the tree", e))?;
        let tree = self.repo.find_tree(tree_id).map_err(|e| self.err("write the tree", e))?;
        let (author, committer) =
            signatures(&self.repo).map_err(|e| self.err("make the commit (author identity)", e))?;
        let message = format!("{message}\n\n{PAVE_TRAILER}\n");
        let id = self
            .repo
            .commit(None, &author, &committer, &message, &tree, &[&parent])
            .map_err(|e| self.err("commit", e))?;
        let refname = format!("refs/heads/{name}");
        let write = match self.repo.find_reference(&refname) {
            Err(_) => {
                self.repo
                    .reference(&refname, id, false, "pave fleet upgrade")
                    .map_err(|e| self.err("create the branch", e))?;
                BranchWrite::Created(id.to_string())
            }
            Ok(existing) => {
                let Some(old) = existing.target() else { return Ok((id.to_string(), BranchWrite::Exists)) };
                let ours = match &previous {
                    Some(p) => old == p.id(),
                    None => self.only_pave_commits(old, head.id()),
                };
                if !ours {
                    return Ok((id.to_string(), BranchWrite::Exists));
                }
                // Compare-and-swap: fails if someone moved the branch since we looked.
                self.repo
                    .reference_matching(&refname, id, true, old, "pave fleet upgrade")
                    .map_err(|e| self.err("move the branch", e))?;
                BranchWrite::Updated(id.to_string())
            }
        };
        Ok((id.to_string(), write))
    }
}
