//! A canned-answer stand-in for GitHub's REST API, as much as `pave fleet rollout` reads: an
//! organisation's repositories and their trees, the pull requests of a branch, the check runs of a
//! commit, over plain HTTP on 127.0.0.1, with
//! every request recorded. It validates nothing against GitHub's OpenAPI description; the
//! contract-checked server (`tests/servers/github`) supersedes it once it lands, with the same
//! method names (`add_repo`, `add_pull`, `add_check_run`, `merge_pull`, `requests`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

#[derive(Default)]
struct Data {
    /// `owner/name` → its pull requests, oldest first.
    pulls: HashMap<String, Vec<Value>>,
    /// head sha → its check runs.
    checks: HashMap<String, Vec<Value>>,
    /// organisation → its repositories.
    orgs: HashMap<String, Vec<Value>>,
    /// `owner/name` → the paths of its default branch's tree.
    trees: HashMap<String, Vec<String>>,
    /// `METHOD path?query`, in order.
    requests: Vec<String>,
}

/// The server; stops when dropped.
pub struct FakeGithub {
    port: u16,
    data: Arc<Mutex<Data>>,
    stop: Arc<AtomicBool>,
}

/// A pull request to seed.
pub struct Pull<'a> {
    /// The head branch.
    pub head: &'a str,
    /// The head commit.
    pub sha: &'a str,
    /// Opened at (`2026-12-01T10:00:00Z`).
    pub created_at: &'a str,
    /// A draft.
    pub draft: bool,
}

impl FakeGithub {
    /// Starts it on a free port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = Arc::new(Mutex::new(Data::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s) = (Arc::clone(&data), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    serve(stream, &d);
                }
            }
        });
        Self { port, data, stop }
    }

    /// `--api-url` for pave.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Makes `owner/name` known (with no pull request).
    pub fn add_repo(&self, repo: &str) {
        self.data.lock().unwrap().pulls.entry(repo.to_string()).or_default();
    }

    /// Lists `name` in organisation `org`, cloned from `clone_url`, its default branch holding
    /// `paths`.
    pub fn add_org_repo(&self, org: &str, name: &str, clone_url: &str, paths: &[&str]) {
        let mut data = self.data.lock().unwrap();
        data.orgs.entry(org.to_string()).or_default().push(json!({
            "full_name": format!("{org}/{name}"),
            "name": name,
            "owner": { "login": org },
            "archived": false,
            "fork": false,
            "topics": [],
            "default_branch": "main",
            "clone_url": clone_url,
        }));
        data.trees.insert(format!("{org}/{name}"), paths.iter().map(ToString::to_string).collect());
        data.pulls.entry(format!("{org}/{name}")).or_default();
    }

    /// Opens a pull request in `repo`; returns its number.
    pub fn add_pull(&self, repo: &str, p: &Pull<'_>) -> u64 {
        let mut data = self.data.lock().unwrap();
        let pulls = data.pulls.entry(repo.to_string()).or_default();
        let number = pulls.len() as u64 + 1;
        pulls.push(json!({
            "number": number,
            "html_url": format!("https://github.com/{repo}/pull/{number}"),
            "state": "open",
            "draft": p.draft,
            "title": "Upgrade",
            "body": null,
            "created_at": p.created_at,
            "merged_at": null,
            "closed_at": null,
            "head": { "ref": p.head, "sha": p.sha },
            "base": { "ref": "main", "sha": "0000000000000000000000000000000000000000" },
        }));
        number
    }

    /// Adds a check run to a commit (`conclusion` `None`: still running).
    pub fn add_check_run(&self, sha: &str, name: &str, conclusion: Option<&str>) {
        let status = if conclusion.is_some() { "completed" } else { "in_progress" };
        let run = json!({ "name": name, "status": status, "conclusion": conclusion });
        self.data.lock().unwrap().checks.entry(sha.to_string()).or_default().push(run);
    }

    /// Merges pull request `number` of `repo` at `at`.
    pub fn merge_pull(&self, repo: &str, number: u64, at: &str) {
        self.set(repo, number, &[("state", json!("closed")), ("merged_at", json!(at)), ("closed_at", json!(at))]);
    }

    /// Closes pull request `number` of `repo` at `at` without merging it.
    pub fn close_pull(&self, repo: &str, number: u64, at: &str) {
        self.set(repo, number, &[("state", json!("closed")), ("closed_at", json!(at))]);
    }

    fn set(&self, repo: &str, number: u64, fields: &[(&str, Value)]) {
        let mut data = self.data.lock().unwrap();
        let pull = &mut data.pulls.get_mut(repo).unwrap()[usize::try_from(number).unwrap() - 1];
        for (k, v) in fields {
            pull[*k] = v.clone();
        }
    }

    /// Every request so far: `GET /repos/…?…`.
    pub fn requests(&self) -> Vec<String> {
        self.data.lock().unwrap().requests.clone()
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Answers one request and closes the connection.
fn serve(stream: TcpStream, data: &Mutex<Data>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let mut words = first.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut data = data.lock().unwrap();
    data.requests.push(format!("{method} {target}"));
    let param = |k: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{k}="))).map(decode);
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let answer = match parts.as_slice() {
        ["repos", owner, name, "pulls"] if method == "GET" => data.pulls.get(&format!("{owner}/{name}")).map(|pulls| {
            let head = param("head").unwrap_or_default();
            let state = param("state").unwrap_or_else(|| "open".into());
            let picked: Vec<&Value> = pulls
                .iter()
                .rev()
                .filter(|p| head.is_empty() || format!("{owner}:{}", p["head"]["ref"].as_str().unwrap()) == head)
                .filter(|p| state == "all" || p["state"] == state.as_str())
                .collect();
            json!(picked)
        }),
        ["orgs", org, "repos"] if method == "GET" => data.orgs.get(*org).map(|repos| json!(repos)),
        ["repos", owner, name, "git", "trees", _] if method == "GET" => {
            data.trees.get(&format!("{owner}/{name}")).map(|paths| {
                let tree: Vec<Value> = paths.iter().map(|p| json!({ "path": p, "type": "blob" })).collect();
                json!({ "tree": tree, "truncated": false })
            })
        }
        ["repos", _, _, "commits", sha, "check-runs"] if method == "GET" => {
            let runs = data.checks.get(*sha).cloned().unwrap_or_default();
            Some(json!({ "total_count": runs.len(), "check_runs": runs }))
        }
        _ => None,
    };
    drop(data);
    let (status, body) = match answer {
        Some(v) => ("200 OK", v.to_string()),
        None => ("404 Not Found", json!({ "message": "Not Found" }).to_string()),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
