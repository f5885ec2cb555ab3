//! `pave fleet upgrade --repos-from` over git URLs (issue 10): bare repositories served over
//! `file://` and smart HTTP (`git http-backend` with a token), mirrored in the cache, branches
//! pushed with a lease. Each row of the branch lifecycle is a test on local checkouts (no push),
//! on `file://` and on HTTP; then the report, credentials, shards and `--only-failed`. Faults are
//! in `remote_fleet_faults`.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fixtures::{APP_CONFIG_V1, MINI_MANIFEST, MINI_README};
use crate::git_server::{GitHttpServer, Run, files_holding, publish_bare, run_pave};
use crate::sandbox::Sandbox;
use crate::support::Test;

/// The branch of an upgrade to app 2.0.0.
pub const BRANCH: &str = "pave/app-2.0.0";
/// The token the HTTP server wants.
pub const TOKEN: &str = "tok-8f3a1c9e2b7d46e0";

/// Where a fleet's repositories are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Checkouts under `fleet/`, listed by directory; nothing pushed.
    Local,
    /// Bare repositories under `srv/`, listed as `file://` URLs.
    File,
    /// The same, served by a smart-HTTP server that wants [`TOKEN`].
    Http,
}

/// A fleet of repositories made with `pave new` from the `app` fixture, and the server serving
/// them.
pub struct Fleet {
    /// The sandbox: `catalog/`, `made/` (the checkouts the bare repositories were cloned from),
    /// `srv/` (the bare repositories), `work/` (other people's clones), `fleet/` (local kind).
    pub sb: Sandbox,
    /// Where the repositories are.
    pub kind: Kind,
    /// The HTTP server, for [`Kind::Http`].
    pub server: Option<GitHttpServer>,
    runs: usize,
}

/// What one `pave fleet upgrade` did.
pub struct Upgrade {
    /// Exit code and output.
    pub run: Run,
    /// The JSON report (`Null` when none was written).
    pub report: serde_json::Value,
}

impl Upgrade {
    /// The exit code.
    pub fn code(&self) -> Option<i32> {
        self.run.code
    }

    /// Every row of the report.
    pub fn rows(&self) -> Vec<&serde_json::Value> {
        self.report["projects"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
    }

    /// The rows of the repository listed as `line` (its `repo`, or its `path` for a directory).
    pub fn rows_of(&self, line: &str) -> Vec<&serde_json::Value> {
        self.rows().into_iter().filter(|p| p["repo"] == line || p["path"] == line).collect()
    }

    /// The one row of the repository listed as `line`.
    #[track_caller]
    pub fn row(&self, line: &str) -> &serde_json::Value {
        let rows = self.rows_of(line);
        assert_eq!(rows.len(), 1, "one row for {line}:\n{}\n{}", self.report, self.run.output());
        rows[0]
    }

    /// The outcome of the repository listed as `line`.
    #[track_caller]
    pub fn outcome(&self, line: &str) -> String {
        self.row(line)["outcome"].as_str().unwrap_or_default().to_string()
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.run.code, Some(code), "{}\n{}", self.run.output(), self.report);
        self
    }

    /// Panics unless the repository listed as `line` ended as `outcome`.
    #[track_caller]
    pub fn expect(&self, line: &str, outcome: &str) -> &Self {
        assert_eq!(self.outcome(line), outcome, "{line}\n{}\n{}", self.report, self.run.output());
        self
    }
}

static WORK: AtomicUsize = AtomicUsize::new(0);

impl Fleet {
    /// An empty fleet with the `app` catalog (and the server, for HTTP).
    pub fn new(kind: Kind) -> Self {
        let sb = Test::app().into_sandbox();
        std::fs::create_dir_all(sb.path("srv")).unwrap();
        let server = (kind == Kind::Http).then(|| GitHttpServer::start(&sb, "srv", TOKEN, &[]));
        Self { sb, kind, server, runs: 0 }
    }

    /// Stops the HTTP server and starts another on the same repositories and the same port
    /// (so the URLs, the mirrors and the reports stay valid) with these options.
    pub fn restart_server(&mut self, extra: &[&str]) {
        let port = self.server.take().expect("an HTTP fleet").port().to_string();
        let mut args = vec!["--port", port.as_str()];
        args.extend_from_slice(extra);
        self.server = Some(GitHttpServer::start(&self.sb, "srv", TOKEN, &args));
    }

    /// Adds `NAME`, made with `pave new app@VERSION`.
    pub fn add(&self, name: &str, version: &str) -> &Self {
        self.add_with(name, |s, dir| new_app(s, version, dir))
    }

    /// Adds `NAME`, made by `make` as a checkout in the given directory (then cloned bare into
    /// `srv/` for the remote kinds).
    pub fn add_with(&self, name: &str, make: impl FnOnce(&Sandbox, &str)) -> &Self {
        if self.kind == Kind::Local {
            make(&self.sb, &format!("fleet/{name}"));
        } else {
            let src = format!("made/{name}");
            make(&self.sb, &src);
            publish_bare(&self.sb, &src, &format!("srv/{name}.git"));
        }
        self
    }

