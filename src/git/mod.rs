//! The only user of git2: finding an enclosing work tree, `git init`, and commits.

use std::path::{Path, PathBuf};

/// A git operation that failed.
#[derive(Debug, thiserror::Error)]
#[error("git: could not {op} in `{}`: {}", path.display(), source.message())]
pub struct GitError {
    /// What we were doing.
    pub op: &'static str,
    /// The repository or path.
    pub path: PathBuf,
    /// libgit2's error (its message is already in ours, so it is not a `source`).
    pub source: git2::Error,
}

impl GitError {
    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        if self.source.code() == git2::ErrorCode::Owner {
            return Some(format!(
                "the repository is owned by another user; if you trust it: git config --global --add safe.directory {}",
                self.path.display()
            ));
        }
        if self.source.class() == git2::ErrorClass::Config || self.source.message().contains("signature") {
            return Some(
                "set your identity: git config --global user.name NAME; git config --global user.email EMAIL".into(),
            );
        }
        None
    }
}

fn ctx<T>(op: &'static str, path: &Path, r: Result<T, git2::Error>) -> Result<T, GitError> {
    r.map_err(|source| GitError { op, path: path.to_path_buf(), source })
}

/// The work tree that contains `path` (or its nearest existing ancestor), if any.
pub fn enclosing_work_tree(path: &Path) -> Option<PathBuf> {
    // A relative path's parents end in "", which never exists: start from an absolute one.
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut probe = absolute.as_path();
    while !probe.exists() {
        probe = probe.parent()?;
    }
    let repo = git2::Repository::discover(probe).ok()?;
    repo.workdir().map(Path::to_path_buf)
}

/// An identity as git picks it: `GIT_{AUTHOR,COMMITTER}_{NAME,EMAIL}` over git config
/// (`user.name`, `user.email`), then a pave identity so a fresh machine can still commit.
fn identity(repo: &git2::Repository, role: &str) -> Result<git2::Signature<'static>, git2::Error> {
    let env = |k: String| std::env::var(k).ok().filter(|v| !v.is_empty());
    let config = repo.config().ok();
    let from_config = |k: &str| config.as_ref().and_then(|c| c.get_string(k).ok());
    let name = env(format!("GIT_{role}_NAME")).or_else(|| from_config("user.name")).unwrap_or_else(|| "pave".into());
    let email = env(format!("GIT_{role}_EMAIL"))
        .or_else(|| from_config("user.email"))
        .unwrap_or_else(|| "pave@localhost".into());
    git2::Signature::now(&name, &email)
}

/// The author and committer of a commit pave makes.
fn signatures(repo: &git2::Repository) -> Result<(git2::Signature<'static>, git2::Signature<'static>), git2::Error> {
    Ok((identity(repo, "AUTHOR")?, identity(repo, "COMMITTER")?))
}

/// `git init` at `dir` (branch from `init.defaultBranch`, else `main`), stages the files pave
/// wrote (never others that were already there) and makes the first commit. Returns its id.
pub fn init_and_commit(dir: &Path, message: &str, paths: &[&str]) -> Result<String, GitError> {
    let branch = git2::Config::open_default()
        .ok()
        .and_then(|c| c.get_string("init.defaultBranch").ok())
        .unwrap_or_else(|| "main".to_string());
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head(&branch);
    let repo = ctx("initialise a repository", dir, git2::Repository::init_opts(dir, &opts))?;
    let mut index = ctx("stage the files", dir, repo.index())?;
    for path in paths {
        // Files the template's own .gitignore ignores stay out, as `git add` would leave them.
        if repo.is_path_ignored(Path::new(path)).unwrap_or(false) {
            continue;
        }
        ctx("stage the files", dir, index.add_path(Path::new(path)))?;
    }
    ctx("stage the files", dir, index.write())?;
    let tree_id = ctx("write the tree", dir, index.write_tree())?;
    let tree = ctx("write the tree", dir, repo.find_tree(tree_id))?;
    let (author, committer) = ctx("make the commit (author identity)", dir, signatures(&repo))?;
    let id = ctx("make the first commit", dir, repo.commit(Some("HEAD"), &author, &committer, message, &tree, &[]))?;
    Ok(id.to_string())
}

/// A conflicted path for the index: project-relative path, base/ours/theirs contents, and
/// whether it is executable.
pub type ConflictEntry = (String, [Option<Vec<u8>>; 3], bool);

/// The git repository a project lives in, and the project's place in it.
pub struct ProjectRepo {
    repo: git2::Repository,
    /// The project's directory relative to the work tree, `""` or ending in `/`.
    prefix: String,
    workdir: PathBuf,
    /// Project-relative paths in the index, read once.
    tracked: std::cell::OnceCell<std::collections::HashSet<String>>,
}

