//! The history of a few files on a repository's checked-out branch: first-parent, reading a
//! file's content only in the commits where its blob id changed, following a file moved to
//! another directory, and saying where a shallow clone cuts the history and when the branch was
//! rewritten (a move in its reflog that is not a fast-forward).

use std::path::Path;

use super::GitError;

/// One file's content from one commit on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileVersion {
    /// The commit that changed the file (or the oldest one reached).
    pub commit: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The committer's offset from UTC, in minutes.
    pub offset_minutes: i32,
    /// The repository-relative path the file had in that commit.
    pub path: String,
    /// Its text (lossy UTF-8), `None` when the file was removed in that commit.
    pub text: Option<String>,
    /// Where the file was before, when this commit moved it from another path.
    pub moved_from: Option<String>,
}

/// A non-fast-forward move of the branch, from its reflog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewrite {
    /// When the branch was moved (seconds since the epoch).
    pub time: i64,
    /// The offset of that time, in minutes.
    pub offset_minutes: i32,
    /// The commit the branch was on.
    pub old: String,
    /// The commit it was moved to, which does not contain the old one.
    pub new: String,
    /// The reflog's message (`reset: moving to ...`, `rebase (finish) ...`).
    pub message: String,
}

/// What the walk found for each file asked about.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileHistories {
    /// The branch walked (`main`), or `HEAD` when detached.
    pub branch: String,
    /// Per file asked for (in the same order): its versions, oldest first.
    pub files: Vec<Vec<FileVersion>>,
    /// The oldest commit reached, when the clone is shallow: (time, offset), "history cut here".
    pub cut: Option<(i64, i32)>,
    /// That oldest commit's id, when the clone is shallow.
    pub cut_commit: Option<String>,
    /// Non-fast-forward moves of the branch.
    pub rewrites: Vec<Rewrite>,
    /// Commits walked.
    pub commits: usize,
}

/// A file's state in one commit of the walk.
#[derive(Clone)]
struct Seen {
    commit: git2::Oid,
    time: i64,
    offset: i32,
    blob: Option<git2::Oid>,
    path: String,
}

/// One file followed through the walk: the path it has now, its state in the newer commit, and
/// the changes found (newest first) with the path each was moved from.
struct Track {
    path: String,
    newer: Option<Seen>,
    found: Vec<(Seen, Option<String>)>,
}

fn gerr<'a>(op: &'static str, dir: &'a Path) -> impl Fn(git2::Error) -> GitError + 'a {
    move |cause| GitError { op, path: dir.to_path_buf(), cause }
}

/// Whether `path` names a `.pave.toml`-like file of the same name as `name` (any directory).
fn same_file_name(path: &str, name: &str) -> bool {
    path == name || path.ends_with(&format!("/{name}"))
}

/// Walks the first-parent history of the checked-out branch of the repository at `dir` for the
/// repository-relative `paths`. Reads a blob only where its id differs from the newer commit's.
pub(crate) fn file_histories(dir: &Path, paths: &[String]) -> Result<FileHistories, GitError> {
    walk(dir, None, paths)
}

/// [`file_histories`] in a mirror (a bare repository): the remote's `branch` as last fetched.
pub(crate) fn mirror_file_histories(dir: &Path, branch: &str, paths: &[String]) -> Result<FileHistories, GitError> {
    walk(dir, Some(branch), paths)
}