    /// Adds app 3.0.0 to the catalog (2.0.0 with another README).
    pub fn release_3(&self) -> &Self {
        self.sb.copy_dir(&Test::version_dir("app", "2.0.0"), &Test::version_dir("app", "3.0.0"));
        self.sb.write(
            &format!("{}/files/README.md.tera", Test::version_dir("app", "3.0.0")),
            "# {{ service_name }}\n\nversion three\n",
        );
        self
    }

    /// Adds the `mini` template (1.0.0 and 2.0.0) to the catalog.
    pub fn add_mini_template(&self) -> &Self {
        let catalog = self.sb.read("catalog/catalog.toml");
        self.sb.write(
            "catalog/catalog.toml",
            format!("{catalog}\n[[template]]\nname = \"mini\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n"),
        );
        for v in ["1.0.0", "2.0.0"] {
            self.sb.write(&format!("{}/template.toml", Test::version_dir("mini", v)), MINI_MANIFEST);
            self.sb.write(&format!("{}/files/README.md.tera", Test::version_dir("mini", v)), MINI_README);
        }
        self
    }

    /// The `file://` URL of `srv/NAME.git`.
    pub fn file_url(&self, name: &str) -> String {
        format!("file://{}", self.sb.path(&format!("srv/{name}.git")).display())
    }

    /// How `NAME` is listed in `--repos-from`.
    pub fn line(&self, name: &str) -> String {
        match self.kind {
            Kind::Local => format!("fleet/{name}"),
            Kind::File => self.file_url(name),
            Kind::Http => self.server.as_ref().unwrap().url(name),
        }
    }

    /// The repository (relative to the sandbox) holding `NAME`'s branches: the checkout, or the
    /// bare repository the server serves.
    pub fn refs(&self, name: &str) -> String {
        match self.kind {
            Kind::Local => format!("fleet/{name}"),
            Kind::File | Kind::Http => format!("srv/{name}.git"),
        }
    }

    /// The mirror pave keeps of `NAME`, relative to the sandbox (remote kinds).
    pub fn mirror(&self, name: &str) -> String {
        match self.kind {
            Kind::Local => panic!("no mirror for a local checkout"),
            Kind::File => {
                let srv = self.sb.path("srv").display().to_string();
                format!("home/.cache/pave/mirrors/local/{}/{name}.git", srv.trim_start_matches('/'))
            }
            Kind::Http => {
                format!("home/.cache/pave/mirrors/127.0.0.1_{}/{name}.git", self.server.as_ref().unwrap().port())
            }
        }
    }

    /// The commit `refname` names in `NAME`'s repository ([`Fleet::refs`]), if any.
    pub fn rev(&self, name: &str, refname: &str) -> Option<String> {
        rev(&self.sb, &self.refs(name), refname)
    }

    /// Every ref of `NAME`'s repository with its commit.
    pub fn all_refs(&self, name: &str) -> String {
        self.sb.git(&self.refs(name), &["for-each-ref", "--format=%(refname) %(objectname)"])
    }

    /// The environment of a run: the token for HTTP.
    fn env(&self) -> Vec<(&'static str, &'static str)> {
        if self.kind == Kind::Http { vec![("PAVE_GIT_TOKEN", TOKEN)] } else { Vec::new() }
    }

    /// `pave fleet upgrade --repos-from LIST --report rN.json [--push] EXTRA` over these
    /// repositories (`--push` for the remote kinds).
    pub fn upgrade(&mut self, names: &[&str], extra: &[&str]) -> Upgrade {
        let lines: Vec<String> = names.iter().map(|n| self.line(n)).collect();
        let mut args: Vec<&str> = Vec::new();
        if self.kind != Kind::Local {
            args.push("--push");
        }
        args.extend_from_slice(extra);
        let env = self.env();
        self.upgrade_lines(&lines, &args, &env)
    }

    /// `pave fleet upgrade --repos-from LIST --report rN.json ARGS` with these list lines and
    /// this environment.
    pub fn upgrade_lines(&mut self, lines: &[String], args: &[&str], env: &[(&str, &str)]) -> Upgrade {
        self.runs += 1;
        let (list, report) = (format!("repos-{}.txt", self.runs), format!("r{}.json", self.runs));
        self.sb.write(&list, format!("# the fleet, run {}\n\n{}\n", self.runs, lines.join("\n")));
        let mut all = vec!["fleet", "upgrade", "--repos-from", &list, "--report", &report];
        all.extend_from_slice(args);
        let run = run_pave(&self.sb, &all, env);
        let report = if self.sb.exists(&report) {
            let text = self.sb.read(&report);
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{report}: {e}\n{text}"))
        } else {
            serde_json::Value::Null
        };
        Upgrade { run, report }
    }

