//! A project's repository: opening it, the refusals of an upgrade, tracked paths, conflicts in
//! the index, and commits of the working tree.

use std::path::{Path, PathBuf};

use super::{GitError, signatures};

/// A conflicted path for the index: project-relative path, base/ours/theirs contents, and
/// whether it is executable.
pub(crate) type ConflictEntry = (String, [Option<Vec<u8>>; 3], bool);

/// The git repository a project lives in, and the project's place in it.
pub(crate) struct ProjectRepo {
    pub(super) repo: git2::Repository,
    /// The project's directory relative to the work tree, `""` or ending in `/`.
    pub(super) prefix: String,
    pub(super) workdir: PathBuf,
    /// Project-relative paths in the index, read once.
    tracked: std::cell::OnceCell<std::collections::HashSet<String>>,
}

/// Why an upgrade may not touch a repository (each is exit 2, nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not inside a git work tree.
    NotARepository,
    /// A merge, rebase, cherry-pick... is in progress.
    InProgress(String),
    /// Another git process holds the index lock.
    Locked,
    /// Tracked files have uncommitted changes.
    Dirty(Vec<String>),
}

impl Refusal {
    /// The message and the hint.
    pub(crate) fn explain(&self, dir: &Path) -> (String, String) {
        match self {
            Self::NotARepository => (
                format!("{} is not in a git repository: an upgrade needs history to merge against", dir.display()),
                "git init && git add -A && git commit -m 'Import', then run the upgrade again".into(),
            ),
            Self::InProgress(state) => (
                format!("a {state} is in progress in this repository"),
                "finish or abort it (git status says how), then run the upgrade again".into(),
            ),
            Self::Locked => (
                "the git index is locked (.git/index.lock): another git process is running, or one crashed".into(),
                "wait for it to finish, or remove .git/index.lock if no git process is running".into(),
            ),
            Self::Dirty(paths) => {
                let shown: Vec<&str> = paths.iter().take(5).map(String::as_str).collect();
                let more = if paths.len() > 5 { format!(" and {} more", paths.len() - 5) } else { String::new() };
                (
                    format!("uncommitted changes to tracked files: {}{more}", shown.join(", ")),
                    "commit or stash them first (or pass --allow-dirty to upgrade on top of them)".into(),
                )
            }
        }
    }
}

