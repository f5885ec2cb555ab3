//! New objects written as one pack file instead of one loose file each.
//!
//! libgit2 writes every new object as its own zlib file under `objects/XX/`, creating the
//! directory first: a fleet upgrade's ~30 objects cost ~30 `mkdir`s, temporary files, links and
//! unlinks, and a `deflateInit` each. A [`Staging`] collects the objects of one commit instead
//! (a fleet branch's, or `pave new`'s first): pave formats and hashes the blobs, the changed
//! trees and the commit itself and adds each to a [`PackWriter`] as it is made. A blob that
//! libgit2 must make, for a file git filters on the way in (line endings, `ident`), is made in a
//! mempack ([`keep_in_memory`]) and adopted from there.
//!
//! The pack and its index are renamed into `objects/pack/` before anything refers to
//! them: the pack first, its index last, as git does. libgit2's own pack writer
//! (`git_mempack_dump`) searches for deltas and indexes the pack again by inflating it; the few
//! objects of one commit rarely delta against each other, and each object's id, offset and
//! checksum are known here as it is written.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use flate2::{Compress, Compression, FlushCompress, Status};
use sha1::{Digest, Sha1};

/// The objects of one new commit, written as one pack by [`Staging::write_pack`]: its blobs,
/// the trees on the paths that changed and the commit itself, each formatted and hashed here as
/// git formats them and added to the pack as it is made. Nothing goes through libgit2's object
/// database, which looks for every object it writes among all the packs of the repository and
/// reads the pack directory again after each miss.
pub(super) struct Staging {
    pack: std::cell::RefCell<PackWriter>,
}

/// One change to a tree: a path under it and its new mode and blob, `None` to remove it.
pub(super) type PathChange<'a> = (&'a [u8], Option<(u32, git2::Oid)>);

impl Staging {
    pub(super) fn new() -> Self {
        Self { pack: std::cell::RefCell::new(PackWriter::new()) }
    }

    /// Adds a blob to the pack and returns its id (hashed here, without libgit2's
    /// collision-detecting SHA-1: the bytes are pave's own, not received from elsewhere).
    pub(super) fn blob(&self, bytes: &[u8]) -> Result<git2::Oid, git2::Error> {
        self.add(git2::ObjectType::Blob, bytes)
    }

    fn add(&self, kind: git2::ObjectType, bytes: &[u8]) -> Result<git2::Oid, git2::Error> {
        let id = object_id(kind, bytes)?;
        self.pack.borrow_mut().add(id, kind, bytes)?;
        Ok(id)
    }

    /// Adds an object libgit2 made (and hashed) to the pack.
    pub(super) fn adopt(&self, object: &git2::OdbObject<'_>) -> Result<(), git2::Error> {
        self.pack.borrow_mut().add(object.id(), object.kind(), object.data())
    }