    /// Someone else works on `branch` of `NAME`: in the checkout itself (local kind) or in a
    /// clone of the bare repository, pushed back afterwards (straight to the directory, not
    /// through the server).
    pub fn with_checkout(&self, name: &str, branch: &str, work: impl FnOnce(&Sandbox, &str, &str)) {
        let sb = &self.sb;
        if self.kind == Kind::Local {
            let dir = format!("fleet/{name}");
            sb.git(&dir, &["checkout", "-q", branch]);
            work(sb, &dir, "");
            sb.git(&dir, &["checkout", "-q", "main"]);
            return;
        }
        let dir = format!("work/{name}");
        if sb.exists(&dir) {
            sb.git(&dir, &["fetch", "-q", "--prune", "origin"]);
        } else {
            sb.git(".", &["clone", "-q", &format!("srv/{name}.git"), &dir]);
        }
        sb.git(&dir, &["checkout", "-q", "-B", branch, &format!("origin/{branch}")]);
        work(sb, &dir, "origin/");
        sb.git(&dir, &["push", "-q", "origin", branch]);
    }

    /// A colleague's commit on the default branch of `NAME` (a new file, nothing pave renders).
    pub fn advance_main(&self, name: &str) {
        let n = WORK.fetch_add(1, Ordering::SeqCst);
        self.with_checkout(name, "main", |sb, dir, _| {
            sb.write(&format!("{dir}/docs/notes-{n}.md"), format!("a note {n}\n"));
            sb.commit_all(dir, "a colleague's change on main");
        });
    }

    /// Someone else's commit on `branch` of `NAME`.
    pub fn edit_branch(&self, name: &str, branch: &str) {
        self.with_checkout(name, branch, |sb, dir, _| {
            sb.write(&format!("{dir}/docs/review.md"), "a reviewer's fix\n");
            sb.commit_all(dir, "a reviewer's fix");
        });
    }

    /// Merges `branch` into the default branch of `NAME` with a merge commit, as a pull request
    /// would.
    pub fn merge(&self, name: &str, branch: &str) {
        self.with_checkout(name, "main", |sb, dir, prefix| {
            sb.git(dir, &["merge", "-q", "--no-ff", "-m", "Merge the upgrade", &format!("{prefix}{branch}")]);
        });
    }

    /// Checks that `branch` of `NAME` is one pave commit on top of `base` (a ref of the same
    /// repository) that records `version`, with pave's trailers; returns its id.
    #[track_caller]
    pub fn check_branch(&self, name: &str, branch: &str, base: &str, version: &str) -> String {
        check_branch(&self.sb, &self.refs(name), branch, base, &[("", version)])
    }
}

/// `pave new app@VERSION DIR -d service_name=NAME` (the last part of DIR, without `svc-`).
pub fn new_app(s: &Sandbox, version: &str, dir: &str) {
    let name = dir.rsplit('/').next().unwrap().replace("svc-", "");
    s.pave_ok(&["new", &format!("app@{version}"), dir, "-d", &format!("service_name={name}")]);
}

/// The commit `refname` names in the repository `repo`, if any.
pub fn rev(sb: &Sandbox, repo: &str, refname: &str) -> Option<String> {
    let out = sb.git_output(repo, &["rev-parse", "--verify", "-q", &format!("{refname}^{{commit}}")]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Checks that `branch` of `repo` is one pave commit on top of `base` whose `.pave.toml` files
/// (at each `(dir, version)`) record those versions, with pave's trailers; returns its id.
#[track_caller]
pub fn check_branch(sb: &Sandbox, repo: &str, branch: &str, base: &str, projects: &[(&str, &str)]) -> String {
    let tip = rev(sb, repo, branch).unwrap_or_else(|| panic!("{repo} has no {branch}:\n{}", refs_of(sb, repo)));
    let parent = rev(sb, repo, &format!("{branch}^"));
    assert_eq!(parent, rev(sb, repo, base), "{repo}: {branch} should grow from {base}");
    let message = sb.git(repo, &["log", "-1", "--format=%B", branch]);
    assert_trailers(&message);
    for (dir, version) in projects {
        let file = if dir.is_empty() { ".pave.toml".to_string() } else { format!("{dir}/.pave.toml") };
        let record = sb.git(repo, &["show", &format!("{branch}:{file}")]);
        assert!(record.contains(&format!("version = \"{version}\"")), "{repo} {branch}:{file}\n{record}");
    }
    tip
}

/// Checks a commit message for `Generated-by: pave fleet` and `Pave-Inputs: <64 hex>`.
#[track_caller]
pub fn assert_trailers(message: &str) {
    assert!(message.lines().any(|l| l == "Generated-by: pave fleet"), "no Generated-by trailer:\n{message}");
    let inputs = regex::Regex::new(r"(?m)^Pave-Inputs: [0-9a-f]{64}$").unwrap();
    assert!(inputs.is_match(message), "no Pave-Inputs trailer:\n{message}");
}

/// The refs of a repository, for messages.
pub fn refs_of(sb: &Sandbox, repo: &str) -> String {
    String::from_utf8_lossy(&sb.git_output(repo, &["for-each-ref", "--format=%(refname) %(objectname)"]).stdout)
        .into_owned()
}

/// Checks that the mirror at `mirror` is a sound bare repository with no work tree, holding
/// only the default branch and pave's branches as remote-tracking refs.
#[track_caller]
pub fn check_mirror(sb: &Sandbox, mirror: &str) {
    assert!(sb.exists(mirror), "no mirror at {mirror}; the cache holds:\n{:?}", sb.files("home/.cache/pave"));
    assert_eq!(sb.git(mirror, &["rev-parse", "--is-bare-repository"]), "true\n", "{mirror} is not bare");
    for name in ["README.md", ".pave.toml", "config/app.yaml"] {
        assert!(!sb.exists(&format!("{mirror}/{name}")), "{mirror} has a work tree ({name})");
    }
    sb.git(mirror, &["fsck", "--no-progress"]);
    let refs = sb.git(mirror, &["for-each-ref", "--format=%(refname)"]);
    for r in refs.lines() {
        let tracked = r == "refs/remotes/origin/main"
            || r.starts_with("refs/remotes/origin/pave/")
            || r.starts_with("refs/heads/pave/");
        assert!(tracked, "{mirror} holds {r}; pave fetches only the default branch and pave/*:\n{refs}");
    }
    assert!(refs.lines().any(|r| r == "refs/remotes/origin/main"), "{mirror}: no refs/remotes/origin/main:\n{refs}");
}

/// Runs a scenario on each kind as its own test.
macro_rules! on_each_kind {
    ($scenario:ident: $($test:ident => $kind:ident),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                $scenario(Kind::$kind);
            }
        )+
    };
}

