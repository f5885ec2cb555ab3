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
    /// libgit2's error.
    #[source]
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
        if self.source.class() == git2::ErrorClass::Config
            || self.source.message().contains("signature")
        {
            return Some("set your identity: git config --global user.name NAME; git config --global user.email EMAIL".into());
        }
        None
    }
}

fn ctx<T>(op: &'static str, path: &Path, r: Result<T, git2::Error>) -> Result<T, GitError> {
    r.map_err(|source| GitError {
        op,
        path: path.to_path_buf(),
        source,
    })
}

/// The work tree that contains `path` (or its nearest existing ancestor), if any.
pub fn enclosing_work_tree(path: &Path) -> Option<PathBuf> {
    let mut probe = path;
    while !probe.exists() {
        probe = probe.parent()?;
    }
    let repo = git2::Repository::discover(probe).ok()?;
    repo.workdir().map(Path::to_path_buf)
}

/// The commit author: git's environment variables, then git config, then a pave identity.
fn signature(repo: &git2::Repository) -> Result<git2::Signature<'static>, git2::Error> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(name), Some(email)) = (env("GIT_AUTHOR_NAME"), env("GIT_AUTHOR_EMAIL")) {
        return git2::Signature::now(&name, &email);
    }
    repo.signature()
        .or_else(|_| git2::Signature::now("pave", "pave@localhost"))
}

/// `git init` at `dir` (branch from `init.defaultBranch`, else `main`), stages every file and
/// makes the first commit. Returns the commit id.
pub fn init_and_commit(dir: &Path, message: &str) -> Result<String, GitError> {
    let branch = git2::Config::open_default()
        .ok()
        .and_then(|c| c.get_string("init.defaultBranch").ok())
        .unwrap_or_else(|| "main".to_string());
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head(&branch);
    let repo = ctx(
        "initialise a repository",
        dir,
        git2::Repository::init_opts(dir, &opts),
    )?;
    let mut index = ctx("stage the files", dir, repo.index())?;
    ctx(
        "stage the files",
        dir,
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None),
    )?;
    ctx("stage the files", dir, index.write())?;
    let tree_id = ctx("write the tree", dir, index.write_tree())?;
    let tree = ctx("write the tree", dir, repo.find_tree(tree_id))?;
    let sig = ctx("make the commit (author identity)", dir, signature(&repo))?;
    let id = ctx(
        "make the first commit",
        dir,
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[]),
    )?;
    Ok(id.to_string())
}