    /// The tree `base` (of `repo`) with `changes` applied, its changed subtrees added to the
    /// pack; `None` when nothing is left in it. Directories left empty disappear, as in git.
    pub(super) fn tree(
        &self,
        repo: &git2::Repository,
        base: Option<&git2::Tree<'_>>,
        changes: &[PathChange<'_>],
    ) -> Result<Option<git2::Oid>, git2::Error> {
        const TREE: u32 = 0o040_000;
        let mut entries: std::collections::BTreeMap<Vec<u8>, (u32, git2::Oid)> = base
            .map(|t| t.iter().map(|e| (e.name_bytes().to_vec(), (e.filemode().cast_unsigned(), e.id()))).collect())
            .unwrap_or_default();
        let mut below: std::collections::BTreeMap<&[u8], Vec<PathChange<'_>>> = std::collections::BTreeMap::new();
        for (path, change) in changes {
            match path.iter().position(|b| *b == b'/') {
                None => match change {
                    Some(entry) => {
                        entries.insert(path.to_vec(), *entry);
                    }
                    None => {
                        entries.remove(*path);
                    }
                },
                Some(slash) => below.entry(&path[..slash]).or_default().push((&path[slash + 1..], *change)),
            }
        }
        for (name, changes) in below {
            let sub = match entries.get(name) {
                Some((TREE, id)) => Some(repo.find_tree(*id)?),
                _ => None,
            };
            match self.tree(repo, sub.as_ref(), &changes)? {
                Some(id) => entries.insert(name.to_vec(), (TREE, id)),
                None => entries.remove(name),
            };
        }
        if entries.is_empty() {
            return Ok(None);
        }
        // git's order: by name, a directory's name as if it ended in `/`.
        let mut sorted: Vec<_> = entries.into_iter().collect();
        sorted.sort_by(|(a, (am, _)), (b, (bm, _))| tree_order(a, *am).cmp(tree_order(b, *bm)));
        let mut bytes = Vec::with_capacity(sorted.len() * 48);
        for (name, (mode, id)) in &sorted {
            bytes.extend_from_slice(format!("{mode:o} ").as_bytes());
            bytes.extend_from_slice(name);
            bytes.push(0);
            bytes.extend_from_slice(id.as_bytes());
        }
        let id = object_id(git2::ObjectType::Tree, &bytes)?;
        // A directory whose changes left it as it was is not written again.
        if base.is_none_or(|b| b.id() != id) {
            self.pack.borrow_mut().add(id, git2::ObjectType::Tree, &bytes)?;
        }
        Ok(Some(id))
    }

    /// The empty tree, added to the pack (a commit whose every file was removed).
    pub(super) fn tree_of_nothing(&self) -> Result<git2::Oid, git2::Error> {
        self.add(git2::ObjectType::Tree, b"")
    }

    /// Adds the commit of `tree` on `parent` (none: a first commit), formatted as git and
    /// libgit2 write a commit (no encoding header: the message is UTF-8), and returns its id.
    pub(super) fn commit(
        &self,
        tree: git2::Oid,
        parent: Option<git2::Oid>,
        author: &git2::Signature<'_>,
        committer: &git2::Signature<'_>,
        message: &str,
    ) -> Result<git2::Oid, git2::Error> {
        let mut text = format!("tree {tree}\n").into_bytes();
        if let Some(parent) = parent {
            text.extend_from_slice(format!("parent {parent}\n").as_bytes());
        }
        for (role, who) in [("author", author), ("committer", committer)] {
            let when = who.when();
            let offset = when.offset_minutes().abs();
            text.extend_from_slice(role.as_bytes());
            text.push(b' ');
            text.extend_from_slice(who.name_bytes());
            text.extend_from_slice(b" <");
            text.extend_from_slice(who.email_bytes());
            let stamp = format!("> {} {}{:02}{:02}\n", when.seconds(), when.sign(), offset / 60, offset % 60);
            text.extend_from_slice(stamp.as_bytes());
        }
        text.push(b'\n');
        text.extend_from_slice(message.as_bytes());
        self.add(git2::ObjectType::Commit, &text)
    }

    /// Writes what was added here into `target`'s object database, as one pack.
    pub(super) fn write_pack(&self, target: &git2::Repository) -> Result<(), git2::Error> {
        self.pack.replace(PackWriter::new()).publish(target)
    }
}

/// A tree entry's name as git orders entries: a directory's (`mode` 040000) as if it ended in `/`.
fn tree_order(name: &[u8], mode: u32) -> impl Iterator<Item = &u8> {
    name.iter().chain(if mode == 0o040_000 { b"/".iter() } else { [].iter() })
}

/// Keeps every object written to `repo` from here on in memory, for a [`Staging`] to
/// [`adopt`](Staging::adopt) into its pack: only for a handle dropped once that is done (a
/// repository pave has just made).
pub(super) fn keep_in_memory(repo: &git2::Repository) -> Result<(), git2::Error> {
    super::settings();
    repo.odb()?.add_new_mempack_backend(1000).map(drop)
}

/// An object's id: the SHA-1 of its kind, size and bytes.
fn object_id(kind: git2::ObjectType, bytes: &[u8]) -> Result<git2::Oid, git2::Error> {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", bytes.len()));
    h.update(bytes);
    git2::Oid::from_bytes(&h.finalize())
}

/// Where `repo`'s objects are: the common directory's, for a linked work tree too.
fn objects_dir(repo: &git2::Repository) -> std::path::PathBuf {
    repo.commondir().join("objects")
}

/// One object's place in a pack.
struct Entry {
    id: git2::Oid,
    offset: u64,
    crc: u32,
}

/// A version 2 pack of whole (undeltified) objects, built in memory.
struct PackWriter {
    pack: Vec<u8>,
    entries: Vec<Entry>,
    added: HashSet<git2::Oid>,
}

thread_local! {
    /// A thread's compressor, reset for each object: its state is a few hundred kilobytes that
    /// would otherwise be allocated and cleared for every object (a fleet writes thousands).
    /// The fastest level, as libgit2's loose objects use: these packs are small, and `git gc`
    /// or a push packs their objects again.
    static ZLIB: std::cell::RefCell<Compress> = std::cell::RefCell::new(Compress::new(Compression::fast(), true));
}

impl PackWriter {
    fn new() -> Self {
        let mut pack = Vec::new();
        // Signature, version, and the object count, filled in by `finish`.
        pack.extend_from_slice(b"PACK\0\0\0\x02\0\0\0\0");
        Self { pack, entries: Vec::new(), added: HashSet::new() }
    }