impl ProjectRepo {
    /// Opens the repository containing `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Result<Self, Refusal>, GitError> {
        super::settings();
        // One search (`discover` then `open` would search and check the directory twice),
        // upwards and across file systems as `discover` does.
        let flags = git2::RepositoryOpenFlags::CROSS_FS;
        let repo = match git2::Repository::open_ext(dir, flags, std::iter::empty::<&std::ffi::OsStr>()) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Err(Refusal::NotARepository)),
            Err(e) => return Err(GitError { op: "open the repository", path: dir.to_path_buf(), cause: e }),
        };
        let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
            return Ok(Err(Refusal::NotARepository));
        };
        // libgit2 resolved the work tree's links itself. The usual case in a fleet, the project
        // at the top of its repository, found by a walk that follows no links, with the git
        // directory in its `.git`: nothing is left to resolve or look for.
        if dir == workdir && repo.path() == workdir.join(".git") {
            return Ok(Ok(Self { repo, prefix: String::new(), workdir, tracked: std::cell::OnceCell::new() }));
        }
        let canon_dir = crate::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut canon_work =
            if workdir == canon_dir { canon_dir.clone() } else { crate::fs::canonicalize(&workdir).unwrap_or(workdir) };
        // A `.git` file pointing at a separate git directory (`git init --separate-git-dir`)
        // without `core.worktree`: libgit2 takes the git directory's parent for the work tree.
        // The work tree is where the `.git` entry is, as git itself has it.
        if let Some(top) = super::dot_git_dir(&canon_dir)
            && top != canon_work
            && repo.config().ok().and_then(|c| c.get_path("core.worktree").ok()).is_none()
        {
            repo.set_workdir(&top, false).map_err(|e| GitError {
                op: "open the repository",
                path: dir.to_path_buf(),
                cause: e,
            })?;
            canon_work = top;
        }
        let rel =
            canon_dir.strip_prefix(&canon_work).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        Ok(Ok(Self { repo, prefix, workdir: canon_work, tracked: std::cell::OnceCell::new() }))
    }

    /// The repository's commits and branches.
    pub(crate) fn commits(&self) -> super::Commits<'_> {
        super::Commits { repo: &self.repo, path: &self.workdir }
    }

    /// The checked-out branch's commit and name, read once, or why the fleet cannot branch
    /// from the repository (empty, detached).
    pub(crate) fn fleet_head(&self) -> Result<Result<(String, String), String>, GitError> {
        let head = match self.repo.head() {
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                return Ok(Err("the repository has no commits".into()));
            }
            Err(e) => return Err(self.err("read HEAD", e)),
            Ok(head) => head,
        };
        if !head.is_branch() {
            return Ok(Err("HEAD is detached: check out the branch to upgrade from".into()));
        }
        let commit = head.peel_to_commit().map_err(|e| self.err("read HEAD", e))?;
        Ok(Ok((commit.id().to_string(), head.shorthand().unwrap_or_default().to_string())))
    }

    /// The commit HEAD points to.
    pub(crate) fn head_commit(&self) -> Result<String, GitError> {
        self.repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map(|c| c.id().to_string())
            .map_err(|e| self.err("read HEAD", e))
    }

    /// The URL of the remote `name` (`origin`), when it has one.
    pub(crate) fn remote_url(&self, name: &str) -> Option<String> {
        self.repo.find_remote(name).ok().and_then(|r| r.url().ok().map(str::to_string))
    }

    /// The project's directory relative to the work tree: `""`, or ending in `/`.
    pub(crate) fn project_prefix(&self) -> &str {
        &self.prefix
    }

    /// Refuses a repository in the middle of something, locked, or (unless allowed) dirty in
    /// the project's directory.
    pub(crate) fn precheck(&self, allow_dirty: bool) -> Result<Option<Refusal>, GitError> {
        use git2::RepositoryState as S;
        let state = match self.repo.state() {
            S::Clean => None,
            S::Merge => Some("merge"),
            S::Revert | S::RevertSequence => Some("revert"),
            S::CherryPick | S::CherryPickSequence => Some("cherry-pick"),
            S::Bisect => Some("bisect"),
            S::Rebase | S::RebaseInteractive | S::RebaseMerge => Some("rebase"),
            S::ApplyMailbox | S::ApplyMailboxOrRebase => Some("git am"),
        };
        if let Some(s) = state {
            return Ok(Some(Refusal::InProgress(s.into())));
        }
        if crate::fs::entry_kind(&self.repo.path().join("index.lock")).ok().flatten().is_some() {
            return Ok(Some(Refusal::Locked));
        }
        if allow_dirty || self.surely_clean() {
            return Ok(None);
        }
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false).include_ignored(false).exclude_submodules(true);
        if !self.prefix.is_empty() {
            opts.pathspec(&self.prefix);
        }
        let statuses = self.repo.statuses(Some(&mut opts)).map_err(|e| self.err("read the status", e))?;
        let dirty: Vec<String> = statuses
            .iter()
            .filter(|s| !s.status().is_empty() && s.status() != git2::Status::IGNORED)
            .filter_map(|s| s.path().ok().map(|p| p.strip_prefix(&self.prefix).unwrap_or(p).to_string()))
            .collect();
        Ok(if dirty.is_empty() { None } else { Some(Refusal::Dirty(dirty)) })
    }

    /// Whether the project's tracked files are certainly as HEAD has them, judged as git judges
    /// an unchanged file: the index holds HEAD's entries under the project's directory, and
    /// each file's `lstat` matches what the index recorded of it, from before the index was
    /// written (a file changed in the same moment is "racy" and not judged). `false` means only
    /// "maybe not": the full status then decides, and names the paths. It spares the status's
    /// walk of every directory of the work tree (a fifth of a fleet's first run).
    fn surely_clean(&self) -> bool {
        #[cfg(unix)]
        {
            self.stat_clean().unwrap_or(false)
        }
        #[cfg(not(unix))]
        {
            false
        }
    }

    #[cfg(unix)]
    fn stat_clean(&self) -> Option<bool> {
        use std::os::unix::fs::MetadataExt;
        let index = self.repo.index().ok()?;
        let written = std::fs::metadata(index.path()?).ok()?;
        let written = (written.mtime(), written.mtime_nsec());
        let head = self.repo.head().ok()?.peel_to_tree().ok()?;
        let tree = match self.prefix.strip_suffix('/') {
            None => head,
            Some(dir) => head.get_path(Path::new(dir)).ok()?.to_object(&self.repo).ok()?.into_tree().ok()?,
        };
        // HEAD's files under the directory, in the index's order (trees list a directory as if
        // its name ended in `/`, which orders full paths bytewise, as the index does).
        let mut at_head: Vec<(Vec<u8>, git2::Oid, i32)> = Vec::new();
        let mut odd = false;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            match entry.kind() {
                Some(git2::ObjectType::Blob) => {
                    let path = [self.prefix.as_bytes(), dir.as_bytes(), entry.name_bytes()].concat();
                    at_head.push((path, entry.id(), entry.filemode()));
                }
                Some(git2::ObjectType::Tree) => {}
                // A submodule: the full status judges it.
                _ => odd = true,
            }
            git2::TreeWalkResult::Ok
        })
        .ok()?;
        if odd {
            return Some(false);
        }
        let mut expected = at_head.iter();
        for entry in index.iter().filter(|e| e.path.starts_with(self.prefix.as_bytes())) {
            let Some((path, id, mode)) = expected.next() else { return Some(false) };
            // A conflict (stage 1-3), an intent to add or a skipped file is for the status.
            let unusual = entry.flags & 0x3000 != 0 || entry.flags_extended & 0x6000 != 0;
            if unusual || *path != entry.path || *id != entry.id || u32::try_from(*mode).ok()? != entry.mode {
                return Some(false);
            }
            let rel = std::str::from_utf8(&entry.path).ok()?;
            let meta = std::fs::symlink_metadata(self.workdir.join(rel)).ok()?;
            let kind = if meta.file_type().is_symlink() {
                0o120_000
            } else if !meta.is_file() {
                return Some(false);
            } else if meta.mode() & 0o100 != 0 {
                0o100_755
            } else {
                0o100_644
            };
            let mtime = (i64::from(entry.mtime.seconds()), i64::from(entry.mtime.nanoseconds()));
            let same = kind == entry.mode
                && meta.len() == u64::from(entry.file_size)
                && mtime == (meta.mtime(), meta.mtime_nsec())
                && (i64::from(entry.ctime.seconds()), i64::from(entry.ctime.nanoseconds()))
                    == (meta.ctime(), meta.ctime_nsec())
                && u64::from(entry.ino) == meta.ino() & 0xffff_ffff
                && entry.uid == meta.uid()
                && entry.gid == meta.gid();
            if !same || mtime >= written {
                return Some(false);
            }
        }
        Some(expected.next().is_none())
    }

    pub(super) fn err(&self, op: &'static str, cause: git2::Error) -> GitError {
        GitError { op, path: self.workdir.clone(), cause }
    }

    /// Whether the index tracks the project-relative path.
    pub(crate) fn is_tracked(&self, rel: &str) -> bool {
        let tracked = self.tracked.get_or_init(|| {
            let Ok(index) = self.repo.index() else { return std::collections::HashSet::new() };
            index
                .iter()
                .filter_map(|e| String::from_utf8(e.path).ok())
                .filter_map(|p| p.strip_prefix(&self.prefix).map(str::to_string))
                .collect()
        });
        tracked.contains(rel)
    }

    /// The project-relative paths git tracks, sorted.
    pub(crate) fn tracked_paths(&self) -> Vec<String> {
        let _ = self.is_tracked("");
        let mut paths: Vec<String> = self.tracked.get().map(|t| t.iter().cloned().collect()).unwrap_or_default();
        paths.sort();
        paths
    }

    /// Whether a local branch exists.
    pub(crate) fn branch_exists(&self, name: &str) -> bool {
        self.repo.find_branch(name, git2::BranchType::Local).is_ok()
    }

    /// Whether HEAD is the local branch `name`.
    pub(crate) fn is_on_branch(&self, name: &str) -> bool {
        let full = format!("refs/heads/{name}");
        self.repo.head().is_ok_and(|h| h.name_bytes() == full.as_bytes())
    }

    /// Records conflicted paths as unmerged (stages 1–3), as `git merge` does, so `git status`
    /// lists them and `git commit` refuses until they are resolved.
    pub(crate) fn mark_conflicts(&self, conflicts: &[ConflictEntry]) -> Result<(), GitError> {
        let mut index = self.repo.index().map_err(|e| self.err("open the index", e))?;
        for (rel, stages, executable) in conflicts {
            let full = format!("{}{rel}", self.prefix);
            let _ = index.remove_path(Path::new(&full));
            for (i, content) in stages.iter().enumerate() {
                let Some(bytes) = content else { continue };
                let id = self.repo.blob(bytes).map_err(|e| self.err("write a blob", e))?;
                let stage = u16::try_from(i + 1).unwrap_or(1);
                let entry =
                    super::index_entry(&full, id, if *executable { 0o100_755 } else { 0o100_644 }, bytes.len(), stage);
                index.add(&entry).map_err(|e| self.err("record a conflict in the index", e))?;
            }
        }
        index.write().map_err(|e| self.err("write the index", e))
    }

    /// Commits the upgrade's `paths` (project-relative), on HEAD or on a new branch that HEAD
    /// then points to, and returns the commit id. Each path is staged from the work tree as
    /// `git add` stages it, or removed from the index when it is gone. The commit is HEAD's tree
    /// with those paths changed and nothing else: an untracked file beside the project, and
    /// (with `--allow-dirty`) other changes, staged or not, stay where they were.
    pub(crate) fn commit_project(
        &self,
        message: &str,
        branch: Option<&str>,
        paths: &[&str],
    ) -> Result<String, GitError> {
        // Without an identity the error comes before anything is staged.
        let (author, committer) =
            signatures(&self.repo).map_err(|e| self.err("make the commit (author identity)", e))?;
        let mut index = self.repo.index().map_err(|e| self.err("open the index", e))?;
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let base = if let Some(commit) = &parent {
            commit.tree().map_err(|e| self.err("read HEAD's tree", e))?
        } else {
            let empty =
                self.repo.treebuilder(None).and_then(|b| b.write()).map_err(|e| self.err("write the tree", e))?;
            self.repo.find_tree(empty).map_err(|e| self.err("write the tree", e))?
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        for rel in paths {
            let full = format!("{}{rel}", self.prefix);
            let path = Path::new(&full);
            // As `git add` has it: a file that is not tracked and that .gitignore matches is
            // not staged (`pave new` did not commit it either).
            let tracked = index.get_path(path, 0).is_some();
            if !tracked && self.repo.is_path_ignored(path).unwrap_or(false) {
                continue;
            }
            match index.add_path(path) {
                Ok(()) => {
                    let entry = index.get_path(path, 0).ok_or_else(|| {
                        self.err("stage the upgrade", git2::Error::from_str("not in the index once added"))
                    })?;
                    update.upsert(full.as_bytes(), entry.id, file_mode(entry.mode));
                }
                // Gone from the work tree: removed by the upgrade (or already by the user).
                Err(e) if e.code() == git2::ErrorCode::NotFound => {
                    let _ = index.remove_path(path);
                    if base.get_path(path).is_ok() {
                        update.remove(full.as_bytes());
                    }
                }
                Err(e) => return Err(self.err("stage the upgrade", e)),
            }
        }
        index.write().map_err(|e| self.err("write the index", e))?;
        let tree_id = update.create_updated(&self.repo, &base).map_err(|e| self.err("write the tree", e))?;
        let tree = self.repo.find_tree(tree_id).map_err(|e| self.err("write the tree", e))?;
        if let Some(name) = branch {
            let Some(p) = &parent else {
                return Err(self.err("create a branch", git2::Error::from_str("the repository has no commit yet")));
            };
            self.repo.branch(name, p, false).map_err(|e| self.err("create the branch", e))?;
            self.repo.set_head(&format!("refs/heads/{name}")).map_err(|e| self.err("switch to the branch", e))?;
        }
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let id = self
            .repo
            .commit(Some("HEAD"), &author, &committer, message, &tree, &parents)
            .map_err(|e| self.err("commit", e))?;
        Ok(id.to_string())
    }
}

/// The tree entry mode of an index entry's mode.
fn file_mode(mode: u32) -> git2::FileMode {
    match mode {
        0o100_755 => git2::FileMode::BlobExecutable,
        0o120_000 => git2::FileMode::Link,
        0o160_000 => git2::FileMode::Commit,
        _ => git2::FileMode::Blob,
    }
}
