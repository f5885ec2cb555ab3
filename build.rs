//! Embeds the built-in catalog (catalog.toml + templates/) into the binary, keeping each file's
//! executable bit and symlinks, which `include_dir` would lose.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // a build script cannot use crate::fs

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    println!("cargo:rerun-if-changed=catalog.toml");
    println!("cargo:rerun-if-changed=templates");

    let mut entries = Vec::new();
    entries.push(entry(root, &root.join("catalog.toml")));
    let templates = root.join("templates");
    if templates.is_dir() {
        for item in walkdir::WalkDir::new(&templates).sort_by_file_name() {
            let item = item.expect("walk templates/");
            // Every directory is watched so that adding a file re-runs this script.
            if item.file_type().is_dir() {
                println!("cargo:rerun-if-changed={}", item.path().display());
                continue;
            }
            entries.push(entry(root, item.path()));
        }
    }

    let mut out = String::from("&[\n");
    for e in entries {
        out.push_str(&e);
    }
    out.push_str("]\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    std::fs::write(dest, out).expect("write embedded.rs");
}

fn entry(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).expect("inside the crate").to_string_lossy().replace('\\', "/");
    let meta = std::fs::symlink_metadata(path).expect("stat catalog file");
    let mut s = String::new();
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).expect("read link");
        let _ = writeln!(
            s,
            "    EmbeddedFile {{ path: {rel:?}, bytes: &[], executable: false, link: Some({:?}) }},",
            target.to_string_lossy()
        );
    } else {
        let _ = writeln!(
            s,
            "    EmbeddedFile {{ path: {rel:?}, bytes: include_bytes!({:?}), executable: {}, link: None }},",
            path.display().to_string(),
            is_executable(&meta)
        );
    }
    s
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}