// ---- the branch lifecycle, one row a test ----

/// No branch: `upgraded`, the branch created (and pushed), one pave commit on the default
/// branch; the mirror is bare and holds only what pave fetches.
fn no_branch(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    if kind != Kind::Local {
        // Branches and tags pave has no business fetching.
        let sb = &f.sb;
        sb.git("made/svc-a", &["checkout", "-q", "-b", "feature/other"]);
        sb.write("made/svc-a/docs/other.md", "someone's feature\n");
        sb.commit_all("made/svc-a", "a feature");
        sb.git("made/svc-a", &["tag", "v9"]);
        sb.git("made/svc-a", &["push", "-q", "../../srv/svc-a.git", "feature/other", "v9"]);
        sb.git("made/svc-a", &["checkout", "-q", "main"]);
    }
    let before = if kind == Kind::Local { f.sb.state("fleet/svc-a") } else { String::new() };
    let up = f.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "upgraded").expect(&f.line("svc-b"), "upgraded");
    let keys = ["path", "repo", "template", "from", "to", "outcome", "branch", "commit", "files_changed"];
    for row in up.rows() {
        for key in keys.iter().chain(&["conflicts", "superseded", "error"]) {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    assert!(up.report["summary"].is_object(), "no summary: {}", up.report);
    for name in ["svc-a", "svc-b"] {
        let row = up.row(&f.line(name));
        let tip = f.check_branch(name, BRANCH, "main", "2.0.0");
        assert_eq!(row["branch"], BRANCH, "{row}");
        assert_eq!(row["commit"].as_str(), Some(tip.as_str()), "{row}");
        assert_eq!(
            (row["template"].as_str(), row["from"].as_str(), row["to"].as_str()),
            (Some("app"), Some("1.0.0"), Some("2.0.0"))
        );
        assert_eq!(row["files_changed"], 8, "{row}");
        if kind != Kind::Local {
            assert_eq!(row["repo"].as_str(), Some(f.line(name).as_str()), "{row}");
            check_mirror(&f.sb, &f.mirror(name));
        }
    }
    if kind == Kind::Local {
        let after = f.sb.state("fleet/svc-a");
        let strip = |s: &str| s.lines().filter(|l| !l.starts_with("refs/heads/pave/")).collect::<Vec<_>>().join("\n");
        assert_eq!(strip(&after), strip(&before), "the checkout changed");
    } else if kind == Kind::Http {
        // Over file:// libgit2 may copy more objects than the refs it fetches need; over HTTP
        // only what the default branch and pave/* reach comes down.
        let mirror = f.mirror("svc-a");
        let other = f.rev("svc-a", "feature/other").unwrap();
        assert!(
            !f.sb.git_output(&mirror, &["cat-file", "-e", &other]).status.success(),
            "the mirror fetched feature/other"
        );
        assert_eq!(f.sb.git(&mirror, &["tag", "--list"]), "", "the mirror fetched tags");
    }
}

on_each_kind!(no_branch:
    fleet_upgrade_local_without_a_branch_creates_it => Local,
    fleet_upgrade_file_without_a_branch_creates_and_pushes_it => File,
    fleet_upgrade_http_without_a_branch_creates_and_pushes_it => Http,
);

/// Nothing changed since the last run: `unchanged`, no new commit, nothing pushed, and it says
/// so.
fn second_run(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let refs = f.all_refs("svc-a");
    let mirror = (kind != Kind::Local).then(|| f.sb.git(&f.mirror("svc-a"), &["for-each-ref"]));
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "unchanged");
    assert_eq!(f.all_refs("svc-a"), refs, "a ref moved");
    if let Some(before) = mirror {
        assert_eq!(f.sb.git(&f.mirror("svc-a"), &["for-each-ref"]), before, "a mirror ref moved");
    }
    if let Some(server) = &f.server {
        assert_eq!(server.receive_pack_requests(), Vec::<serde_json::Value>::new(), "pushed anyway");
    }
    assert!(up.run.stderr.contains("unchanged"), "it does not say so:\n{}", up.run.output());
}

