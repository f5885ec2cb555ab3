//! A fake GitHub REST API for the tests, on 127.0.0.1 only: `tests/servers/github/server.mjs`
//! (Node), which implements the endpoints pave calls with state, reads branches and trees from
//! the real bare repositories, injects faults on demand, and checks every request and response
//! against GitHub's `OpenAPI` description (`@octokit/openapi`). Dropping a [`GithubServer`] fails
//! the test when anything broke that contract.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::sandbox::{Sandbox, scrub};

/// The server script.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/github/server.mjs")
}

/// What the server needs from `tests/validators/node_modules` (installed by
/// `scripts/setup-validators`).
fn installed() -> Result<(), String> {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validators/node_modules");
    for needed in ["@octokit/openapi/generated/api.github.com.json", "ajv/package.json", "ajv-formats/package.json"] {
        if fs::metadata(modules.join(needed)).is_err() {
            return Err(format!("{} is missing", modules.join(needed).display()));
        }
    }
    let node = Command::new("node").arg("--version").stdin(Stdio::null()).output();
    match node {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err("node is not on PATH".to_string()),
    }
}

/// Whether tests run in CI, where a missing validator is a failure, not a skip.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether the fake can run: true when Node and the npm packages are there; otherwise a panic
/// under `CI=true`, a printed note and false elsewhere (the test then returns early).
#[track_caller]
pub fn require() -> bool {
    match installed() {
        Ok(()) => true,
        Err(why) => {
            let message = format!("the fake GitHub API cannot run: {why}; run scripts/setup-validators");
            assert!(!in_ci(), "{message} (CI=true: a missing validator fails the build)");
            eprintln!("SKIPPED {message}");
            false
        }
    }
}

static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// One API request the fake served.
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    /// Its number, from 1 (violations name it).
    pub seq: u64,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without `?`.
    pub query: String,
    /// The status answered.
    pub status: u16,
    /// Whether a fault answered it.
    pub injected: bool,
    /// The operationId of the description (`pulls/create`), when the path is GitHub's.
    pub operation: Option<String>,
    /// `OWNER/NAME` (or the org of `/orgs/{org}/...`), when the path names one.
    pub repo: Option<String>,
    /// When it arrived, in milliseconds since the epoch.
    pub timestamp: u64,
    /// How long the answer took (faults' delays included).
    #[serde(default)]
    pub duration_ms: u64,
    /// Whether the client had hung up when the answer was ready (it timed out).
    #[serde(default)]
    pub client_gone: bool,
}

/// A request or response that broke GitHub's contract.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The request's [`Request::seq`].
    pub seq: u64,
    /// `request` (pave sent something GitHub's description refuses), `endpoint` (no such
    /// endpoint, or one the fake does not implement), `response` (the fake answered something
    /// the description refuses), `fault` (an injected fault did), `fake` (the fake crashed).
    pub kind: String,
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// The request's query.
    pub query: String,
    /// The operation, when the path is GitHub's.
    pub operation: Option<String>,
    /// What is wrong, one line each.
    pub problems: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query = if self.query.is_empty() { String::new() } else { format!("?{}", self.query) };
        write!(f, "#{} {} {} {}{query}", self.seq, self.kind, self.method, self.path)?;
        if let Some(op) = &self.operation {
            write!(f, " ({op})")?;
        }
        for p in &self.problems {
            write!(f, "\n    {p}")?;
        }
        Ok(())
    }
}

/// A repository of the fake, standing for the bare repository `GIT_ROOT/OWNER/NAME.git`.
#[derive(Debug, Clone)]
pub struct Repo(Map<String, Value>);

impl From<Repo> for Value {
    fn from(item: Repo) -> Self {
        Value::Object(item.0)
    }
}

