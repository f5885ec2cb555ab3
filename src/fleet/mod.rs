//! The fleet: finding projects under roots or in a list, shards, and grouping them by
//! repository. Where each stands is [`status`]; upgrading each is [`upgrade`]; where one release
//! stands across the fleet is [`rollout`].

mod branch;
pub(crate) mod dates;
pub(crate) mod history;
pub(crate) mod history_remote;
mod html;
pub(crate) mod memo;
pub(crate) mod org;
mod owners;
mod pr_body;
pub(crate) mod pulls;
mod report;
pub(crate) mod rollout;
pub(crate) mod rollout_gather;
pub(crate) mod rollout_html;
pub(crate) mod scorecard;
pub(crate) mod scorecard_html;
pub(crate) mod status;
pub(crate) mod upgrade;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::project::FILE_NAME;

pub(crate) use html::page;

/// Directories never searched for projects.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// A project found in the fleet: where it is, and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    /// Its directory.
    pub dir: PathBuf,
    /// Its path as shown and hashed for shards: relative to the root it was found under.
    pub name: String,
}

/// Walks the roots for `.pave.toml`; several projects in one repository are found separately.
pub(crate) fn discover(roots: &[PathBuf]) -> Vec<Project> {
    let mut out = Vec::new();
    for root in roots {
        // Canonical, so `.` and `~/fleet` name (and shard) the same projects the same way.
        let root = &crate::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
        let base = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for file in crate::fs::find_files_named(root, FILE_NAME, SKIP_DIRS) {
            let dir = file.parent().unwrap_or(root).to_path_buf();
            let rel = dir.strip_prefix(root).unwrap_or(&dir).to_string_lossy().replace('\\', "/");
            let name = match (base.is_empty(), rel.is_empty()) {
                (true, true) => ".".into(),
                (false, true) => base.clone(),
                (true, false) => rel,
                (false, false) => format!("{base}/{rel}"),
            };
            out.push(Project { dir, name });
        }
    }
    out
}

/// A remote repository listed by `--repos-from`: its URL, and the branch to upgrade from.
pub(crate) type RemoteLine = (String, Option<String>);

/// Reads `--repos-from`: one entry per line (`#` comments and blank lines skipped), a project
/// directory, or a git URL (https, ssh, file) optionally followed by a branch name.
pub(crate) fn from_list(text: &str) -> (Vec<Project>, Vec<RemoteLine>) {
    let (mut locals, mut remotes) = (Vec::new(), Vec::new());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or(line);
        if crate::url::is_remote(first) {
            remotes.push((first.to_string(), words.next().map(str::to_string)));
        } else {
            let dir = crate::fs::canonicalize(Path::new(line)).unwrap_or_else(|_| PathBuf::from(line));
            // A repository's root that is not itself a project (a monorepo): its projects.
            if crate::fs::is_dir(&dir) && crate::fs::entry_kind(&dir.join(FILE_NAME)).ok().flatten().is_none() {
                locals.extend(discover(std::slice::from_ref(&dir)));
                continue;
            }
            locals.push(Project { dir, name: line.trim_end_matches('/').to_string() });
        }
    }
    (locals, remotes)
}

/// `--shard I/N`: the I-th of N stable shares of a fleet (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    /// Which share, 1..=count.
    pub index: u64,
    /// How many shares.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not I/N with 1 <= I <= N (for example 2/8)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl Shard {
    /// Whether a project belongs to this shard: a stable hash of the name of its repository's
    /// directory, so N machines together cover the fleet exactly once, whatever order they find
    /// it in and however the fleet is listed (walked roots or `--repos-from`, even before the
    /// repositories are cloned), and the projects of one repository (a monorepo) stay together.
    pub(crate) fn contains(self, project: &Project) -> bool {
        self.contains_key(&shard_key(project))
    }

    /// Whether the repository named `key` belongs to this shard.
    pub(crate) fn contains_key(self, key: &str) -> bool {
        let digest = Sha256::digest(key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index - 1
    }
}

/// The name shards hash for a project: its repository directory's name (what a remote's URL
/// ends in, without `.git`).
pub(crate) fn shard_key(project: &Project) -> String {
    let repo = repo_key(&project.dir);
    repo.file_name().map_or_else(|| project.name.clone(), |n| n.to_string_lossy().into_owned())
}

/// The repository a project belongs to: the nearest directory with a `.git` entry. Projects of
/// one repository are upgraded one after the other, onto the same branch.
pub(crate) fn repo_key(dir: &Path) -> PathBuf {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if crate::fs::entry_kind(&d.join(".git")).ok().flatten().is_some() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    dir.to_path_buf()
}

/// Groups projects by repository, keeping the discovery order inside each group.
pub(crate) fn group_by_repo(projects: Vec<Project>) -> Vec<Vec<Project>> {
    // An index by repository keeps this linear for very large fleets.
    let mut index: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut groups: Vec<Vec<Project>> = Vec::new();
    for p in projects {
        let key = repo_key(&p.dir);
        if let Some(&i) = index.get(&key) {
            groups[i].push(p);
        } else {
            index.insert(key, groups.len());
            groups.push(vec![p]);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_fleet() {
        let projects: Vec<Project> =
            (0..200).map(|i| Project { dir: PathBuf::from(format!("r/{i}")), name: format!("svc-{i}") }).collect();
        for count in 1..=7 {
            let mut seen = vec![0; projects.len()];
            for index in 1..=count {
                for (k, p) in projects.iter().enumerate() {
                    if (Shard { index, count }).contains(p) {
                        seen[k] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|c| *c == 1), "count={count}");
        }
    }

    #[test]
    fn shard_syntax() {
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert!("x/3".parse::<Shard>().is_err());
        assert_eq!("2/3".parse::<Shard>().ok(), Some(Shard { index: 2, count: 3 }));
    }
}