/// Why an upgrade may not touch a repository (each is exit 2, nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
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
    pub fn explain(&self, dir: &Path) -> (String, String) {
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
    pub fn open(dir: &Path) -> Result<Result<Self, Refusal>, GitError> {
        let repo = match git2::Repository::discover(dir) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Err(Refusal::NotARepository)),
            Err(e) => return Err(GitError { op: "open the repository", path: dir.to_path_buf(), source: e }),
        };
        let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
            return Ok(Err(Refusal::NotARepository));
        };
        let canon_dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let canon_work = workdir.canonicalize().unwrap_or(workdir);
        let rel =
            canon_dir.strip_prefix(&canon_work).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        Ok(Ok(Self { repo, prefix, workdir: canon_work, tracked: std::cell::OnceCell::new() }))
    }

    /// The work tree's root.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Refuses a repository in the middle of something, locked, or (unless allowed) dirty in
    /// the project's directory.
    pub fn precheck(&self, allow_dirty: bool) -> Result<Option<Refusal>, GitError> {
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
        if self.repo.path().join("index.lock").exists() {
            return Ok(Some(Refusal::Locked));
        }
        if allow_dirty {
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

    fn err(&self, op: &'static str, source: git2::Error) -> GitError {
        GitError { op, path: self.workdir.clone(), source }
    }

    /// Whether the index tracks the project-relative path.
    pub fn is_tracked(&self, rel: &str) -> bool {
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
    pub fn tracked_paths(&self) -> Vec<String> {
        let _ = self.is_tracked("");
        let mut paths: Vec<String> = self.tracked.get().map(|t| t.iter().cloned().collect()).unwrap_or_default();
        paths.sort();
        paths
    }

    /// Whether a local branch exists.
    pub fn branch_exists(&self, name: &str) -> bool {
        self.repo.find_branch(name, git2::BranchType::Local).is_ok()
    }

    /// Records conflicted paths as unmerged (stages 1–3), as `git merge` does, so `git status`
    /// lists them and `git commit` refuses until they are resolved.
    pub fn mark_conflicts(&self, conflicts: &[ConflictEntry]) -> Result<(), GitError> {
        let mut index = self.repo.index().map_err(|e| self.err("open the index", e))?;
        for (rel, stages, executable) in conflicts {
            let full = format!("{}{rel}", self.prefix);
            let _ = index.remove_path(Path::new(&full));
            for (i, content) in stages.iter().enumerate() {
                let Some(bytes) = content else { continue };
                let id = self.repo.blob(bytes).map_err(|e| self.err("write a blob", e))?;
                let stage = u16::try_from(i + 1).unwrap_or(1);
                let name_len = u16::try_from(full.len().min(0xfff)).unwrap_or(0xfff);
                let entry = git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: if *executable { 0o100_755 } else { 0o100_644 },
                    uid: 0,
                    gid: 0,
                    file_size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                    id,
                    flags: (stage << 12) | name_len,
                    flags_extended: 0,
                    path: full.clone().into_bytes(),
                };
                index.add(&entry).map_err(|e| self.err("record a conflict in the index", e))?;
            }
        }
        index.write().map_err(|e| self.err("write the index", e))
    }

    /// Stages every change in the project's directory and commits it, on HEAD or on a new
    /// branch that HEAD then points to. Returns the commit id.
    pub fn commit_project(&self, message: &str, branch: Option<&str>) -> Result<String, GitError> {
        let mut index = self.repo.index().map_err(|e| self.err("open the index", e))?;
        let spec = if self.prefix.is_empty() { "*".to_string() } else { format!("{}*", self.prefix) };
        index
            .add_all([spec.as_str()], git2::IndexAddOption::DEFAULT, None)
            .map_err(|e| self.err("stage the upgrade", e))?;
        index.update_all([spec.as_str()], None).map_err(|e| self.err("stage the upgrade", e))?;
        index.write().map_err(|e| self.err("write the index", e))?;
        let tree_id = index.write_tree().map_err(|e| self.err("write the tree", e))?;
        let tree = self.repo.find_tree(tree_id).map_err(|e| self.err("write the tree", e))?;
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        if let Some(name) = branch {
            let Some(p) = &parent else {
                return Err(self.err("create a branch", git2::Error::from_str("the repository has no commit yet")));
            };
            self.repo.branch(name, p, false).map_err(|e| self.err("create the branch", e))?;
            self.repo.set_head(&format!("refs/heads/{name}")).map_err(|e| self.err("switch to the branch", e))?;
        }
        let (author, committer) =
            signatures(&self.repo).map_err(|e| self.err("make the commit (author identity)", e))?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let id = self
            .repo
            .commit(Some("HEAD"), &author, &committer, message, &tree, &parents)
            .map_err(|e| self.err("commit", e))?;
        Ok(id.to_string())
    }
}

/// One path's new state in a commit built from a plan: `None` deletes it.
pub type TreeChange = (String, Option<crate::render::RenderedFile>);

/// What happened to a fleet branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchWrite {
    /// A new branch was created at the commit.
    Created(String),
    /// pave's own earlier branch was moved to the new commit.
    Updated(String),
    /// The branch exists with someone else's commits: left alone.
    Exists,
}

/// The trailer that marks pave's own fleet commits, so a re-run may move its own branch.
pub const PAVE_TRAILER: &str = "Generated-by: pave fleet";

impl ProjectRepo {
    /// Refuses a repository the fleet cannot branch from: bare, empty, detached.
    pub fn fleet_precheck(&self) -> Result<Option<String>, GitError> {
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
    pub fn head_branch(&self) -> Option<String> {
        self.repo.head().ok().and_then(|h| h.shorthand().ok().map(str::to_string))
    }

    /// Reads a project file from HEAD's tree (`None` when absent).
    pub fn head_file(&self, rel: &str) -> Result<Option<crate::render::RenderedFile>, GitError> {
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
    pub fn commit_to_branch(
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

/// A project read from HEAD's tree, for planning without the working tree.
pub struct HeadTree<'a> {
    /// The project's repository.
    pub repo: &'a ProjectRepo,
}

impl crate::plan::Ours for HeadTree<'_> {
    fn get(&self, path: &str) -> crate::error::Result<Option<crate::render::RenderedFile>> {
        Ok(self.repo.head_file(path)?)
    }

    fn is_untracked(&self, _: &str) -> bool {
        false // a commit built from HEAD's tree never meets the working tree
    }
}