impl Repo {
    /// `OWNER/NAME`, owned by an organization, public, on `main`, not archived, no topics.
    pub fn new(owner: &str, name: &str) -> Self {
        let mut m = Map::new();
        m.insert("owner".into(), owner.into());
        m.insert("name".into(), name.into());
        Self(m)
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// Archived (read-only: GitHub refuses pull requests).
    pub fn archived(self) -> Self {
        self.set("archived", true)
    }

    /// A fork.
    pub fn fork(self) -> Self {
        self.set("fork", true)
    }

    /// Private.
    pub fn private(self) -> Self {
        self.set("private", true)
    }

    /// Its topics.
    pub fn topics(self, topics: &[&str]) -> Self {
        self.set("topics", topics.iter().map(|t| Value::from(*t)).collect::<Vec<_>>())
    }

    /// Its default branch.
    pub fn default_branch(self, branch: &str) -> Self {
        self.set("default_branch", branch)
    }

    /// Owned by a user, not an organization.
    pub fn user_owned(self) -> Self {
        self.set("owner_type", "User")
    }

    /// Its bare repository, relative to the git root (default `OWNER/NAME.git`).
    pub fn git_dir(self, dir: &str) -> Self {
        self.set("git_dir", dir)
    }

    /// Its `clone_url` (default: `--git-url` + `/OWNER/NAME.git`).
    pub fn clone_url(self, url: &str) -> Self {
        self.set("clone_url", url)
    }
}

/// A pull request someone already opened.
#[derive(Debug, Clone)]
pub struct Pull(Map<String, Value>);

impl From<Pull> for Value {
    fn from(item: Pull) -> Self {
        Value::Object(item.0)
    }
}

impl Pull {
    /// An open pull request of `head` (a branch of `OWNER/REPO`) into the default branch, by
    /// the token's user.
    pub fn new(owner: &str, repo: &str, head: &str) -> Self {
        let mut m = Map::new();
        m.insert("owner".into(), owner.into());
        m.insert("repo".into(), repo.into());
        m.insert("head".into(), head.into());
        Self(m)
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// Into `base`.
    pub fn base(self, base: &str) -> Self {
        self.set("base", base)
    }

    /// Opened by `login` (`someone-else`).
    pub fn user(self, login: &str) -> Self {
        self.set("user", login)
    }

    /// Its title.
    pub fn title(self, title: &str) -> Self {
        self.set("title", title)
    }

    /// Its body.
    pub fn body(self, body: &str) -> Self {
        self.set("body", body)
    }

    /// Closed (not merged).
    pub fn closed(self) -> Self {
        self.set("state", "closed")
    }

    /// A draft.
    pub fn draft(self) -> Self {
        self.set("draft", true)
    }

    /// From the fork of `login` (the head branch is in `LOGIN/REPO`).
    pub fn head_owner(self, login: &str) -> Self {
        self.set("head_owner", login)
    }

    /// Opened at `at` (`2026-12-01T09:00:00Z`) instead of now.
    pub fn created_at(self, at: &str) -> Self {
        self.set("created_at", at)
    }
}

/// A check run on a commit.
#[derive(Debug, Clone)]
pub struct CheckRun(Map<String, Value>);

impl From<CheckRun> for Value {
    fn from(item: CheckRun) -> Self {
        Value::Object(item.0)
    }
}

impl CheckRun {
    /// A completed, successful check run `name` on the commit `rev` (a sha, or a branch or tag
    /// of the bare repository, resolved when it is added).
    pub fn new(owner: &str, repo: &str, rev: &str, name: &str) -> Self {
        let mut m = Map::new();
        m.insert("owner".into(), owner.into());
        m.insert("repo".into(), repo.into());
        let key = if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) { "sha" } else { "ref" };
        m.insert(key.into(), rev.into());
        m.insert("name".into(), name.into());
        Self(m)
    }

    /// `queued`, `in_progress` or `completed`.
    pub fn status(mut self, status: &str) -> Self {
        self.0.insert("status".into(), status.into());
        self
    }