on_each_kind!(second_run:
    fleet_upgrade_local_second_run_is_unchanged => Local,
    fleet_upgrade_file_second_run_is_unchanged_and_pushes_nothing => File,
    fleet_upgrade_http_second_run_is_unchanged_and_pushes_nothing => Http,
);

/// The default branch moved, the branch holds only pave's commit: `regenerated`, rebuilt on the
/// new tip (force-pushed with the lease).
fn main_moved(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    let old = f.rev("svc-a", BRANCH).unwrap();
    f.advance_main("svc-a");
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "regenerated");
    let tip = f.check_branch("svc-a", BRANCH, "main", "2.0.0");
    assert_ne!(tip, old);
    assert_eq!(up.row(&f.line("svc-a"))["commit"].as_str(), Some(tip.as_str()));
    let refs = f.refs("svc-a");
    assert!(!f.sb.git_output(&refs, &["merge-base", "--is-ancestor", &old, &tip]).status.success(), "not rebuilt");
    let notes = f.sb.git(&refs, &["ls-tree", "-r", "--name-only", BRANCH, "docs"]);
    assert!(notes.contains("docs/notes-"), "the new default branch's change is not in the branch:\n{notes}");
}

on_each_kind!(main_moved:
    fleet_upgrade_local_rebuilds_its_branch_when_main_moved => Local,
    fleet_upgrade_file_rebuilds_and_force_pushes_when_main_moved => File,
    fleet_upgrade_http_rebuilds_and_force_pushes_when_main_moved => Http,
);

/// Someone else's commit on the branch: `edited`, left alone (even though the default branch
/// moved too).
fn edited(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    f.upgrade(&["svc-a", "svc-b"], &[]).expect_code(0);
    f.edit_branch("svc-a", BRANCH);
    let theirs = f.rev("svc-a", BRANCH).unwrap();
    f.advance_main("svc-a");
    f.advance_main("svc-b");
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let up = f.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "edited").expect(&f.line("svc-b"), "regenerated");
    assert_eq!(f.rev("svc-a", BRANCH), Some(theirs), "the edited branch was moved");
    if let Some(server) = &f.server {
        let pushes = server.receive_pack_requests();
        let svc_a = |r: &&serde_json::Value| r["method"] == "POST" && r["path"] == "/svc-a.git/git-receive-pack";
        assert!(!pushes.iter().any(|r| svc_a(&r)), "pushed to the edited repository: {pushes:?}");
    }
}

on_each_kind!(edited:
    fleet_upgrade_local_leaves_an_edited_branch_alone => Local,
    fleet_upgrade_file_leaves_an_edited_branch_alone => File,
    fleet_upgrade_http_leaves_an_edited_branch_alone => Http,
);

/// The branch was merged into the default branch: `merged`, nothing written.
fn merged(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    f.merge("svc-a", BRANCH);
    let refs = f.all_refs("svc-a");
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "merged");
    assert_eq!(f.all_refs("svc-a"), refs, "something was written");
    if let Some(server) = &f.server {
        assert_eq!(server.receive_pack_requests(), Vec::<serde_json::Value>::new(), "pushed anyway");
    }
}

on_each_kind!(merged:
    fleet_upgrade_local_merged_branch_writes_nothing => Local,
    fleet_upgrade_file_merged_branch_writes_nothing => File,
    fleet_upgrade_http_merged_branch_writes_nothing => Http,
);

/// `--to` older than an existing pave branch: `superseded`, nothing written.
fn older_target(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.release_3().add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &["--to", "3.0.0"]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    f.check_branch("svc-a", "pave/app-3.0.0", "main", "3.0.0");
    let refs = f.all_refs("svc-a");
    let up = f.upgrade(&["svc-a"], &["--to", "2.0.0"]);
    up.expect_code(0).expect(&f.line("svc-a"), "superseded");
    assert_eq!(f.all_refs("svc-a"), refs, "something was written");
    assert_eq!(f.rev("svc-a", BRANCH), None);
}

on_each_kind!(older_target:
    fleet_upgrade_local_older_target_than_a_pave_branch_is_superseded => Local,
    fleet_upgrade_file_older_target_than_a_pave_branch_is_superseded => File,
    fleet_upgrade_http_older_target_than_a_pave_branch_is_superseded => Http,
);

/// A new release's branch while an older `pave/app-*` branch exists: `upgraded`, and the row
/// lists the older branch under `superseded`.
fn newer_release(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.release_3().add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &["--to", "2.0.0"]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let row = up.row(&f.line("svc-a"));
    assert_eq!(row["branch"], "pave/app-3.0.0", "{row}");
    assert_eq!(row["superseded"], serde_json::json!([BRANCH]), "{row}");
    f.check_branch("svc-a", "pave/app-3.0.0", "main", "3.0.0");
}

on_each_kind!(newer_release:
    fleet_upgrade_local_new_release_lists_the_branch_it_supersedes => Local,
    fleet_upgrade_file_new_release_lists_the_branch_it_supersedes => File,
    fleet_upgrade_http_new_release_lists_the_branch_it_supersedes => Http,
);

// ---- the other outcomes, the report and exit codes ----

