//! Real git servers for the remote fleet tests, on 127.0.0.1 only, started and stopped by the
//! tests: smart HTTP through `git http-backend` behind `tests/servers/git_http.py` (Basic auth
//! with a token, a request log, `--move-after-fetch`), bare repositories for `file://`, a closed
//! port, branch protection with a `pre-receive` hook; and pave run with a time limit.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::sandbox::{Sandbox, scrub};
use crate::support::PAVE;

/// How long one pave run may take before the test gives up on it (it is killed).
pub const RUN_LIMIT: Duration = Duration::from_mins(4);

/// The CGI host in front of `git http-backend`.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/git_http.py")
}

static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// A smart-HTTP git server serving the bare repositories of one directory; killed on drop.
pub struct GitHttpServer {
    child: Child,
    port: u16,
    log: PathBuf,
    tls: bool,
}

/// The certificate the TLS servers present (127.0.0.1 and localhost), for `SSL_CERT_FILE`.
pub const TLS_CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers/github/tls/cert.pem");
const TLS_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers/github/tls/key.pem");

impl GitHttpServer {
    /// Serves the bare repositories under the sandbox's `root` to clients that give `token` as
    /// their Basic password; `extra` are more options of the script (`--move-after-fetch B`).
    #[track_caller]
    pub fn start(sb: &Sandbox, root: &str, token: &str, extra: &[&str]) -> Self {
        Self::start_as(sb, root, token, extra, false)
    }

    /// The same over https, with the certificate [`TLS_CERT`].
    #[track_caller]
    pub fn start_tls(sb: &Sandbox, root: &str, token: &str, extra: &[&str]) -> Self {
        let mut all = vec!["--tls-cert", TLS_CERT, "--tls-key", TLS_KEY];
        all.extend_from_slice(extra);
        Self::start_as(sb, root, token, &all, true)
    }

    #[track_caller]
    fn start_as(sb: &Sandbox, root: &str, token: &str, extra: &[&str], tls: bool) -> Self {
        let n = SERVERS.fetch_add(1, Ordering::SeqCst);
        let dir = sb.path(&format!("server-{n}"));
        fs::create_dir_all(&dir).unwrap();
        let (log, port_file, stderr) = (dir.join("requests.jsonl"), dir.join("port"), dir.join("stderr"));
        let mut cmd = Command::new("python3");
        scrub(&mut cmd, sb.root());
        cmd.arg(script())
            .arg("--root")
            .arg(sb.path(root))
            .args(["--token", token])
            .arg("--log")
            .arg(&log)
            .arg("--port-file")
            .arg(&port_file)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap());
        let mut child = cmd.spawn().expect("start tests/servers/git_http.py with python3");
        let port = wait_for_port(&mut child, &port_file, &stderr, "the git server");
        fs::write(&log, "").unwrap();
        Self { child, port, log, tls }
    }

    /// Whether it serves https.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the bare repository `NAME.git` under the server's root.
    pub fn url(&self, name: &str) -> String {
        format!("{}://127.0.0.1:{}/{name}.git", if self.tls { "https" } else { "http" }, self.port)
    }

    /// Every request served so far: `{method, path, query, auth, status}`.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// Forgets the requests logged so far (to look at one run's alone).
    pub fn clear_log(&self) {
        fs::write(&self.log, "").unwrap();
    }

    /// The requests that belong to a push (`git-receive-pack`, advertisement included).
    pub fn receive_pack_requests(&self) -> Vec<serde_json::Value> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r["path"].as_str().unwrap_or_default().ends_with("git-receive-pack")
                    || r["query"].as_str().unwrap_or_default().contains("git-receive-pack")
            })
            .collect()
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Makes the checkout `from` a bare repository `to` (`git clone --bare`) that accepts pushes
/// over HTTP.
#[track_caller]
pub fn publish_bare(sb: &Sandbox, from: &str, to: &str) {
    sb.git(".", &["clone", "-q", "--bare", from, to]);
    sb.git(to, &["config", "http.receivepack", "true"]);
}

/// Branch protection: a `pre-receive` hook in the bare repository `repo` that refuses every
/// update of a ref starting with `prefix`, saying `message`.
#[track_caller]
pub fn protect(sb: &Sandbox, repo: &str, prefix: &str, message: &str) {
    let hook = format!(
        "#!/bin/sh\nwhile read -r old new ref; do\n  case \"$ref\" in\n    {prefix}*) echo \"{message}\" >&2; exit 1 ;;\n  esac\ndone\nexit 0\n"
    );
    let path = format!("{repo}/hooks/pre-receive");
    sb.write(&path, hook);
    sb.set_mode(&path, 0o755);
}

/// The port a server started by a test writes to `port_file` once it listens; panics with its
/// stderr when it exits first or takes over 20 s.
#[track_caller]
pub fn wait_for_port(child: &mut Child, port_file: &Path, stderr: &Path, what: &str) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = fs::read_to_string(port_file)
            && let Ok(port) = text.trim().parse::<u16>()
        {
            return port;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what} exited ({status}): {}", fs::read_to_string(stderr).unwrap_or_default());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not start in 20 s: {}", fs::read_to_string(stderr).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How a pave run ended.
pub struct Run {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

impl Run {
    /// Everything pave printed, for assertion messages.
    pub fn output(&self) -> String {
        format!("exit {:?}\n--- stdout ---\n{}--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// pave with the scrubbed environment plus `env`, in the sandbox's root, with the fixture
/// catalog when there is one; stdout and stderr go to files under `logs/`.
pub fn pave_command(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(PAVE);
    scrub(&mut cmd, sb.root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if sb.path("catalog/catalog.toml").exists() {
        cmd.arg("--catalog").arg(sb.path("catalog"));
    }
    cmd.args(args).current_dir(sb.root()).stdin(Stdio::null());
    cmd
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Runs pave and waits at most [`RUN_LIMIT`] for it (killing it and failing the test after).
#[track_caller]
pub fn run_pave(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Run {
    let n = RUNS.fetch_add(1, Ordering::SeqCst);
    fs::create_dir_all(sb.path("logs")).unwrap();
    let (out, err) = (sb.path(&format!("logs/{n}.out")), sb.path(&format!("logs/{n}.err")));
    let child = pave_command(sb, args, env)
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .expect("spawn pave");
    let code = wait_bounded(child, RUN_LIMIT, &format!("pave {args:?}"));
    Run { code, stdout: fs::read_to_string(out).unwrap(), stderr: fs::read_to_string(err).unwrap() }
}

/// Waits for a child at most `limit`; kills it and panics after.
#[track_caller]
pub fn wait_bounded(mut child: Child, limit: Duration, what: &str) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish in {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Spawns pave with stderr piped and kills it (SIGKILL) as soon as a line of stderr satisfies
/// `first`, or when it has not printed one within `limit`. Returns the stderr lines read and
/// whether pave was still running when it was killed.
pub fn kill_after_line(mut cmd: Command, first: impl Fn(&str) -> bool, limit: Duration) -> (Vec<String>, bool) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn pave");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut lines = Vec::new();
    let mut running = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(200))) {
            Ok(line) => {
                let hit = first(&line);
                lines.push(line);
                if hit {
                    running = child.try_wait().unwrap().is_none();
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() >= deadline => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(rx);
    let _ = reader.join();
    (lines, running)
}

/// Every file below `dir` that holds `needle` (bytes), relative to `dir`.
pub fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, needle: &[u8], out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                walk(base, &path, needle, out);
            } else if kind.is_file()
                && let Ok(bytes) = fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, needle, &mut out);
    out
}