    /// `success`, `failure`, `cancelled`, ... (for a completed run).
    pub fn conclusion(mut self, conclusion: &str) -> Self {
        self.0.insert("conclusion".into(), conclusion.into());
        self
    }
}

/// A fault rule: requests whose method and path match are answered `status` (GitHub's error
/// shape unless a body is given) after `delay_ms`, `times` times (for ever by default); a rule
/// without a status only delays. Rules are tried in the order they were added.
#[derive(Debug, Clone)]
pub struct Fault(Map<String, Value>);

impl From<Fault> for Value {
    fn from(item: Fault) -> Self {
        Value::Object(item.0)
    }
}

impl Fault {
    /// A rule for `method` (`*` for any) and paths matching the regex `path_regex`
    /// (JavaScript syntax, unanchored, on the path without the query).
    pub fn new(method: &str, path_regex: &str) -> Self {
        let mut m = Map::new();
        m.insert("method".into(), method.into());
        m.insert("path_regex".into(), path_regex.into());
        Self(m)
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The status answered.
    pub fn status(self, status: u16) -> Self {
        self.set("status", status)
    }

    /// A header of the answer (on top of the usual rate-limit headers).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let headers = self.0.entry("headers").or_insert_with(|| json!({}));
        headers[name] = value.into();
        self
    }

    /// The body answered, instead of GitHub's `{message, documentation_url, status}`.
    pub fn body(self, body: Value) -> Self {
        self.set("body", body)
    }

    /// The `message` of GitHub's error body.
    pub fn message(self, message: &str) -> Self {
        self.set("message", message)
    }

    /// Applies to the next `n` matching requests only.
    pub fn times(self, n: u32) -> Self {
        self.set("times", n)
    }

    /// Applies to the next matching request only.
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// Waits this long before answering (or before the normal handling, without a status).
    pub fn delay_ms(self, ms: u64) -> Self {
        self.set("delay_ms", ms)
    }

    /// 401 Bad credentials (a revoked token).
    pub fn bad_credentials(method: &str, path_regex: &str) -> Self {
        Self::new(method, path_regex).status(401)
    }

    /// The primary rate limit: 403, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` `reset_in`
    /// seconds from the answer.
    pub fn rate_limited(method: &str, path_regex: &str, reset_in: u64) -> Self {
        Self::new(method, path_regex).status(403).set("reset_in", reset_in)
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(method: &str, path_regex: &str, retry_after: u64) -> Self {
        Self::new(method, path_regex).status(429).header("Retry-After", &retry_after.to_string())
    }

    /// A secondary rate limit: 403 with `Retry-After` and GitHub's message.
    pub fn secondary_rate_limit(method: &str, path_regex: &str, retry_after: u64) -> Self {
        Self::new(method, path_regex)
            .status(403)
            .header("Retry-After", &retry_after.to_string())
            .message("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.")
    }

    /// A server error (500, 502, 503, 504).
    pub fn server_error(method: &str, path_regex: &str, status: u16) -> Self {
        Self::new(method, path_regex).status(status)
    }

    /// A slow answer: the normal one, `ms` late.
    pub fn slow(method: &str, path_regex: &str, ms: u64) -> Self {
        Self::new(method, path_regex).delay_ms(ms)
    }
}

/// The fake GitHub API; killed on drop, which panics (unless the test already does) when any
/// request or response broke GitHub's contract.
pub struct GithubServer {
    child: Child,
    port: u16,
    /// `https` when started with `--tls-cert`.
    scheme: &'static str,
    stderr: PathBuf,
    agent: ureq::Agent,
}

impl GithubServer {
    /// Serves an API whose repositories are the bare repositories under the sandbox's
    /// `git_root` (`OWNER/NAME.git`), to clients that give `token`.
    #[track_caller]
    pub fn start(sb: &Sandbox, git_root: &str, token: &str) -> Self {
        Self::start_with(sb, git_root, token, &[])
    }