/// `app` 1.0.0 with a local edit to the line 2.0.0 changes.
fn conflicting(s: &Sandbox, dir: &str) {
    new_app(s, "1.0.0", dir);
    s.write(&format!("{dir}/config/app.yaml"), APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
    s.commit_all(dir, "our port");
}

/// up-to-date, conflict, skipped beside an upgrade; exit 3 (conflicts, nothing failed).
fn other_outcomes(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add_mini_template();
    f.add("svc-clean", "1.0.0").add("svc-current", "2.0.0").add_with("svc-conflict", conflicting);
    f.add_with("svc-mini", |s, dir| s.pave_ok(&["new", "mini@1.0.0", dir, "-d", "service_name=mini"]));
    let names = ["svc-clean", "svc-current", "svc-conflict", "svc-mini"];
    let up = f.upgrade(&names, &["--template", "app"]);
    up.expect_code(3)
        .expect(&f.line("svc-clean"), "upgraded")
        .expect(&f.line("svc-current"), "up-to-date")
        .expect(&f.line("svc-conflict"), "conflict")
        .expect(&f.line("svc-mini"), "skipped");
    assert_eq!(up.row(&f.line("svc-conflict"))["conflicts"], serde_json::json!(["config/app.yaml"]));
    assert_eq!(up.row(&f.line("svc-conflict"))["branch"], serde_json::Value::Null);
    for name in ["svc-current", "svc-conflict", "svc-mini"] {
        assert_eq!(f.sb.git(&f.refs(name), &["branch", "--list", "pave/*"]), "", "{name} got a branch");
    }
    let summary = &up.report["summary"];
    assert!(summary.is_object(), "no summary:\n{}", up.report);
}

on_each_kind!(other_outcomes:
    fleet_upgrade_local_reports_up_to_date_conflict_and_skipped => Local,
    fleet_upgrade_file_reports_up_to_date_conflict_and_skipped => File,
    fleet_upgrade_http_reports_up_to_date_conflict_and_skipped => Http,
);

/// `--on-conflict commit`: `conflict` with a branch and a commit (pushed); exit 3; and the
/// Markdown report is a table with a row per repository.
fn conflict_committed(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add_with("svc-conflict", conflicting).add("svc-clean", "1.0.0");
    let up = f.upgrade(&["svc-conflict", "svc-clean"], &["--on-conflict", "commit"]);
    up.expect_code(3).expect(&f.line("svc-conflict"), "conflict");
    let row = up.row(&f.line("svc-conflict"));
    let tip = f.check_branch("svc-conflict", BRANCH, "main", "2.0.0");
    assert_eq!(row["branch"], BRANCH, "{row}");
    assert_eq!(row["commit"].as_str(), Some(tip.as_str()), "{row}");
    let file = f.sb.git(&f.refs("svc-conflict"), &["show", &format!("{BRANCH}:config/app.yaml")]);
    assert!(file.contains("<<<<<<< local\nport: 7000\n=======\nport: 9090\n>>>>>>> app 2.0.0\n"), "{file}");

    // The same fleet again, reported in Markdown: nothing changed, every row `unchanged`.
    let list = format!("{}\n{}\n", f.line("svc-conflict"), f.line("svc-clean"));
    f.sb.write("md.txt", list);
    let mut args = vec!["fleet", "upgrade", "--repos-from", "md.txt", "--report", "r.md", "--on-conflict", "commit"];
    if kind != Kind::Local {
        args.push("--push");
    }
    let env: Vec<(&str, &str)> = if kind == Kind::Http { vec![("PAVE_GIT_TOKEN", TOKEN)] } else { vec![] };
    let run = run_pave(&f.sb, &args, &env);
    let md = f.sb.read("r.md");
    assert!(md.lines().any(|l| l.starts_with("| ") && l.contains(" outcome ")), "no table header:\n{md}");
    assert!(md.lines().any(|l| l.starts_with("|---") || l.starts_with("| ---")), "no table rule:\n{md}");
    for name in ["svc-conflict", "svc-clean"] {
        let row =
            md.lines().find(|l| l.starts_with('|') && l.contains(name)).unwrap_or_else(|| panic!("{name}:\n{md}"));
        assert!(row.contains("| unchanged |"), "{row}\n{}", run.output());
    }
    assert!(!md.contains(TOKEN));
}

on_each_kind!(conflict_committed:
    fleet_upgrade_local_on_conflict_commit_writes_the_branch_and_a_markdown_report => Local,
    fleet_upgrade_file_on_conflict_commit_pushes_the_branch_and_a_markdown_report => File,
    fleet_upgrade_http_on_conflict_commit_pushes_the_branch_and_a_markdown_report => Http,
);

/// A monorepo: one branch with both projects, one row each. (Local monorepos are listed by
/// project directory, as before: `fleet.rs` covers them.)
fn monorepo(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add_with("mono", |s, dir| {
        s.git_repo(dir);
        new_app(s, "1.0.0", &format!("{dir}/services/a"));
        new_app(s, "1.0.0", &format!("{dir}/services/b"));
        s.commit_all(dir, "two services");
    });
    let up = f.upgrade(&["mono"], &[]);
    up.expect_code(0);
    let rows = up.rows_of(&f.line("mono"));
    assert_eq!(rows.len(), 2, "{}", up.report);
    assert!(rows.iter().all(|r| r["outcome"] == "upgraded" && r["branch"] == BRANCH), "{}", up.report);
    // One commit per project, or one for both: every one pave's, on top of the default branch.
    let (sb, repo) = (&f.sb, f.refs("mono"));
    assert!(sb.git_output(&repo, &["merge-base", "--is-ancestor", "main", BRANCH]).status.success(), "not on main");
    let commits = sb.git(&repo, &["rev-list", &format!("main..{BRANCH}")]);
    assert!((1..=2).contains(&commits.lines().count()), "{commits}");
    for commit in commits.lines() {
        assert_trailers(&sb.git(&repo, &["log", "-1", "--format=%B", commit]));
    }
    for project in ["services/a", "services/b"] {
        let record = sb.git(&repo, &["show", &format!("{BRANCH}:{project}/.pave.toml")]);
        assert!(record.contains("version = \"2.0.0\""), "{project}:\n{record}");
    }
}

on_each_kind!(monorepo:
    fleet_upgrade_file_monorepo_gets_one_branch_with_both_projects => File,
    fleet_upgrade_http_monorepo_gets_one_branch_with_both_projects => Http,
);

#[test]
fn fleet_upgrade_file_url_with_a_ref_upgrades_from_that_branch() {
    let mut f = Fleet::new(Kind::File);
    f.add_with("svc-a", |s, dir| {
        new_app(s, "1.0.0", dir);
        s.git(dir, &["checkout", "-q", "-b", "stable"]);
        s.write(&format!("{dir}/docs/stable.md"), "the stable line\n");
        s.commit_all(dir, "stable");
        s.git(dir, &["checkout", "-q", "main"]);
    });
    let line = format!("{} stable", f.line("svc-a"));
    let up = f.upgrade_lines(&[line], &["--push"], &[]);
    up.expect_code(0);
    let rows = up.rows();
    assert_eq!(rows.len(), 1, "{}", up.report);
    assert_eq!(rows[0]["outcome"], "upgraded", "{}", up.report);
    f.check_branch("svc-a", BRANCH, "stable", "2.0.0");
}

// ---- credentials ----

#[test]
fn fleet_upgrade_http_token_is_sent_and_never_shown_or_stored() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0);
    let server = f.server.as_ref().unwrap();
    let answered: Vec<_> = server.requests().into_iter().filter(|r| r["status"] != 401).collect();
    assert!(!answered.is_empty() && answered.iter().all(|r| r["auth"] == true), "{answered:?}");
    assert!(answered.iter().all(|r| r["user"] == "x-access-token"), "{answered:?}");
    assert!(!server.receive_pack_requests().is_empty(), "nothing pushed");
    for text in [&up.run.stdout, &up.run.stderr] {
        assert!(!text.contains(TOKEN), "the token was printed:\n{text}");
    }
    // The cache (mirrors), the report, the checkouts, pave's captured output: nowhere.
    assert_eq!(files_holding(f.sb.root(), TOKEN.as_bytes()), Vec::<String>::new(), "files holding the token");
    let record = f.sb.git("srv/svc-a.git", &["show", &format!("{BRANCH}:.pave.toml")]);
    assert!(!record.contains(TOKEN), "{record}");
    let mirror = f.mirror("svc-a");
    let config = f.sb.read(&format!("{mirror}/config"));
    assert!(!config.contains(TOKEN) && !config.contains("x-access-token"), "{config}");
    assert_eq!(up.row(&f.line("svc-a"))["repo"].as_str(), Some(f.line("svc-a").as_str()));
}

