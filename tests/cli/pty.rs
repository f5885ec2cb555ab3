//! The real prompts, on a pseudo-terminal (dialoguer refuses a stdin that is not a terminal):
//! the template picker, text with re-asking, a hidden secret, yes/no, a choice, and the
//! confirmation an experimental template needs. Expectations are substrings, never screens.

use std::process::Command;
use std::time::Duration;

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::PtySession;

use crate::sandbox::Sandbox;
use crate::support::Test;

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

/// pave on a pseudo-terminal, with everything it printed kept for later checks.
struct Pty {
    session: PtySession,
    transcript: String,
    sandbox: Sandbox,
}

impl Pty {
    /// Spawns the test's command on a terminal; `echo` turns the terminal's echo back on (rexpect
    /// turns it off), as a user's terminal has it.
    fn spawn(t: Test, echo: bool) -> Self {
        let mut cmd = t.command();
        cmd.env("TERM", "xterm");
        if echo {
            cmd = with_echo(&cmd);
        }
        let options = Options::new().timeout_ms(Some(10_000)).strip_ansi_escape_codes(true);
        let session = rexpect::session::spawn_with_options(cmd, options).expect("spawn on a pty");
        Self { session, transcript: String::new(), sandbox: t.into_sandbox() }
    }

    /// Waits for `text` to appear.
    #[track_caller]
    fn expect(&mut self, text: &str) {
        match self.session.exp_string(text) {
            Ok(before) => {
                self.transcript.push_str(&before);
                self.transcript.push_str(text);
            }
            Err(e) => panic!("waiting for {text:?}: {e}\n--- transcript so far ---\n{}", self.transcript),
        }
    }

    /// Types keys.
    fn send(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Waits for the end and returns the exit code.
    #[track_caller]
    fn finish(mut self) -> (i32, String, Sandbox) {
        match self.session.exp_eof() {
            Ok(rest) => self.transcript.push_str(&rest),
            Err(e) => panic!("waiting for the end: {e}\n--- transcript ---\n{}", self.transcript),
        }
        let code = match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("pave did not exit normally: {other:?}"),
        };
        (code, self.transcript, self.sandbox)
    }
}

/// The same command, run by a shell that first turns the terminal's echo on.
fn with_echo(cmd: &Command) -> Command {
    let mut wrapped = Command::new("sh");
    wrapped
        .arg("-c")
        .arg("stty echo 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            wrapped.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

fn answers(sandbox: &Sandbox, dest: &str) -> toml::Table {
    let doc: toml::Table = sandbox.read(&format!("{dest}/.pave.toml")).parse().unwrap();
    doc["answers"].as_table().unwrap().clone()
}

#[test]
fn new_pty_picks_a_template_with_arrow_keys() {
    let mut pty = Pty::spawn(Test::golden_paths().arg("new"), false);
    pty.expect("Golden path");
    pty.expect("flask-service");
    pty.send(DOWN);
    pty.send(ENTER);
    pty.expect("Service name");
    pty.send("payments\r");
    pty.expect("Created payments from node-service 0.9.0");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 0, "{transcript}");
    assert!(!transcript.contains("express-service"), "a retired template is never offered:\n{transcript}");
    assert_eq!(sandbox.read("payments/README.md"), "# payments (node-service 0.9.0)\n");
}

#[test]
fn new_pty_reasks_an_invalid_answer_showing_the_rule() {
    let mut pty = Pty::spawn(Test::svc().args(["new", "svc", "out", "--defaults"]), false);
    pty.expect("Service name");
    pty.send("Payments_API\r");
    pty.expect("rule: ^[a-z][a-z0-9-]{1,38}[a-z0-9]$");
    pty.send("payments\r");
    pty.expect("Owning team");
    pty.send("team-payments\r");
    pty.expect("Created out from svc 1.0.0");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 0, "{transcript}");
    let answers = answers(&sandbox, "out");
    assert_eq!(answers["service_name"].as_str(), Some("payments"));
    assert_eq!(answers["team"].as_str(), Some("team-payments"));
}

