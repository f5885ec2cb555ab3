//! libgit2's three-way file merge (git's xdiff), in memory.

/// The merged bytes, and whether conflict markers were left.
pub(crate) struct MergeResult {
    /// The result, markers included.
    pub bytes: Vec<u8>,
    /// Whether overlapping changes were left as markers.
    pub conflicted: bool,
}

/// Merges three texts with labels `base`, `local` and `theirs_label` on the markers.
pub(crate) fn merge_file(base: &[u8], ours: &[u8], theirs: &[u8], theirs_label: &str) -> Result<MergeResult, String> {
    // git2's merge_file skips libgit2's global init, so the first call of a process fails with
    // "no error"; creating a Buf runs the init.
    drop(git2::Buf::new());
    let mut b = git2::MergeFileInput::new();
    b.content(base);
    let mut o = git2::MergeFileInput::new();
    o.content(ours);
    let mut t = git2::MergeFileInput::new();
    t.content(theirs);
    let mut opts = git2::MergeFileOptions::new();
    opts.ancestor_label("base").our_label("local").their_label(theirs_label);
    let result = git2::merge_file(&b, &o, &t, Some(&mut opts)).map_err(|e| e.message().to_string())?;
    Ok(MergeResult { bytes: result.content().to_vec(), conflicted: !result.is_automergeable() })
}