#[test]
fn fleet_upgrade_http_falls_back_to_github_token_and_prefers_pave_git_token() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    let lines = [f.line("svc-a")];
    let up = f.upgrade_lines(&lines, &["--push"], &[("GITHUB_TOKEN", TOKEN)]);
    up.expect_code(0).expect(&lines[0], "upgraded");
    f.check_branch("svc-a", BRANCH, "main", "2.0.0");
    let lines = [f.line("svc-b")];
    let up = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", "not-this-one")]);
    up.expect_code(0).expect(&lines[0], "upgraded");
    f.check_branch("svc-b", BRANCH, "main", "2.0.0");
}

// ---- shards and re-runs ----

#[test]
fn fleet_upgrade_url_shards_cover_every_repository_once_as_their_directories_do() {
    let mut f = Fleet::new(Kind::File);
    let names: Vec<String> = (0..8).map(|i| format!("svc-{i}")).collect();
    for n in &names {
        f.add(n, "1.0.0");
    }
    let urls: Vec<String> = names.iter().map(|n| f.line(n)).collect();
    let dirs: Vec<String> = names.iter().map(|n| format!("made/{n}")).collect();
    let short = |v: &str| v.rsplit('/').next().unwrap().trim_end_matches(".git").to_string();
    let mut seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let by_url = f.upgrade_lines(&urls, &["--dry-run", "--shard", &shard], &[]);
        assert!(by_url.code().is_some_and(|c| c != 2), "{}", by_url.run.output());
        let mut mine: Vec<String> =
            by_url.rows().iter().map(|r| short(r["repo"].as_str().unwrap_or_default())).collect();
        let by_dir = f.upgrade_lines(&dirs, &["--dry-run", "--shard", &shard], &[]);
        let mut theirs: Vec<String> =
            by_dir.rows().iter().map(|r| short(r["path"].as_str().unwrap_or_default())).collect();
        mine.sort();
        theirs.sort();
        assert_eq!(mine, theirs, "shard {shard}: by URL and by directory differ");
        seen.extend(mine);
    }
    seen.sort();
    assert_eq!(seen, names, "every repository exactly once");
}