fn walk(dir: &Path, mirrored: Option<&str>, paths: &[String]) -> Result<FileHistories, GitError> {
    super::settings();
    let repo = git2::Repository::open(dir).map_err(gerr("open the repository", dir))?;
    let head = match mirrored {
        Some(b) => repo.find_reference(&format!("{}{b}", super::TRACKING)).map_err(gerr("read the branch", dir))?,
        None => repo.head().map_err(gerr("read HEAD", dir))?,
    };
    let branch = mirrored.map_or_else(|| head.shorthand().unwrap_or("HEAD").to_string(), str::to_string);
    let ref_name = head.name().map(str::to_string);
    let tip = head.peel_to_commit().map_err(gerr("read HEAD's commit", dir))?;

    let mut tracks: Vec<Track> =
        paths.iter().map(|p| Track { path: p.clone(), newer: None, found: Vec::new() }).collect();
    let mut commits = 0;
    let mut oldest: Option<(i64, i32, git2::Oid)> = None;
    let mut newer_tree: Option<git2::Tree<'_>> = None;
    // First parents, by hand: a revision walk would keep a queue of every commit for nothing.
    let mut next = Some(tip);
    while let Some(commit) = next.take() {
        let id = commit.id();
        let tree = commit.tree().map_err(gerr("read a tree", dir))?;
        let when = commit.committer().when();
        let (time, offset) = (when.seconds(), when.offset_minutes());
        commits += 1;
        oldest = Some((time, offset, id));
        for t in &mut tracks {
            let mut blob = tree.get_path(Path::new(&t.path)).ok().map(|e| e.id());
            if let Some(newer_seen) = t.newer.clone()
                && blob != newer_seen.blob
            {
                let mut moved_from = None;
                // Absent here, present in the newer commit: created there, or moved from another
                // directory (a `.pave.toml` that the newer commit removed).
                if blob.is_none()
                    && newer_seen.blob.is_some()
                    && let Some(newer) = &newer_tree
                    && let Some(from) = removed_twin(&repo, &tree, newer, &newer_seen.path)
                {
                    blob = tree.get_path(Path::new(&from)).ok().map(|e| e.id());
                    moved_from = Some(from.clone());
                    t.path = from;
                }
                if blob != newer_seen.blob || moved_from.is_some() {
                    t.found.push((newer_seen, moved_from));
                }
            }
            t.newer = Some(Seen { commit: id, time, offset, blob, path: t.path.clone() });
        }
        newer_tree = Some(tree);
        // A shallow boundary (or a missing object) has no parent to read: the walk ends there.
        next = commit.parent(0).ok();
    }
    let shallow = repo.is_shallow();
    let mut files = Vec::with_capacity(tracks.len());
    for mut t in tracks {
        // The oldest commit reached: its state is where the record starts (or is cut).
        if let Some(oldest_seen) = t.newer.take()
            && oldest_seen.blob.is_some()
        {
            t.found.push((oldest_seen, None));
        }
        let mut versions = Vec::with_capacity(t.found.len());
        for (seen, moved_from) in t.found.into_iter().rev() {
            let Seen { commit: cid, time, offset, blob, path } = seen;
            let text = match blob {
                Some(b) => {
                    let blob = repo.find_blob(b).map_err(gerr("read a blob", dir))?;
                    Some(String::from_utf8_lossy(blob.content()).into_owned())
                }
                None => None,
            };
            versions.push(FileVersion {
                commit: cid.to_string(),
                time,
                offset_minutes: offset,
                path,
                text,
                moved_from,
            });
        }
        files.push(versions);
    }
    let rewrites = ref_name.map(|name| rewrites(&repo, &name)).unwrap_or_default();
    let oldest = oldest.filter(|_| shallow);
    Ok(FileHistories {
        branch,
        files,
        cut: oldest.map(|(t, o, _)| (t, o)),
        cut_commit: oldest.map(|(_, _, id)| id.to_string()),
        rewrites,
        commits,
    })
}

/// A file named like `path` that `older` has and `newer` removed: where `path` was moved from.
/// Diffs the two trees only under the pathspec of that file name, and only at a creation.
fn removed_twin(repo: &git2::Repository, older: &git2::Tree<'_>, newer: &git2::Tree<'_>, path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut opts = git2::DiffOptions::new();
    opts.pathspec(format!("*{name}"));
    let diff = repo.diff_tree_to_tree(Some(older), Some(newer), Some(&mut opts)).ok()?;
    diff.deltas()
        .filter(|d| d.status() == git2::Delta::Deleted)
        .filter_map(|d| d.old_file().path().map(|p| p.to_string_lossy().replace('\\', "/")))
        .find(|p| same_file_name(p, name) && p != path)
}

/// The moves of `ref_name` in its reflog that were not fast-forwards.
fn rewrites(repo: &git2::Repository, ref_name: &str) -> Vec<Rewrite> {
    let Ok(log) = repo.reflog(ref_name) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in log.iter() {
        let (old, new) = (entry.id_old(), entry.id_new());
        if old.is_zero() || new.is_zero() || old == new {
            continue;
        }
        // An old commit that is gone (garbage-collected) cannot be checked: not reported.
        if repo.find_commit(old).is_err() {
            continue;
        }
        if repo.graph_descendant_of(new, old).unwrap_or(true) {
            continue;
        }
        let when = entry.committer().when();
        out.push(Rewrite {
            time: when.seconds(),
            offset_minutes: when.offset_minutes(),
            old: old.to_string(),
            new: new.to_string(),
            message: entry.message_bytes().map(|m| String::from_utf8_lossy(m).into_owned()).unwrap_or_default(),
        });
    }
    out.reverse(); // the reflog lists the newest first
    out
}

/// When `rel` first appeared in the checked-out branch's history of the repository at `dir`
/// (seconds, offset), and whether that history is cut (a shallow clone): the release date of a
/// template version of a git catalog that has no `released` field.
pub(crate) fn first_added(dir: &Path, rel: &str) -> Option<((i64, i32), bool)> {
    super::settings();
    let repo = git2::Repository::discover(dir).ok()?;
    let top = crate::fs::canonicalize(repo.workdir()?).ok()?;
    let inner = crate::fs::canonicalize(dir).ok()?;
    let prefix = inner.strip_prefix(&top).ok()?.to_string_lossy().replace('\\', "/");
    let full = if prefix.is_empty() { rel.to_string() } else { format!("{prefix}/{rel}") };
    let h = file_histories(&top, &[full]).ok()?;
    let first = h.files.first()?.first()?;
    Some(((first.time, first.offset_minutes), h.cut.is_some()))
}
