//! The laws of upgrades, over random template pairs and random local edits, each case a real
//! catalog and real projects made and upgraded by the binary:
//! an unedited project upgrades to exactly a fresh `pave new` of the new version; no local edit is
//! ever lost; `pave diff` applied with `git apply` gives what `pave upgrade` gives; rendering is
//! deterministic.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use crate::fixtures::MINI_MANIFEST;
use crate::sandbox::Sandbox;
use crate::support::Test;

/// How a file changes between 1.0.0 and 2.0.0.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// In both versions; its lines change (or not).
    InBoth,
    /// Only in 1.0.0.
    Removed,
    /// Only in 2.0.0.
    Added,
}

/// One text file of the random template, and the project's edits to it.
#[derive(Debug, Clone)]
struct FileCase {
    kind: Kind,
    /// Lines at 1.0.0.
    lines: usize,
    /// Per line, what 2.0.0 does: 0–2 keep, 3 replace, 4 delete, 5 insert a line after it.
    ops: Vec<u8>,
    /// The project's edits: (position, replace the line there rather than insert before it).
    edits: Vec<(usize, bool)>,
    /// Whether every version of the file ends with a newline.
    final_newline: bool,
}

/// A random template pair and a random set of local edits.
#[derive(Debug, Clone)]
struct Case {
    files: Vec<FileCase>,
}

impl FileCase {
    fn path(i: usize) -> String {
        format!("d{i}/f{i}.txt")
    }

    fn old_lines(&self, i: usize) -> Vec<String> {
        (0..self.lines).map(|n| format!("file {i} line {n}")).collect()
    }

    fn text(&self, lines: &[String]) -> String {
        let text = lines.join("\n");
        if self.final_newline && !lines.is_empty() { text + "\n" } else { text }
    }

    /// The file at 1.0.0.
    fn v1(&self, i: usize) -> Option<String> {
        match self.kind {
            Kind::InBoth | Kind::Removed => Some(self.text(&self.old_lines(i))),
            Kind::Added => None,
        }
    }

    /// The file at 2.0.0.
    fn v2(&self, i: usize) -> Option<String> {
        let mut out = Vec::new();
        for (n, line) in self.old_lines(i).into_iter().enumerate() {
            match self.ops.get(n).copied().unwrap_or(0) {
                3 => out.push(format!("file {i} line {n} changed in 2.0.0")),
                4 => {}
                5 => {
                    out.push(line);
                    out.push(format!("file {i} line added after {n} in 2.0.0"));
                }
                _ => out.push(line),
            }
        }
        match self.kind {
            Kind::InBoth => Some(self.text(&out)),
            Kind::Removed => None,
            Kind::Added => Some(self.text(&out).replace("file", "new file")),
        }
    }

    /// The project's copy after its edits, and the marker lines the edits put in.
    fn edited(&self, i: usize) -> Option<(String, Vec<String>)> {
        if self.edits.is_empty() || matches!(self.kind, Kind::Added) {
            return None;
        }
        let mut lines = self.old_lines(i);
        let mut markers = Vec::new();
        for (k, (pos, replace)) in self.edits.iter().enumerate() {
            let marker = format!("LOCAL EDIT {i}.{k}");
            let p = pos % (lines.len() + 1);
            if *replace && p < lines.len() && !lines[p].starts_with("LOCAL") {
                lines[p].clone_from(&marker);
            } else {
                lines.insert(p, marker.clone());
            }
            markers.push(marker);
        }
        Some((self.text(&lines), markers))
    }
}

fn file_case() -> impl Strategy<Value = FileCase> {
    (
        prop_oneof![6 => Just(Kind::InBoth), 1 => Just(Kind::Removed), 1 => Just(Kind::Added)],
        1usize..9,
        prop::collection::vec(0u8..6, 0..9),
        prop::collection::vec((0usize..12, any::<bool>()), 0..3),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(kind, lines, ops, edits, final_newline)| FileCase { kind, lines, ops, edits, final_newline })
}

fn case() -> impl Strategy<Value = Case> {
    prop::collection::vec(file_case(), 1..5).prop_map(|files| Case { files })
}

impl Case {
    /// A sandbox with the catalog of this case: template `t` at 1.0.0 and 2.0.0.
    fn catalog(&self) -> Sandbox {
        let mut t = Test::new().template("t", "stable");
        for v in ["1.0.0", "2.0.0"] {
            t = t.manifest("t", v, MINI_MANIFEST).file("t", v, "README.md.tera", "# {{ service_name }}\n");
        }
        for (i, f) in self.files.iter().enumerate() {
            if let Some(text) = f.v1(i) {
                t = t.file("t", "1.0.0", &FileCase::path(i), text);
            }
            if let Some(text) = f.v2(i) {
                t = t.file("t", "2.0.0", &FileCase::path(i), text);
            }
        }
        t.into_sandbox()
    }

