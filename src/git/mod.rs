//! The only user of git2 (clippy.toml bans it elsewhere): finding an enclosing work tree,
//! `git init`, a project's repository, commits onto branches without a work tree, clones of
//! catalogs, blob ids, libgit2's file merge, and the packs pave's own commits are written as.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod branch;
mod clone;
mod history;
mod http;
mod loose;
mod merge_file;
mod mirror;
mod pack;
mod repo;
mod ssh;

pub(crate) use branch::{BranchState, Commits, FilesAt, PAVE_TRAILER, PaveCommit, TreeChange};
pub(crate) use clone::clone;
pub(crate) use history::{FileHistories, FileVersion, file_histories, first_added, mirror_file_histories};
pub(crate) use loose::LooseRefs;
pub(crate) use merge_file::merge_file;
pub(crate) use mirror::{Auth, Mirror, Pushed, TRACKING};
pub(crate) use repo::{ConflictEntry, ProjectRepo, Refusal};

use std::path::{Path, PathBuf};

/// A git operation that failed.
#[derive(Debug, thiserror::Error)]
#[error("git: could not {op} in `{}`: {}", path.display(), cause_text(cause))]
pub(crate) struct GitError {
    /// What we were doing.
    pub op: &'static str,
    /// The repository or path.
    pub path: PathBuf,
    /// libgit2's error. Its message is already in ours, so it is deliberately not the error's
    /// `source` (a field named `source` would be, and every cause would print twice).
    pub cause: git2::Error,
}

impl GitError {
    /// What to do next.
    pub(crate) fn hint(&self) -> Option<String> {
        if self.cause.code() == git2::ErrorCode::Owner {
            return Some(format!(
                "the repository is owned by another user; if you trust it: git config --global --add safe.directory {}",
                self.path.display()
            ));
        }
        if self.cause.class() == git2::ErrorClass::Config || self.cause.message().contains("signature") {
            return Some(
                "set your identity: git config --global user.name NAME; git config --global user.email EMAIL".into(),
            );
        }
        None
    }
}

/// libgit2's message for `e`, without the dangling `: ` it leaves when the system gave no reason,
/// and for a lock held by someone else, what that means.
fn cause_text(e: &git2::Error) -> String {
    let message = e.message().trim_end().trim_end_matches(':');
    if e.code() == git2::ErrorCode::Locked {
        format!(
            "{message} (another git process is writing it: run again once it has finished, or delete the .lock file if none is running)"
        )
    } else {
        message.to_string()
    }
}

/// libgit2's process-wide settings, applied once before the first repository is opened.
/// - Objects are not hashed again on every read: git itself checks them when they arrive
///   (fetch, clone) and in `git fsck`, not on each read, and the re-hash (collision-detecting
///   SHA-1) was a fifth of the work of an unchanged fleet re-run.
/// - A tree or commit pave writes is not checked, entry by entry, for objects that exist: its
///   entries are blobs pave has just written or entries of a tree read from the same
///   repository (the check read every entry's header back, a loose object's file included).
/// - `http://` and `https://` remotes go through pave's transport ([`http`]).
pub(super) fn settings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        git2::opts::strict_object_creation(false);
    });
    register_transports();
}

/// Registers pave's transports with git2, once, before any remote is opened: smart HTTP on ureq
/// ([`http`]) and ssh through the ssh program ([`ssh`]). The crate's one `unsafe`.
#[allow(unsafe_code)]
fn register_transports() {
    type Factory = fn(&git2::Remote<'_>) -> Result<git2::transport::Transport, git2::Error>;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let http = http::SCHEMES.iter().map(|s| (*s, http::factory as Factory));
        for (scheme, factory) in http.chain(ssh::SCHEMES.iter().map(|s| (*s, ssh::factory as Factory))) {
            // SAFETY: git2 asks that registering not race with the creation of a transport.
            // This runs once, under `Once`, from `settings()`, which every path that opens a
            // repository calls first; a thread that arrives meanwhile waits here until it is done.
            let registered = unsafe { git2::transport::register(scheme, factory) };
            debug_assert!(registered.is_ok(), "{scheme}: {registered:?}");
        }
    });
}

fn ctx<T>(op: &'static str, path: &Path, r: Result<T, git2::Error>) -> Result<T, GitError> {
    r.map_err(|cause| GitError { op, path: path.to_path_buf(), cause })
}