#[test]
fn fleet_upgrade_only_failed_reruns_only_the_failed_repositories() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    // svc-a over file://, svc-b over HTTP with a wrong token: only svc-b fails.
    let lines = [f.file_url("svc-a"), f.line("svc-b")];
    let first = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", "not-the-token")]);
    first.expect_code(1).expect(&lines[0], "upgraded").expect(&lines[1], "failed");
    let r1 = format!("r{}.json", f.runs);
    let run = run_pave(
        &f.sb,
        &["fleet", "upgrade", "--only-failed", &r1, "--push", "--report", "again.json"],
        &[("PAVE_GIT_TOKEN", TOKEN)],
    );
    assert_eq!(run.code, Some(0), "{}", run.output());
    let again: serde_json::Value = serde_json::from_str(&f.sb.read("again.json")).unwrap();
    let rows = again["projects"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{again}");
    assert_eq!(rows[0]["repo"].as_str(), Some(lines[1].as_str()), "{again}");
    assert_eq!(rows[0]["outcome"], "upgraded", "{again}");
    f.check_branch("svc-b", BRANCH, "main", "2.0.0");
}

#[test]
fn fleet_upgrade_http_credentials_in_a_url_are_never_reported_or_stored() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    let plain = f.line("svc-a");
    let with_credentials = plain.replace("http://", &format!("http://x-access-token:{TOKEN}@"));
    let up = f.upgrade_lines(&[with_credentials], &["--push"], &[("PAVE_GIT_TOKEN", TOKEN)]);
    up.expect_code(0);
    let rows = up.rows();
    assert_eq!(rows.len(), 1, "{}", up.report);
    assert_eq!(rows[0]["repo"].as_str(), Some(plain.as_str()), "{}", up.report);
    assert_eq!(rows[0]["outcome"], "upgraded", "{}", up.report);
    assert!(!up.run.stdout.contains(TOKEN) && !up.run.stderr.contains(TOKEN), "{}", up.run.output());
    // Everywhere but the list file the test wrote.
    for dir in ["home", "logs", "srv"] {
        let leaks = files_holding(&f.sb.path(dir), TOKEN.as_bytes());
        assert_eq!(leaks, Vec::<String>::new(), "files under {dir} holding the token");
    }
    assert!(!f.sb.read("r1.json").contains(TOKEN));
    let named: Vec<String> = f.sb.files("home").into_iter().filter(|p| p.contains(TOKEN)).collect();
    assert_eq!(named, Vec::<String>::new(), "paths naming the token");
    check_mirror(&f.sb, &f.mirror("svc-a"));
    f.check_branch("svc-a", BRANCH, "main", "2.0.0");
}

#[test]
fn fleet_upgrade_http_with_an_empty_cache_finds_its_branch_unchanged() {
    // The branch on the remote has the same parent and tree as the upgrade would make: a run
    // that starts from nothing (a new CI machine) pushes nothing.
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let refs = f.all_refs("svc-a");
    f.sb.remove("home/.cache/pave");
    f.server.as_ref().unwrap().clear_log();
    f.upgrade(&["svc-a"], &[]).expect_code(0).expect(&f.line("svc-a"), "unchanged");
    assert_eq!(f.all_refs("svc-a"), refs);
    let pushes = f.server.as_ref().unwrap().receive_pack_requests();
    assert!(!pushes.iter().any(|r| r["method"] == "POST"), "pushed anyway: {pushes:?}");
}

#[test]
fn fleet_upgrade_file_dry_run_pushes_nothing() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    let refs = f.all_refs("svc-a");
    let up = f.upgrade(&["svc-a"], &["--dry-run"]);
    up.expect_code(0);
    assert_eq!(f.all_refs("svc-a"), refs, "a dry run wrote to the remote");
    assert_eq!(up.row(&f.line("svc-a"))["commit"], serde_json::Value::Null, "{}", up.report);
}

#[test]
fn fleet_upgrade_file_without_push_leaves_the_remote_alone() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    let refs = f.all_refs("svc-a");
    let lines = [f.line("svc-a")];
    let up = f.upgrade_lines(&lines, &[], &[]);
    up.expect_code(0).expect(&lines[0], "upgraded");
    assert_eq!(f.all_refs("svc-a"), refs, "pushed without --push");
    // The branch is in the mirror, one pave commit on the fetched default branch.
    let mirror = f.mirror("svc-a");
    let commit = up.row(&lines[0])["commit"].as_str().unwrap_or_default().to_string();
    assert_trailers(&f.sb.git(&mirror, &["log", "-1", "--format=%B", &commit]));
    assert_eq!(rev(&f.sb, &mirror, &format!("{commit}^")), f.rev("svc-a", "main"));
}
