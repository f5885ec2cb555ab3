//! What a check found, collected over every tree so that one run shows every problem, each
//! naming the template version, the file and the validator, then reported in one panic.

use std::fmt::Display;

use crate::render;
use crate::tree::Tree;

/// The problems one check found, and how much it looked at.
pub struct Findings {
    check: &'static str,
    problems: Vec<String>,
    checked: usize,
    trees: usize,
}

impl Findings {
    /// An empty report for the check called `check` (used in every message).
    pub fn new(check: &'static str) -> Self {
        Self { check, problems: Vec::new(), checked: 0, trees: 0 }
    }

    /// Records a problem in `file` of `tree`.
    pub fn fail(&mut self, tree: &Tree, file: &str, message: impl Display) {
        let message = message.to_string();
        let message = message.trim_end();
        let sep = if message.contains('\n') { "\n" } else { " " };
        self.problems.push(format!("{}: {file}: {}:{sep}{}", tree.label, self.check, indent(message)));
    }

    /// Records a problem that is not about one tree.
    pub fn fail_general(&mut self, message: impl Display) {
        self.problems.push(format!("{}: {}", self.check, message));
    }

    /// Counts one thing checked (a file, an object, an expression), for the summary line.
    pub fn checked(&mut self) {
        self.checked += 1;
    }

    /// Counts `n` things checked.
    pub fn checked_n(&mut self, n: usize) {
        self.checked += n;
    }

    /// Counts one tree looked at.
    pub fn tree(&mut self) {
        self.trees += 1;
    }

    /// Takes in another report's counts and problems.
    pub fn absorb(&mut self, other: Findings) {
        self.checked += other.checked;
        self.trees = self.trees.max(other.trees);
        self.problems.extend(other.problems);
    }

    /// The problems recorded so far.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Whether no problem was recorded.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Prints the summary; panics listing every problem when there is one.
    #[track_caller]
    pub fn finish(self) {
        eprintln!("{}: checked {} items in {} rendered trees", self.check, self.checked, self.trees);
        assert!(
            self.problems.is_empty(),
            "{} problem(s) found by {}:\n\n{}\n",
            self.problems.len(),
            self.check,
            self.problems.join("\n\n")
        );
    }
}

/// Runs `check` on every rendered tree and reports all problems together.
#[track_caller]
pub fn check_every_tree(name: &'static str, check: impl Fn(&Tree, &mut Findings)) {
    let mut findings = Findings::new(name);
    for tree in render::trees() {
        findings.tree();
        check(tree, &mut findings);
    }
    findings.finish();
}

fn indent(text: &str) -> String {
    if text.contains('\n') {
        text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
    } else {
        text.to_string()
    }
}