/// The work tree that contains `path` (or its nearest existing ancestor), if any.
pub(crate) fn enclosing_work_tree(path: &Path) -> Option<PathBuf> {
    // A relative path's parents end in "", which never exists: start from an absolute one.
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut probe = absolute.as_path();
    while crate::fs::entry_kind(probe).ok().flatten().is_none() {
        probe = probe.parent()?;
    }
    settings();
    let repo = git2::Repository::discover(probe).ok()?;
    let workdir = repo.workdir()?.to_path_buf();
    // The work tree is where the `.git` entry is (see `ProjectRepo::open` for why not libgit2's).
    match dot_git_dir(&crate::fs::canonicalize(probe).ok()?) {
        Some(top) if crate::fs::canonicalize(&workdir).ok().as_ref() != Some(&top) => Some(top.join("")),
        _ => Some(workdir),
    }
}

/// The nearest directory, from `dir` up, that holds a `.git` entry (a directory or a file).
fn dot_git_dir(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| crate::fs::entry_kind(&d.join(".git")).ok().flatten().is_some()).map(Path::to_path_buf)
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
///
/// `files` are the paths pave wrote, each with the bytes it wrote there (`None` for a link).
/// Where git would store those bytes as they are, pave hashes and packs them itself and puts
/// `lstat`'s answer in the index, as `git add` does. That is every regular file without a
/// carriage return or a `$Id`, so no line-ending or `ident` filter can change it, on a file
/// system whose executable bits git trusts. Any other file is staged by libgit2, which reads,
/// filters and hashes it. Either way the objects are written as one pack ([`pack`]), and the
/// index and the branch refer to them only after.
pub(crate) fn init_and_commit(dir: &Path, message: &str, files: &[(&str, Option<&[u8]>)]) -> Result<String, GitError> {
    let branch = git2::Config::open_default()
        .ok()
        .and_then(|c| c.get_string("init.defaultBranch").ok())
        .unwrap_or_else(|| "main".to_string());
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head(&branch);
    settings();
    let repo = ctx("initialise a repository", dir, git2::Repository::init_opts(dir, &opts))?;
    ctx("initialise a repository", dir, pack::keep_in_memory(&repo))?;
    let trusts_modes = repo.config().and_then(|c| c.get_bool("core.filemode")).unwrap_or(true);
    let odb = ctx("initialise a repository", dir, repo.odb())?;
    let staging = pack::Staging::new();
    let mut index = ctx("stage the files", dir, repo.index())?;
    // Every staged file's entry, for the tree; those staged here go into the index only once
    // their objects are on disk (libgit2 adds the others itself).
    let mut entries = Vec::with_capacity(files.len());
    let mut staged_here = Vec::with_capacity(files.len());
    for &(path, bytes) in files {
        // Files the template's own .gitignore ignores stay out, as `git add` would leave them.
        if repo.is_path_ignored(Path::new(path)).unwrap_or(false) {
            continue;
        }
        let stored_as_written = bytes.filter(|b| {
            trusts_modes && memchr::memchr(b'\r', b).is_none() && memchr::memmem::find(b, b"$Id").is_none()
        });
        let entry = match stored_as_written.map(|b| (b, crate::fs::lstat(&dir.join(path)))) {
            Some((bytes, Ok(meta))) if meta.is_file() => {
                let id = ctx("stage the files", dir, staging.blob(bytes))?;
                staged_here.push(entries.len());
                stat_entry(path, id, &meta)
            }
            _ => {
                ctx("stage the files", dir, index.add_path(Path::new(path)))?;
                let entry = index.get_path(Path::new(path), 0);
                let entry = entry.ok_or_else(|| GitError {
                    op: "stage the files",
                    path: dir.join(path),
                    cause: git2::Error::from_str("not in the index after adding it"),
                })?;
                let object = ctx("stage the files", dir, odb.read(entry.id))?;
                ctx("stage the files", dir, staging.adopt(&object))?;
                entry
            }
        };
        entries.push(entry);
    }
    let changes: Vec<pack::PathChange<'_>> =
        entries.iter().map(|e| (e.path.as_slice(), Some((e.mode, e.id)))).collect();
    let tree_id = match ctx("write the tree", dir, staging.tree(&repo, None, &changes))? {
        Some(id) => id,
        None => ctx("write the tree", dir, staging.tree_of_nothing())?,
    };
    let (author, committer) = ctx("make the commit (author identity)", dir, signatures(&repo))?;
    let id = ctx("make the first commit", dir, staging.commit(tree_id, None, &author, &committer, message))?;
    ctx("write the first commit", dir, staging.write_pack(&repo))?;
    for &i in &staged_here {
        ctx("stage the files", dir, index.add(&entries[i]))?;
    }
    ctx("stage the files", dir, index.write())?;
    // HEAD names the branch (`init.defaultBranch`, or a full ref name), which starts here.
    let head = ctx("make the first commit", dir, repo.find_reference("HEAD"))?;
    let branch = head.symbolic_target().ok().flatten().map_or_else(|| format!("refs/heads/{branch}"), str::to_string);
    let subject = message.lines().next().unwrap_or_default();
    let log = format!("commit (initial): {subject}");
    ctx("make the first commit", dir, repo.reference(&branch, id, false, &log))?;
    Ok(id.to_string())
}

