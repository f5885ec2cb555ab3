//! A work tree's branches read from their files, without opening the repository: for the
//! fleet's re-run, which only needs to know that nothing moved (docs/decisions.md, "An unchanged
//! repository is recognised from its refs and what pave already knows"). Anything this does not
//! read with certainty (a `.git` file, a repository owned by someone else, an operation in
//! progress, a symbolic branch, a reftable) is `None`, and the caller opens the repository with
//! libgit2 as usual.

use std::path::{Path, PathBuf};

/// What git leaves in the git directory while an operation is in progress, or while another
/// git process holds the index (libgit2's `git_repository_state` looks for the same, and
/// `ProjectRepo::precheck` refuses them).
const BUSY: [&str; 7] =
    ["rebase-merge", "rebase-apply", "MERGE_HEAD", "REVERT_HEAD", "CHERRY_PICK_HEAD", "BISECT_LOG", "index.lock"];

/// A work tree whose git directory is its `.git` directory, idle, and owned by the user running
/// pave (libgit2 refuses others unless `safe.directory` says otherwise; those take the long way).
pub(crate) struct LooseRefs {
    git_dir: PathBuf,
    /// `packed-refs`, read when a branch has no file of its own.
    packed: std::cell::OnceCell<Option<String>>,
}

impl LooseRefs {
    /// The work tree at `top`, when it qualifies.
    #[cfg(unix)]
    pub(crate) fn open(top: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let git_dir = top.join(".git");
        let me = rustix::process::geteuid().as_raw();
        for dir in [top, git_dir.as_path()] {
            let meta = std::fs::symlink_metadata(dir).ok()?;
            if !meta.is_dir() || meta.uid() != me {
                return None;
            }
        }
        // A linked work tree's or a submodule's git directory says where the rest is. Only a
        // certain absence counts: a name that cannot be looked up takes the long way too.
        let absent = |name: &&str| matches!(std::fs::symlink_metadata(git_dir.join(name)), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
        if !["commondir", "gitdir"].iter().chain(&BUSY).all(absent) {
            return None;
        }
        Some(Self { git_dir, packed: std::cell::OnceCell::new() })
    }

    /// Not on this platform: always the long way.
    #[cfg(not(unix))]
    pub(crate) fn open(_top: &Path) -> Option<Self> {
        None
    }

    /// The checked-out branch's name and commit.
    pub(crate) fn head(&self) -> Option<(String, String)> {
        let text = std::fs::read_to_string(self.git_dir.join("HEAD")).ok()?;
        let name = text.strip_suffix('\n')?.strip_prefix("ref: refs/heads/")?;
        Some((name.to_string(), self.branch(name)?))
    }

    /// The commit the branch `name` (without `refs/heads/`) points to.
    pub(crate) fn branch(&self, name: &str) -> Option<String> {
        let full = format!("refs/heads/{name}");
        if !git2::Reference::is_valid_name(&full) {
            return None;
        }
        match std::fs::read_to_string(self.git_dir.join(&full)) {
            Ok(text) => object_id(text.strip_suffix('\n')?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let packed = self.packed.get_or_init(|| std::fs::read_to_string(self.git_dir.join("packed-refs")).ok());
                let line = packed.as_deref()?.lines().find(|l| l.split_once(' ').is_some_and(|(_, n)| n == full))?;
                object_id(line.split_once(' ')?.0)
            }
            Err(_) => None,
        }
    }
}

/// `text` when it is a full object id (SHA-1: 40 lowercase hex digits).
fn object_id(text: &str) -> Option<String> {
    (text.len() == 40 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| text.to_string())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn reads_loose_and_packed_branches_and_refuses_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path();
        let repo = git2::Repository::init(top).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let first = repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[]).unwrap();
        repo.branch("pave/app-2.0.0", &repo.find_commit(first).unwrap(), false).unwrap();
        let head_name = repo.head().unwrap().shorthand().unwrap().to_string();

        let refs = LooseRefs::open(top).unwrap();
        assert_eq!(refs.head(), Some((head_name.clone(), first.to_string())));
        assert_eq!(refs.branch("pave/app-2.0.0"), Some(first.to_string()));
        assert_eq!(refs.branch("pave/app-3.0.0"), None);
        assert_eq!(refs.branch("../config"), None, "not a branch name");

        // A branch only in packed-refs.
        let id = "0123456789abcdef0123456789abcdef01234567";
        std::fs::write(top.join(".git/packed-refs"), format!("# pack-refs with: peeled\n{id} refs/heads/packed\n"))
            .unwrap();
        assert_eq!(LooseRefs::open(top).unwrap().branch("packed"), Some(id.to_string()));

        // Detached: no branch.
        std::fs::write(top.join(".git/HEAD"), format!("{first}\n")).unwrap();
        assert_eq!(LooseRefs::open(top).unwrap().head(), None);
        std::fs::write(top.join(".git/HEAD"), format!("ref: refs/heads/{head_name}\n")).unwrap();

        // Busy: a merge in progress, a held index.
        for busy in ["MERGE_HEAD", "index.lock"] {
            std::fs::write(top.join(".git").join(busy), "x").unwrap();
            assert!(LooseRefs::open(top).is_none(), "{busy}");
            std::fs::remove_file(top.join(".git").join(busy)).unwrap();
        }
        std::fs::create_dir(top.join(".git/rebase-merge")).unwrap();
        assert!(LooseRefs::open(top).is_none(), "a rebase");
        std::fs::remove_dir(top.join(".git/rebase-merge")).unwrap();
        assert!(LooseRefs::open(top).is_some());

        // A `.git` file (a linked work tree, a submodule).
        let other = tmp.path().join("elsewhere");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join(".git"), "gitdir: ../.git\n").unwrap();
        assert!(LooseRefs::open(&other).is_none());
    }
}