    /// [`GithubServer::start`] with more options of the server: `--max-per-page N` (the
    /// largest page it serves, whatever `per_page` asks), `--git-url URL` (the base of
    /// `clone_url`, default `file://GIT_ROOT`), `--user LOGIN` (the token's user, default
    /// `pave-bot`), `--state FILE` (a seed document, as [`GithubServer::seed`] takes).
    #[track_caller]
    pub fn start_with(sb: &Sandbox, git_root: &str, token: &str, extra: &[&str]) -> Self {
        if let Err(why) = installed() {
            panic!(
                "the fake GitHub API cannot run: {why}; run scripts/setup-validators (check github_server::require() first)"
            );
        }
        let n = SERVERS.fetch_add(1, Ordering::SeqCst);
        let dir = sb.path(&format!("github-{n}"));
        fs::create_dir_all(&dir).unwrap();
        let (port_file, stderr) = (dir.join("port"), dir.join("stderr"));
        let mut cmd = Command::new("node");
        scrub(&mut cmd, sb.root());
        cmd.arg(script())
            .arg("--port-file")
            .arg(&port_file)
            .arg("--git-root")
            .arg(sb.path(git_root))
            .args(["--token", token])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap());
        let mut child = cmd.spawn().expect("start tests/servers/github/server.mjs with node");
        let port = crate::git_server::wait_for_port(&mut child, &port_file, &stderr, "the fake GitHub");
        // Over https the control calls trust the server's own certificate, and nothing else.
        let cert = extra.iter().position(|a| *a == "--tls-cert").and_then(|i| extra.get(i + 1));
        let mut config =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_mins(1)));
        if let Some(cert) = cert {
            let pem = fs::read(cert).unwrap();
            let roots = vec![ureq::tls::Certificate::from_pem(&pem).unwrap()];
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .provider(ureq::tls::TlsProvider::NativeTls)
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(roots)))
                    .build(),
            );
        }
        let agent = ureq::Agent::new_with_config(config.build());
        let scheme = if cert.is_some() { "https" } else { "http" };
        Self { child, port, scheme, stderr, agent }
    }

    /// The API root, like `https://api.github.com`: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port())
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server printed on stderr (its start time, the violations as they happened).
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// A call of the control API; Err with the reason when it fails.
    fn try_control(&self, method: &str, name: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}/__control/{name}", self.url());
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Content-Type", "application/json")
            .body(body.map(Value::to_string).unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let mut response = self.agent.run(request).map_err(|e| format!("{method} {url}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| format!("{method} {url}: {e}"))?;
        if status != 200 {
            return Err(format!("{method} {url}: {status} {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{method} {url}: {e}: {text}"))
    }

    /// A call of the control API; panics when it fails.
    #[track_caller]
    fn control(&self, method: &str, name: &str, body: Option<&Value>) -> Value {
        self.try_control(method, name, body)
            .unwrap_or_else(|e| panic!("control API of the fake GitHub: {e}\n{}", self.stderr()))
    }

    /// Adds (or replaces) a repository; returns it as `GET /repos/OWNER/NAME` shows it.
    #[track_caller]
    pub fn add_repo(&self, repo: Repo) -> Value {
        self.control("POST", "repos", Some(&Value::Object(repo.0)))
    }

    /// Adds the team `slug` of the organization `org` (reviews can be requested from it).
    #[track_caller]
    pub fn add_team(&self, org: &str, slug: &str) {
        self.control("POST", "teams", Some(&json!({ "org": org, "slug": slug })));
    }

    /// Adds a pull request someone opened; returns its number.
    #[track_caller]
    pub fn add_pull(&self, pull: Pull) -> u64 {
        self.control("POST", "pulls", Some(&Value::Object(pull.0)))["number"].as_u64().unwrap()
    }

    /// Adds a check run.
    #[track_caller]
    pub fn add_check_run(&self, run: CheckRun) {
        self.control("POST", "check-runs", Some(&Value::Object(run.0)));
    }

    /// Seeds many things at once: `{repos: [...], teams: [...], pulls: [...], check_runs:
    /// [...], faults: [...]}`, each item as the builders above make them.
    #[track_caller]
    pub fn seed(&self, doc: &Value) -> Value {
        self.control("POST", "seed", Some(doc))
    }

    /// Marks pull request `number` merged (closed, `merged_at`, `merge_commit_sha` the base
    /// branch's commit now); merge the branch in the bare repository too.
    #[track_caller]
    pub fn merge_pull(&self, owner: &str, repo: &str, number: u64) -> Value {
        self.control("POST", "pulls/merge", Some(&json!({ "owner": owner, "repo": repo, "number": number })))
    }

    /// Closes pull request `number` without merging it.
    #[track_caller]
    pub fn close_pull(&self, owner: &str, repo: &str, number: u64) -> Value {
        self.control("POST", "pulls/close", Some(&json!({ "owner": owner, "repo": repo, "number": number })))
    }

    /// [`GithubServer::merge_pull`] at `at` (`2026-12-03T15:00:00Z`) instead of now.
    #[track_caller]
    pub fn merge_pull_at(&self, owner: &str, repo: &str, number: u64, at: &str) -> Value {
        let body = json!({ "owner": owner, "repo": repo, "number": number, "at": at });
        self.control("POST", "pulls/merge", Some(&body))
    }

    /// [`GithubServer::close_pull`] at `at` instead of now.
    #[track_caller]
    pub fn close_pull_at(&self, owner: &str, repo: &str, number: u64, at: &str) -> Value {
        let body = json!({ "owner": owner, "repo": repo, "number": number, "at": at });
        self.control("POST", "pulls/close", Some(&body))
    }

    /// Adds a fault rule (after the others).
    #[track_caller]
    pub fn fault(&self, fault: Fault) {
        self.control("POST", "faults", Some(&Value::Object(fault.0)));
    }

    /// Removes every fault rule.
    #[track_caller]
    pub fn clear_faults(&self) {
        self.control("DELETE", "faults", None);
    }

    /// Every pull request of `OWNER/REPO`, as `GET /repos/OWNER/REPO/pulls/N` would show it.
    #[track_caller]
    pub fn pulls(&self, owner: &str, repo: &str) -> Vec<Value> {
        let v = self.control("GET", &format!("pulls?owner={owner}&repo={repo}"), None);
        v.as_array().cloned().unwrap_or_default()
    }

    /// The comments on pull request `number`, as GitHub shows them.
    #[track_caller]
    pub fn comments(&self, owner: &str, repo: &str, number: u64) -> Vec<Value> {
        let v = self.control("GET", &format!("comments?owner={owner}&repo={repo}&number={number}"), None);
        v.as_array().cloned().unwrap_or_default()
    }

    /// The names of the labels of pull request `number`.
    #[track_caller]
    pub fn labels(&self, owner: &str, repo: &str, number: u64) -> Vec<String> {
        let v = self.control("GET", &format!("labels?owner={owner}&repo={repo}&number={number}"), None);
        v.as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_string()).collect()
    }

    /// Every API request served so far (the control API's are not counted).
    #[track_caller]
    pub fn requests(&self) -> Vec<Request> {
        serde_json::from_value(self.control("GET", "requests", None)).unwrap()
    }

    /// Forgets the requests served so far (to look at one run's alone).
    #[track_caller]
    pub fn clear_requests(&self) {
        self.control("DELETE", "requests", None);
    }

    /// How many API requests named each repository (`OWNER/NAME`; an org for its listing).
    #[track_caller]
    pub fn calls_per_repo(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in self.requests() {
            *out.entry(r.repo.unwrap_or_default()).or_insert(0) += 1;
        }
        out
    }

    /// The violations recorded so far (they stay, and fail the test on drop).
    #[track_caller]
    pub fn violations(&self) -> Vec<Violation> {
        serde_json::from_value(self.control("GET", "violations", None)).unwrap()
    }

    /// The violations recorded so far, forgotten by the server: for tests that provoke them.
    #[track_caller]
    pub fn take_violations(&self) -> Vec<Violation> {
        serde_json::from_value(self.control("POST", "violations/take", None)).unwrap()
    }
}

impl Drop for GithubServer {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        let violations = if panicking { Ok(Value::Null) } else { self.try_control("GET", "violations", None) };
        let _ = self.child.kill();
        let _ = self.child.wait();
        if panicking {
            return;
        }
        let violations: Vec<Violation> = match violations.map(serde_json::from_value) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("the fake GitHub's violations do not parse: {e}"),
            Err(e) => panic!("the fake GitHub did not answer at the end of the test: {e}\n{}", self.stderr()),
        };
        if !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            panic!(
                "{} request(s) or response(s) broke GitHub's API description (tests/servers/github):\n{}",
                violations.len(),
                list.join("\n")
            );
        }
    }
}