    /// Appends an object (its id is the caller's, as libgit2 computed it), once: a pack holds
    /// each object at most once.
    fn add(&mut self, id: git2::Oid, kind: git2::ObjectType, data: &[u8]) -> Result<(), git2::Error> {
        if !self.added.insert(id) {
            return Ok(());
        }
        let code: u8 = match kind {
            git2::ObjectType::Commit => 1,
            git2::ObjectType::Tree => 2,
            git2::ObjectType::Blob => 3,
            git2::ObjectType::Tag => 4,
            other @ git2::ObjectType::Any => {
                return Err(git2::Error::from_str(&format!("cannot pack an object of kind {other}")));
            }
        };
        let start = self.pack.len();
        // The header: the kind and the size, four bits of it in the first byte, then seven a byte.
        let mut size = data.len() as u64;
        let mut byte = (code << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            self.pack.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.pack.push(byte);
        ZLIB.with_borrow_mut(|zlib| {
            zlib.reset();
            loop {
                let read = usize::try_from(zlib.total_in()).unwrap_or(usize::MAX);
                self.pack.reserve(data.len().saturating_sub(read) / 2 + 64);
                let status = zlib
                    .compress_vec(&data[read..], &mut self.pack, FlushCompress::Finish)
                    .map_err(|e| git2::Error::from_str(&format!("could not compress an object: {e}")))?;
                if status == Status::StreamEnd {
                    return Ok::<(), git2::Error>(());
                }
            }
        })?;
        let crc = crc32fast::hash(&self.pack[start..]);
        self.entries.push(Entry { id, offset: start as u64, crc });
        Ok(())
    }

    /// Writes the pack into `repo`'s object database ([`PackWriter::finish`]) and has libgit2
    /// look at the pack directory again, so this process reads the new objects too.
    fn publish(self, repo: &git2::Repository) -> Result<(), git2::Error> {
        let written = self.finish(&objects_dir(repo).join("pack"));
        written.map_err(|e| git2::Error::from_str(&format!("could not write a pack: {e}")))?;
        repo.odb()?.refresh()
    }

    /// Writes the pack and its index into `dir` (`objects/pack`), named by the pack's checksum
    /// as git names them, the pack first: a pack without its index is invisible to git.
    /// Nothing is written for no objects.
    fn finish(mut self, dir: &Path) -> std::io::Result<()> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let count = u32::try_from(self.entries.len()).map_err(std::io::Error::other)?;
        self.pack[8..12].copy_from_slice(&count.to_be_bytes());
        let checksum: [u8; 20] = Sha1::digest(&self.pack).into();
        self.pack.extend_from_slice(&checksum);

        self.entries.sort_unstable_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
        let index = index(&self.entries, &checksum);

        // A SHA-1 prints as an object id does.
        let name = git2::Oid::from_bytes(&checksum).map_err(std::io::Error::other)?;
        std::fs::create_dir_all(dir)?;
        publish(dir, &format!("pack-{name}.pack"), &self.pack)?;
        publish(dir, &format!("pack-{name}.idx"), &index)
    }
}

/// The version 2 index of a pack's entries (sorted by id).
fn index(entries: &[Entry], pack_checksum: &[u8; 20]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 1024 + entries.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc\0\0\0\x02");
    // The fan-out table: how many ids start with a byte up to each value.
    let mut fanout = [0u32; 256];
    for e in entries {
        fanout[usize::from(e.id.as_bytes()[0])] += 1;
    }
    let mut total = 0u32;
    for n in fanout {
        total += n;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for e in entries {
        out.extend_from_slice(e.id.as_bytes());
    }
    for e in entries {
        out.extend_from_slice(&e.crc.to_be_bytes());
    }
    // Offsets past 2 GiB go in a table of 64-bit offsets that the 32-bit one points into.
    let mut large = Vec::new();
    for e in entries {
        let small = match u32::try_from(e.offset) {
            Ok(o) if o < 0x8000_0000 => o,
            _ => {
                let at = u32::try_from(large.len()).unwrap_or(u32::MAX);
                large.push(e.offset);
                0x8000_0000 | at
            }
        };
        out.extend_from_slice(&small.to_be_bytes());
    }
    for o in large {
        out.extend_from_slice(&o.to_be_bytes());
    }
    out.extend_from_slice(pack_checksum);
    let own: [u8; 20] = Sha1::digest(&out).into();
    out.extend_from_slice(&own);
    out
}

/// Writes `bytes` to `dir/name` through a temporary file renamed into place, readable by all and
/// writable by none, as git leaves its packs (a shared repository's other users read them).
fn publish(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::Builder::new().prefix("tmp_pack_").tempfile_in(dir)?;
    file.write_all(bytes)?;
    let mut perms = file.as_file().metadata()?.permissions();
    #[cfg(unix)]
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o444);
    #[cfg(not(unix))]
    perms.set_readonly(true);
    file.as_file().set_permissions(perms)?;
    file.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    #[test]
    fn git_reads_a_pack_and_its_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q"]);
        let mut pack = PackWriter::new();
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let blobs: [&[u8]; 4] = [b"", b"hello\n", &big, b"hello\n"];
        let mut ids = Vec::new();
        for data in blobs {
            let id = git2::Oid::hash_object(git2::ObjectType::Blob, data).expect("hash");
            pack.add(id, git2::ObjectType::Blob, data).expect("add");
            ids.push(id);
        }
        pack.finish(&dir.path().join(".git/objects/pack")).expect("finish");

        let packs: Vec<_> = std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .expect("pack dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(packs.len(), 2, "one pack and its index: {packs:?}");
        #[cfg(unix)]
        for p in &packs {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(dir.path().join(".git/objects/pack").join(p)).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o444, "{p}");
        }
        let idx = packs.iter().find(|p| Path::new(p).extension().is_some_and(|x| x == "idx")).expect("an index");
        let verified = git(dir.path(), &["verify-pack", "-v", &format!(".git/objects/pack/{idx}")]);
        assert!(verified.contains(": ok"), "{verified}");
        // The same blob added twice is indexed once.
        assert_eq!(verified.lines().filter(|l| l.contains(" blob ")).count(), 3, "{verified}");
        for (id, data) in ids.iter().zip(blobs) {
            let shown = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(["cat-file", "blob", &id.to_string()])
                .output()
                .expect("git runs");
            assert_eq!(shown.stdout, data, "blob {id}");
        }
        git(dir.path(), &["fsck", "--strict"]);
    }

