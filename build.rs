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

    link_position_dependent();
}

/// Links the `pave` executable at a fixed address on Linux with glibc, as Go links its
/// programs by default (docs/decisions.md). A position-independent pave makes the dynamic loader
/// apply 42,000 relocations at every start, copying the 200 pages of `.data.rel.ro` they touch:
/// 0.8 of the 2.3 ms that `pave --version` took, a sixth of a `pave new`.
fn link_position_dependent() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
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