    /// Applies the local edits to the project at `dir` and commits them; returns every marker
    /// with the file it is in.
    fn edit(&self, s: &Sandbox, dir: &str) -> Vec<(String, String)> {
        let mut markers = Vec::new();
        for (i, f) in self.files.iter().enumerate() {
            if let Some((text, ms)) = f.edited(i) {
                s.write(&format!("{dir}/{}", FileCase::path(i)), text);
                markers.extend(ms.into_iter().map(|m| (FileCase::path(i), m)));
            }
        }
        s.git(dir, &["add", "-A"]);
        s.git(dir, &["commit", "-q", "--allow-empty", "-m", "local edits"]);
        markers
    }
}

/// Runs pave in the sandbox; returns its exit code and stderr.
fn pave(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let out = s.pave(args);
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn new(s: &Sandbox, at: &str, dir: &str, extra: &[&str]) {
    let mut args = vec!["new", at, dir, "-d", "service_name=svc"];
    args.extend_from_slice(extra);
    s.pave_ok(&args);
}

/// A few dozen cases per law: each case runs the binary and git a handful of times. A failing
/// case's seed is kept in `upgrade_props.proptest-regressions` beside this file (commit it), and
/// every later run replays it first.
fn config() -> Config {
    Config {
        cases: 24,
        max_shrink_iters: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn upgrade_of_an_unedited_project_is_a_fresh_new_of_the_new_version(case in case()) {
        let s = case.catalog();
        new(&s, "t@1.0.0", "proj", &[]);
        new(&s, "t@2.0.0", "fresh", &["--no-git"]);
        let (code, stderr) = pave(&s, &["upgrade", "proj"]);
        prop_assert_eq!(code, 0, "{}", stderr);
        // Both record the same catalog, so even .pave.toml must be byte for byte the same.
        prop_assert_eq!(s.tree("proj"), s.tree("fresh"));
        prop_assert_eq!(s.dirs("proj"), s.dirs("fresh"));
    }

    #[test]
    fn upgrade_never_loses_a_local_edit(case in case()) {
        let s = case.catalog();
        new(&s, "t@1.0.0", "proj", &[]);
        let markers = case.edit(&s, "proj");
        let (code, stderr) = pave(&s, &["upgrade", "proj"]);
        prop_assert!(code == 0 || code == 3, "exit {}: {}", code, stderr);
        for (path, marker) in &markers {
            let text = s.read(&format!("proj/{path}"));
            prop_assert!(text.lines().any(|l| l == marker), "{} lost from {}:\n{}", marker, path, text);
        }
        let has_markers = s.files("proj").iter().any(|f| s.read(&format!("proj/{f}")).contains("<<<<<<< local\n"));
        let unmerged = s.git("proj", &["ls-files", "-u"]);
        if code == 0 {
            prop_assert!(!has_markers && unmerged.is_empty(), "exit 0 with conflicts left:\n{}", unmerged);
        } else {
            prop_assert!(has_markers && !unmerged.is_empty(), "exit 3 without a conflict:\n{}", stderr);
        }
    }

    #[test]
    fn diff_applied_with_git_apply_gives_the_upgraded_tree(case in case()) {
        let s = case.catalog();
        new(&s, "t@1.0.0", "proj", &[]);
        case.edit(&s, "proj");
        s.copy_dir("proj", "copy");
        let diff = s.pave(&["diff", "proj"]);
        prop_assert!(diff.status.success(), "{:?}", diff);
        let (code, stderr) = pave(&s, &["upgrade", "proj"]);
        prop_assert!(code == 0 || code == 3, "exit {}: {}", code, stderr);
        // With conflicts, the markers are part of the change too; the brief asks for clean cases.
        if code == 0 {
            s.write("upgrade.patch", &diff.stdout);
            let patch = s.path("upgrade.patch").display().to_string();
            let apply = s.git_output("copy", &["apply", "--whitespace=nowarn", &patch]);
            prop_assert!(
                apply.status.success(),
                "git apply: {}\n{}",
                String::from_utf8_lossy(&apply.stderr),
                String::from_utf8_lossy(&diff.stdout)
            );
            prop_assert_eq!(s.tree("copy"), s.tree("proj"));
            prop_assert_eq!(s.dirs("copy"), s.dirs("proj"));
        }
    }

    #[test]
    fn new_renders_deterministically(case in case()) {
        let s = case.catalog();
        for v in ["1.0.0", "2.0.0"] {
            new(&s, &format!("t@{v}"), &format!("a-{v}"), &["--no-git"]);
            new(&s, &format!("t@{v}"), &format!("b-{v}"), &["--no-git"]);
            prop_assert_eq!(s.tree(&format!("a-{v}")), s.tree(&format!("b-{v}")));
        }
    }
}
