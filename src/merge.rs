//! Three-way merge of one text file: git's own algorithm (libgit2's xdiff merge), in memory.
//! Line endings follow the project's copy; conflicts carry `local` and `TEMPLATE VERSION` labels.

/// The outcome of merging one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merged {
    /// The merged bytes (with conflict markers when `conflicted`).
    pub bytes: Vec<u8>,
    /// Whether overlapping changes were left as markers.
    pub conflicted: bool,
}

/// True when the bytes look like text git would line-merge (no NUL in the first 8 KiB, UTF-8).
pub(crate) fn is_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8000)];
    !head.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

#[allow(clippy::naive_bytecount)] // files are small; a crate for this is not worth it
fn bytecount(bytes: &[u8], byte: u8) -> usize {
    bytes.iter().filter(|b| **b == byte).count()
}

/// Whether a text uses CRLF line endings (the majority of its line ends).
fn uses_crlf(bytes: &[u8]) -> bool {
    let lf = bytecount(bytes, b'\n');
    let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
    lf > 0 && crlf * 2 > lf
}

fn to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// A first line shared by all three inputs: libgit2 hands back a null pointer for an empty merge
/// result (which git2 turns into a slice), so the result is never allowed to be empty. The line
/// is unchanged on every side, so it always leads the result and stripping it restores the
/// exact bytes; at the start it leaves git's handling of a missing final newline alone.
const SENTINEL: &[u8] = b"\x01pave-merge-start\x01\n";

fn with_sentinel(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + SENTINEL.len());
    v.extend_from_slice(SENTINEL);
    v.extend_from_slice(bytes);
    v
}

/// Merges `ours` and `theirs`, both changed from `base`. `theirs_label` names the template
/// version in the markers (`>>>>>>> rust-axum-service 2.0.0`).
pub(crate) fn merge(base: &[u8], ours: &[u8], theirs: &[u8], theirs_label: &str) -> Result<Merged, String> {
    let crlf = uses_crlf(ours);
    let (base, ours, theirs) = (to_lf(base), to_lf(ours), to_lf(theirs));
    if ours == theirs || theirs == base {
        return Ok(finish(ours, false, crlf));
    }
    if ours == base {
        return Ok(finish(theirs, false, crlf));
    }
    let (base, ours, theirs) = (with_sentinel(&base), with_sentinel(&ours), with_sentinel(&theirs));
    let result = crate::git::merge_file(&base, &ours, &theirs, theirs_label)?;
    let merged = result.bytes.strip_prefix(SENTINEL).unwrap_or(&result.bytes).to_vec();
    Ok(finish(merged, result.conflicted, crlf))
}

fn finish(bytes: Vec<u8>, conflicted: bool, crlf: bool) -> Merged {
    Merged { bytes: if crlf { to_crlf(&bytes) } else { bytes }, conflicted }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each item as a line.
    fn lines(items: &[String]) -> String {
        items.iter().flat_map(|l| [l.as_str(), "\n"]).collect()
    }

    fn m(base: &str, ours: &str, theirs: &str) -> Merged {
        merge(base.as_bytes(), ours.as_bytes(), theirs.as_bytes(), "svc 2.0.0").expect("merge runs")
    }

    #[test]
    fn separate_edits_merge_cleanly() {
        let r = m("a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n");
        assert_eq!(String::from_utf8_lossy(&r.bytes), "A\nb\nc\nd\nE\n");
        assert!(!r.conflicted);
    }

    #[test]
    fn overlapping_edits_conflict_with_labels() {
        let r = m("a\nb\nc\n", "a\nlocal\nc\n", "a\ntemplate\nc\n");
        assert!(r.conflicted);
        let text = String::from_utf8_lossy(&r.bytes);
        assert!(text.contains("<<<<<<< local\nlocal\n=======\ntemplate\n>>>>>>> svc 2.0.0\n"), "{text}");
    }

    #[test]
    fn crlf_project_keeps_crlf() {
        let r = m("a\nb\nc\nd\n", "A\r\nb\r\nc\r\nd\r\n", "a\nb\nc\nD\n");
        assert_eq!(String::from_utf8_lossy(&r.bytes), "A\r\nb\r\nc\r\nD\r\n");
    }

    #[test]
    fn binary_is_detected() {
        assert!(!is_text(b"\x89PNG\0\0"));
        assert!(is_text(b"plain\n"));
    }

    proptest::proptest! {
        #[test]
        fn merge_laws(base in proptest::collection::vec("[abc]{0,3}", 0..8), x in proptest::collection::vec("[abcd]{0,3}", 0..8)) {
            let b = lines(&base);
            let x = lines(&x);
            // merge(b, b, x) = x and merge(b, x, b) = x
            let r1 = m(&b, &b, &x);
            proptest::prop_assert!(!r1.conflicted);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&r1.bytes), x.clone());
            let r2 = m(&b, &x, &b);
            proptest::prop_assert!(!r2.conflicted);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&r2.bytes), x);
        }

        #[test]
        fn no_local_edit_is_lost(base in proptest::collection::vec("[abc]{0,2}", 0..8), ours in proptest::collection::vec("[abcx]{0,2}", 0..8), theirs in proptest::collection::vec("[abcy]{0,2}", 0..8)) {
            let r = m(&lines(&base), &lines(&ours), &lines(&theirs));
            let text = String::from_utf8_lossy(&r.bytes).into_owned();
            // Every line the project added (only ours has `x`) survives, merged or in a conflict.
            for line in ours.iter().filter(|l| l.contains('x')) {
                proptest::prop_assert!(text.lines().any(|l| l == line), "lost {line:?} in {text:?}");
            }
            if !r.conflicted {
                proptest::prop_assert!(!text.contains("<<<<<<<"));
            }
        }
    }
}