/// The index entry `git add` makes for the regular file at `path`, whose blob is `id`: the
/// times, device, inode, owner and size `lstat` gave, and the mode git stores (0755 when the
/// owner may execute it, else 0644).
#[cfg(unix)]
fn stat_entry(path: &str, id: git2::Oid, meta: &std::fs::Metadata) -> git2::IndexEntry {
    use std::os::unix::fs::MetadataExt;
    // git keeps the low 32 bits of each, as libgit2 does.
    let low32 = |v: u64| u32::try_from(v & 0xffff_ffff).unwrap_or(0);
    let time = |secs: i64, nanos: i64| {
        git2::IndexTime::new(low32(secs.cast_unsigned()).cast_signed(), low32(nanos.cast_unsigned()))
    };
    let mut entry = index_entry(path, id, if meta.mode() & 0o100 == 0 { 0o100_644 } else { 0o100_755 }, 0, 0);
    entry.ctime = time(meta.ctime(), meta.ctime_nsec());
    entry.mtime = time(meta.mtime(), meta.mtime_nsec());
    entry.dev = low32(meta.dev());
    entry.ino = low32(meta.ino());
    entry.uid = meta.uid();
    entry.gid = meta.gid();
    entry.file_size = low32(meta.size());
    entry
}

/// Without unix's `lstat` fields, an entry with the size and mode only: git compares the file's
/// content the first time it looks.
#[cfg(not(unix))]
fn stat_entry(path: &str, id: git2::Oid, meta: &std::fs::Metadata) -> git2::IndexEntry {
    index_entry(path, id, 0o100_644, usize::try_from(meta.len()).unwrap_or(usize::MAX), 0)
}

/// What a remote connection needs from pave: the token for http(s) remotes (`PAVE_GIT_TOKEN`,
/// user `x-access-token`), which [`http`] offers unless the URL holds a user and password. ssh
/// remotes sign in as the user's `ssh` does ([`ssh`]). Never a credential helper: they are
/// programs, and pave runs none.
fn callbacks(auth: &Auth) -> git2::RemoteCallbacks<'static> {
    http::use_token(auth.token.as_deref());
    git2::RemoteCallbacks::new()
}

/// An index entry for a blob at `path` (stage 0, or 1–3 for a conflict's base, ours, theirs).
fn index_entry(path: &str, id: git2::Oid, mode: u32, size: usize, stage: u16) -> git2::IndexEntry {
    let name_len = u16::try_from(path.len().min(0xfff)).unwrap_or(0xfff);
    git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(size).unwrap_or(u32::MAX),
        id,
        flags: (stage << 12) | name_len,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// git's blob id of some bytes (what `git hash-object` prints), for patch index lines.
pub(crate) fn blob_id(bytes: &[u8]) -> Option<String> {
    git2::Oid::hash_object(git2::ObjectType::Blob, bytes).ok().map(|id| id.to_string())
}

/// Whether `name` is a valid local branch name (`git check-ref-format --branch`).
pub(crate) fn is_valid_branch_name(name: &str) -> bool {
    !name.starts_with('-') && !name.starts_with("refs/") && git2::Branch::name_is_valid(name).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_explained_and_no_colon_dangles() {
        let cause = git2::Error::new(
            git2::ErrorCode::Locked,
            git2::ErrorClass::Os,
            "failed to lock file '/r/.git/refs/heads/pave/x.lock' for writing: ",
        );
        let e = GitError { op: "move the branch", path: PathBuf::from("/r"), cause };
        assert_eq!(
            e.to_string(),
            "git: could not move the branch in `/r`: failed to lock file '/r/.git/refs/heads/pave/x.lock' for writing \
             (another git process is writing it: run again once it has finished, or delete the .lock file if none is running)"
        );
        let cause = git2::Error::new(git2::ErrorCode::GenericError, git2::ErrorClass::Odb, "object not found");
        let e = GitError { op: "read", path: PathBuf::from("/r"), cause };
        assert_eq!(e.to_string(), "git: could not read in `/r`: object not found");
    }
}