    #[test]
    fn a_staged_commit_lands_in_one_pack_that_git_accepts() {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(dir.path().join("a/b")).expect("dirs");
        std::fs::write(dir.path().join("a/b/one.txt"), "one\n").expect("write");
        std::fs::write(dir.path().join("a/two.txt"), "two\n").expect("write");
        std::fs::write(dir.path().join("three.txt"), "three\n").expect("write");
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "first"]);
        git(dir.path(), &["gc", "-q"]);
        let loose_before = git(dir.path(), &["count-objects"]);

        let repo = git2::Repository::open(dir.path()).expect("open");
        let staging = Staging::new();
        let parent = repo.find_commit(repo.head().expect("head").target().expect("target")).expect("parent");
        let mut changes = Vec::new();
        for (path, data) in [("a/b/one.txt", &b"one, changed\n"[..]), ("a/c/new.txt", b"new\n"), ("a.txt", b"a\n")] {
            let id = staging.blob(data).expect("blob");
            assert_eq!(id, git2::Oid::hash_object(git2::ObjectType::Blob, data).expect("hash"), "libgit2's id");
            changes.push((path.as_bytes(), Some((0o100_644, id))));
        }
        // Removing the last file of a directory removes the directory.
        changes.push((b"a/two.txt".as_slice(), None));
        changes.push((b"gone/never.txt".as_slice(), None));
        let base = parent.tree().expect("tree");
        let tree = staging.tree(&repo, Some(&base), &changes).expect("tree").expect("not empty");
        // East of Greenwich, and west: the offset's sign and minutes as git writes them.
        let author = git2::Signature::new("Ana Ñ", "ana@e", &git2::Time::new(1_700_000_000, 330)).expect("sig");
        let committer = git2::Signature::new("T", "t@e", &git2::Time::new(1_700_000_100, -150)).expect("sig");
        let message = "second\n\nwith a body\n";
        let commit = staging.commit(tree, Some(parent.id()), &author, &committer, message).expect("commit");
        // Nothing of it is on disk yet.
        assert!(repo.find_commit(commit).is_err(), "the commit stays in memory until packed");
        staging.write_pack(&repo).expect("pack");
        // libgit2 formats the same commit to the same bytes, so to the same id.
        let buffer = repo
            .commit_create_buffer(&author, &committer, message, &repo.find_tree(tree).expect("tree"), &[&parent])
            .expect("buffer");
        assert_eq!(commit, git2::Oid::hash_object(git2::ObjectType::Commit, &buffer).expect("hash"));
        repo.reference("refs/heads/next", commit, false, "test").expect("ref");
        assert_eq!(git(dir.path(), &["count-objects"]), loose_before, "no loose object was written");
        git(dir.path(), &["fsck", "--strict", "--no-dangling"]);
        assert_eq!(git(dir.path(), &["show", "next:a/b/one.txt"]), "one, changed\n");
        assert_eq!(git(dir.path(), &["show", "next:a/c/new.txt"]), "new\n");
        assert_eq!(git(dir.path(), &["show", "next:three.txt"]), "three\n");
        assert_eq!(git(dir.path(), &["show", "next:a.txt"]), "a\n", "a file beside the directory of the same stem");
        assert_eq!(
            git(dir.path(), &["ls-tree", "-r", "--name-only", "next"]),
            "a.txt\na/b/one.txt\na/c/new.txt\nthree.txt\n"
        );
        let shown = git(dir.path(), &["log", "-1", "--format=%an <%ae> %ad|%cn %cd|%B", "--date=raw", "next"]);
        assert_eq!(shown, "Ana Ñ <ana@e> 1700000000 +0530|T 1700000100 -0230|second\n\nwith a body\n\n");
        // The commit, the root, a/, a/b/, a/c/ and the three new blobs: nothing the parent had.
        let packs: Vec<_> = std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .expect("pack dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .collect();
        let newest = packs
            .iter()
            .map(|p| git(dir.path(), &["verify-pack", "-v", &p.to_string_lossy()]))
            .find(|v| v.contains(&commit.to_string()))
            .expect("the new commit's pack");
        assert_eq!(
            newest.lines().filter(|l| l.contains(" commit ") || l.contains(" tree ") || l.contains(" blob ")).count(),
            8,
            "{newest}"
        );
    }
}