#[test]
fn new_pty_defaults_asks_only_questions_without_a_default() {
    let mut pty = Pty::spawn(Test::svc().args(["new", "svc", "out", "--defaults"]), false);
    pty.expect("Service name");
    pty.send("payments\r");
    pty.expect("Owning team");
    pty.send("team-payments\r");
    pty.expect("Created out");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 0, "{transcript}");
    for not_asked in ["Tier", "Replicas", "Needs a database", "image", "api_token"] {
        assert!(!transcript.contains(not_asked), "{not_asked} was asked:\n{transcript}");
    }
    assert_eq!(answers(&sandbox, "out")["tier"].as_str(), Some("tier-2"));
}

#[test]
fn new_pty_secret_answer_is_not_echoed() {
    let t = Test::new()
        .template("vault", "stable")
        .manifest(
            "vault",
            "1.0.0",
            "[template]\n[questions.api_token]\ntype = \"string\"\nhelp = \"API token\"\nsecret = true\n",
        )
        .file("vault", "1.0.0", "token.txt.tera", "token={{ api_token }}\n")
        .args(["new", "vault", "out"]);
    let mut pty = Pty::spawn(t, true);
    pty.expect("API token");
    // dialoguer turns echo off (flushing pending input) just after drawing the prompt.
    std::thread::sleep(Duration::from_millis(300));
    pty.send("s3cr3t-t0ken\r");
    pty.expect("Created out from vault 1.0.0");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 0, "{transcript}");
    assert!(!transcript.contains("s3cr3t"), "the secret was shown:\n{transcript}");
    assert_eq!(sandbox.read("out/token.txt"), "token=s3cr3t-t0ken\n");
    let record = sandbox.read("out/.pave.toml");
    assert!(!record.contains("s3cr3t") && !record.contains("api_token"), "{record}");
}

#[test]
fn new_pty_answers_yes_no_and_choice_questions() {
    let t = Test::svc().args(["new", "svc", "out", "-d", "service_name=payments", "-d", "team=t"]);
    let mut pty = Pty::spawn(t, false);
    pty.expect("Tier");
    pty.expect("tier-3");
    pty.send(DOWN);
    pty.send(ENTER);
    pty.expect("Replicas");
    pty.send(ENTER);
    pty.expect("Needs a database");
    pty.send("y");
    pty.expect("database_engine");
    pty.expect("mysql");
    pty.send(DOWN);
    pty.send(ENTER);
    pty.expect("image");
    pty.send(ENTER);
    pty.expect("api_token");
    std::thread::sleep(Duration::from_millis(300));
    pty.send(ENTER);
    pty.expect("Created out from svc 1.0.0");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 0, "{transcript}");
    let answers = answers(&sandbox, "out");
    assert_eq!(answers["tier"].as_str(), Some("tier-3"));
    assert_eq!(answers["replicas"].as_integer(), Some(2));
    assert_eq!(answers["database"].as_bool(), Some(true));
    assert_eq!(answers["database_engine"].as_str(), Some("mysql"));
    assert_eq!(answers["image"].as_str(), Some("ghcr.io/example/payments"));
}

#[test]
fn new_pty_experimental_template_asks_for_confirmation() {
    let t = Test::golden_paths().args(["new", "worker-job", "out", "-d", "service_name=nightly"]);
    let mut pty = Pty::spawn(t, false);
    pty.expect("worker-job is experimental");
    pty.send("y");
    pty.expect("Created out from worker-job 0.1.0");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 0, "{transcript}");
    assert_eq!(sandbox.read("out/README.md"), "# nightly (worker-job 0.1.0)\n");
}

#[test]
fn new_pty_experimental_template_declined_writes_nothing() {
    let t = Test::golden_paths().args(["new", "worker-job", "out", "-d", "service_name=nightly"]);
    let mut pty = Pty::spawn(t, false);
    pty.expect("worker-job is experimental");
    pty.send("n");
    pty.expect("cancelled");
    let (code, transcript, sandbox) = pty.finish();
    assert_eq!(code, 2, "{transcript}");
    assert!(!sandbox.exists("out"));
}
