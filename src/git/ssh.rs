//! git over SSH as git itself does it: the `ssh` program runs `git-upload-pack '/path'` (or
//! `git-receive-pack`) on the host, and libgit2 speaks git's protocol over the program's standard
//! input and output.
//!
//! libgit2's own SSH (git2's `ssh` feature, on libssh2) started OpenSSL whenever libgit2 started:
//! 1.6 M instructions, 15% of a local `pave upgrade`, in every command that opens a repository
//! and never a connection. The program also does what libssh2 did not: `~/.ssh/config` (`Host`
//! aliases, `IdentityFile`, `ProxyJump`), every kind of key and agent, and `known_hosts` as the
//! user's own `ssh` checks it.
//!
//! The program is chosen as git chooses it: `GIT_SSH_COMMAND` (a shell command), else
//! `core.sshCommand` of the user's or the system's git configuration, else `GIT_SSH` (a program),
//! else `ssh`. The default `ssh` runs with `BatchMode=yes`: a fleet's parallel connections never
//! stop to ask for a passphrase or a host key; an unknown host fails, and the message says how
//! to trust it. A port is passed as the program's kind expects it, which git calls its "ssh
//! variant": `GIT_SSH_VARIANT`, else `ssh.variant`, else the program's name (`plink`, `putty`
//! and `tortoiseplink` take `-P PORT`, the last also `-batch`; `simple` takes no port; anything
//! else OpenSSH's `-p PORT`).

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};

/// The schemes this transport takes: `ssh` and git's aliases for it. libgit2 sends scp-like
/// `user@host:path` remotes to the `ssh` transport too.
pub(super) const SCHEMES: [&str; 3] = ["ssh", "ssh+git", "git+ssh"];

/// Makes this transport's connection for a remote (registered by [`super::settings`]).
pub(super) fn factory(remote: &git2::Remote<'_>) -> Result<Transport, git2::Error> {
    // Stateful: the listing and the fetch (or push) that follows share one connection.
    Transport::smart(remote, false, Subtransport)
}

struct Subtransport;

impl SmartSubtransport for Subtransport {
    fn action(&self, url: &str, action: Service) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let service = match action {
            Service::UploadPackLs | Service::UploadPack => "git-upload-pack",
            Service::ReceivePackLs | Service::ReceivePack => "git-receive-pack",
        };
        let target = Target::parse(url).map_err(|m| git2::Error::from_str(&m))?;
        let connection = Connection::open(&target, service).map_err(|e| git2::Error::from_str(&e.to_string()))?;
        Ok(Box::new(connection))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// Where an ssh remote points.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    user: Option<String>,
    host: String,
    port: Option<String>,
    /// The path as the host's shell sees it: absolute, or `~user/…`, or relative to the home
    /// directory (scp-like `host:repo.git`).
    path: String,
}

impl Target {
    /// `ssh://[user@]host[:port]/path` (`/~user/path` is `~user/path`), or scp-like
    /// `[user@]host:path`. IPv6 hosts in brackets.
    fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("`{}` is not an ssh remote pave can reach: {why}", crate::url::redact(url));
        let (authority, path, with_port) = if let Some((_, rest)) = url.split_once("://") {
            let (authority, path) = rest.split_once('/').ok_or_else(|| bad("it has no path"))?;
            let path = if path.starts_with('~') { path.to_string() } else { format!("/{path}") };
            (authority, path, true)
        } else {
            let end = if url.starts_with('[') || url.contains("@[") { url.find(']').unwrap_or(0) } else { 0 };
            let colon = url[end..].find(':').map(|c| end + c).ok_or_else(|| bad("it has no `:`"))?;
            (&url[..colon], url[colon + 1..].to_string(), false)
        };
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, authority),
        };
        if user.is_some_and(|u| u.contains(':')) {
            return Err(bad("ssh signs in with keys, and a password in the URL is not used; remove it"));
        }
        let (host, port) = match hostport.strip_prefix('[').and_then(|h| h.split_once(']')) {
            Some((host, rest)) => (host, rest.strip_prefix(':')),
            None if with_port => match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            },
            None => (hostport, None),
        };
        let port = port.filter(|p| !p.is_empty());
        if host.is_empty() || path.trim_start_matches('/').is_empty() {
            return Err(bad("it needs a host and a path"));
        }
        // An option in disguise (`-oProxyCommand=…`) would run a command: git refuses these too.
        if host.starts_with('-') || user.is_some_and(|u| u.starts_with('-')) {
            return Err(bad("a host or user may not start with `-`"));
        }
        if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad("its port is not a number"));
        }
        Ok(Self { user: user.map(str::to_string), host: host.to_string(), port: port.map(str::to_string), path })
    }

    /// `user@host`, or `host`.
    fn destination(&self) -> String {
        match &self.user {
            Some(user) => format!("{user}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// The `ssh` command that reaches the host, for messages.
    fn ssh_command(&self) -> String {
        match &self.port {
            Some(port) => format!("ssh -p {port} {}", self.destination()),
            None => format!("ssh {}", self.destination()),
        }
    }
}

/// `s` in single quotes for a POSIX shell, as git quotes the path it sends (`!` outside the
/// quotes too, for csh).
fn quote(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' | '!' => {
                out.push('\'');
                out.push('\\');
                out.push(c);
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The program that opens the connection, chosen as git chooses it.
#[derive(Debug, PartialEq, Eq)]
enum Program {
    /// `GIT_SSH_COMMAND` or `core.sshCommand`: run by `sh`, with the arguments after it.
    Shell(String),
    /// `GIT_SSH`: a program, run as it is.
    Exec(String),
    /// `ssh` from `PATH`.
    Ssh,
}

/// The kind of program, for the options it takes (git's "ssh variant").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// OpenSSH, and any program not named otherwise: `-p PORT`.
    OpenSsh,
    /// `plink` and `putty` (of `PuTTY`): `-P PORT`.
    Plink,
    /// `tortoiseplink` (of `TortoiseGit`): `-batch`, `-P PORT`.
    TortoisePlink,
    /// A program that takes nothing but the destination and the command: no port.
    Simple,
}

impl Variant {
    /// `GIT_SSH_VARIANT`, else `ssh.variant` (`config`), else what `program`'s name says.
    fn chosen(program: &Program, config: Option<&git2::Config>) -> Self {
        let set = std::env::var("GIT_SSH_VARIANT")
            .ok()
            .or_else(|| config.and_then(|c| c.get_string("ssh.variant").ok()))
            .filter(|v| !v.trim().is_empty() && v.trim() != "auto");
        if let Some(name) = set {
            return match name.trim() {
                "simple" => Self::Simple,
                other => Self::named(other),
            };
        }
        match program {
            Program::Ssh => Self::OpenSsh,
            Program::Exec(path) => Self::named(path),
            // The first word of the command, as git takes it.
            Program::Shell(text) => Self::named(text.split_whitespace().next().unwrap_or_default()),
        }
    }

    /// The variant a program's path names (its file name, `.exe` or not), or a setting other
    /// than `simple` (which only a setting names).
    fn named(name: &str) -> Self {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
        match base.strip_suffix(".exe").unwrap_or(&base) {
            "plink" | "putty" => Self::Plink,
            "tortoiseplink" => Self::TortoisePlink,
            _ => Self::OpenSsh,
        }
    }
}

impl Program {
    fn chosen() -> (Self, Variant) {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let config = git2::Config::open_default().ok();
        let program = if let Some(command) = env("GIT_SSH_COMMAND") {
            Self::Shell(command)
        } else if let Some(command) =
            config.as_ref().and_then(|c| c.get_string("core.sshCommand").ok()).filter(|c| !c.trim().is_empty())
        {
            Self::Shell(command)
        } else {
            env("GIT_SSH").map_or(Self::Ssh, Self::Exec)
        };
        let variant = Variant::chosen(&program, config.as_ref());
        (program, variant)
    }

    /// The command line that runs `remote` on `target`'s host, with the port as `variant` takes
    /// it; an error when it takes none and the remote names one.
    fn command(&self, variant: Variant, target: &Target, remote: &str) -> io::Result<Command> {
        let mut cmd = match self {
            Self::Shell(text) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(format!("{text} \"$@\"")).arg(text);
                c
            }
            Self::Exec(program) => Command::new(program),
            Self::Ssh => {
                let mut c = Command::new("ssh");
                c.args(["-o", "BatchMode=yes"]);
                c
            }
        };
        if variant == Variant::TortoisePlink {
            cmd.arg("-batch");
        }
        if let Some(port) = &target.port {
            match variant {
                Variant::OpenSsh => cmd.args(["-p", port]),
                Variant::Plink | Variant::TortoisePlink => cmd.args(["-P", port]),
                Variant::Simple => {
                    return Err(io::Error::other(format!(
                        "{} takes no port (ssh variant `simple`), and the remote names port {port}: set \
                         GIT_SSH_VARIANT or ssh.variant to the program's kind (ssh, plink, putty, tortoiseplink)",
                        self.describe()
                    )));
                }
            };
        }
        cmd.arg(target.destination()).arg(remote);
        Ok(cmd)
    }

    fn describe(&self) -> String {
        match self {
            Self::Shell(text) => format!("`{text}` (GIT_SSH_COMMAND or core.sshCommand)"),
            Self::Exec(program) => format!("`{program}` (GIT_SSH)"),
            Self::Ssh => "`ssh`".to_string(),
        }
    }
}

/// One connection: the program, its standard input and output, and what it says on standard
/// error (read by a thread of its own, so a chatty program never blocks on a full pipe).
struct Connection {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<Vec<u8>>>,
    ended: Option<ExitStatus>,
    destination: String,
    /// `ssh [-p PORT] DESTINATION`, for messages.
    ssh: String,
}

impl Connection {
    fn open(target: &Target, service: &str) -> io::Result<Self> {
        let (program, variant) = Program::chosen();
        let remote = format!("{service} {}", quote(&target.path));
        let mut child = program
            .command(variant, target, &remote)?
            // The program signs in by itself: pave's tokens are none of its business.
            .env_remove("PAVE_GIT_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("could not run {}: {e}", program.describe())))?;
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut said = Vec::new();
                let _ = pipe.read_to_end(&mut said);
                said
            })
        });
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("ssh's standard input or output is missing"));
        };
        Ok(Self {
            child,
            stdin: Some(stdin),
            stdout,
            stderr,
            ended: None,
            destination: target.destination(),
            ssh: target.ssh_command(),
        })
    }

    /// Waits for the program to end (its input closed first).
    fn end(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.ended {
            return Ok(status);
        }
        let status = self.child.wait()?;
        self.ended = Some(status);
        Ok(status)
    }

    /// Why the connection broke, in ssh's words (its last lines on standard error).
    fn failure(&mut self, cause: &io::Error) -> io::Error {
        let status = self.end().map_or_else(|e| e.to_string(), |s| s.to_string());
        let said = self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
        let said = String::from_utf8_lossy(&said);
        let lines: Vec<&str> = said.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let said = lines[lines.len().saturating_sub(3)..].join("; ");
        let (host, ssh) = (&self.destination, &self.ssh);
        // ssh's refusal names the methods it tried: "Permission denied (publickey)."; a git
        // command's own "…: Permission denied" is a file on the host, not a key.
        let message = if said.contains("Permission denied (") {
            format!(
                "authentication failed: {host} refused the SSH key ({said}); pave signs in as `{ssh}` does: your agent, ~/.ssh/config and its keys"
            )
        } else if said.contains("Host key verification failed")
            || said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        {
            format!(
                "the host key of {host} is not trusted ({said}): check it and record it in ~/.ssh/known_hosts, for example by connecting once with `{ssh}`"
            )
        } else if said.is_empty() {
            format!("the SSH connection to {host} broke ({cause}; ssh: {status})")
        } else {
            format!("the SSH connection to {host} failed: {said} (ssh: {status})")
        };
        io::Error::other(message)
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stdout.read(buf) {
            Ok(0) if !buf.is_empty() => match self.end() {
                Ok(status) if status.success() => Ok(0),
                _ => Err(self.failure(&io::Error::from(io::ErrorKind::UnexpectedEof))),
            },
            Ok(n) => Ok(n),
            Err(e) => Err(self.failure(&e)),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(stdin) = self.stdin.as_mut() else { return Err(io::Error::from(io::ErrorKind::BrokenPipe)) };
        match stdin.write(buf) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.failure(&e)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.stdin.as_mut().map(Write::flush) {
            Some(Err(e)) => Err(self.failure(&e)),
            _ => Ok(()),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Closing its input ends the remote git command, and with it ssh.
        let _ = self.end();
        if let Some(thread) = self.stderr.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(user: Option<&str>, host: &str, port: Option<&str>, path: &str) -> Target {
        Target {
            user: user.map(str::to_string),
            host: host.to_string(),
            port: port.map(str::to_string),
            path: path.to_string(),
        }
    }

    #[test]
    fn urls_and_scp_like_remotes() {
        let parse = |u: &str| Target::parse(u).unwrap();
        assert_eq!(parse("ssh://git@github.com/acme/a.git"), target(Some("git"), "github.com", None, "/acme/a.git"));
        assert_eq!(parse("ssh://h:2222/srv/a.git"), target(None, "h", Some("2222"), "/srv/a.git"));
        assert_eq!(parse("git+ssh://u@[::1]:22/a"), target(Some("u"), "::1", Some("22"), "/a"));
        assert_eq!(parse("ssh://h/~alice/a.git"), target(None, "h", None, "~alice/a.git"));
        assert_eq!(parse("git@github.com:acme/a.git"), target(Some("git"), "github.com", None, "acme/a.git"));
        assert_eq!(parse("h:/srv/a.git"), target(None, "h", None, "/srv/a.git"));
        assert_eq!(parse("git@[::1]:a.git"), target(Some("git"), "::1", None, "a.git"));
    }

    #[test]
    fn options_in_disguise_and_passwords_are_refused() {
        for bad in [
            "ssh://-oProxyCommand=touch%20x/a",
            "-oProxyCommand=x:a",
            "ssh://-u@h/a",
            "ssh://u:secret@h/a",
            "ssh://h",
            "ssh://h:22x/a",
            "h:",
        ] {
            let e = Target::parse(bad).unwrap_err();
            assert!(!e.contains("secret"), "{e}");
        }
    }

    #[test]
    fn paths_are_quoted_for_the_remote_shell() {
        assert_eq!(quote("/srv/a.git"), "'/srv/a.git'");
        assert_eq!(quote("it's!"), "'it'\\''s'\\!''");
    }

    #[test]
    fn the_command_line() {
        let t = target(Some("git"), "h", Some("2222"), "/srv/a.git");
        let args = |p: &Program| {
            let c = p.command(Variant::chosen(p, None), &t, "git-upload-pack '/srv/a.git'").unwrap();
            std::iter::once(c.get_program())
                .chain(c.get_args())
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            args(&Program::Ssh),
            ["ssh", "-o", "BatchMode=yes", "-p", "2222", "git@h", "git-upload-pack '/srv/a.git'"]
        );
        assert_eq!(
            args(&Program::Shell("ssh -i key".into())),
            ["sh", "-c", "ssh -i key \"$@\"", "ssh -i key", "-p", "2222", "git@h", "git-upload-pack '/srv/a.git'"]
        );
        assert_eq!(args(&Program::Exec("/bin/myssh".into()))[..3], ["/bin/myssh", "-p", "2222"]);
        // PuTTY's programs take the port as -P, as git gives it them.
        assert_eq!(args(&Program::Exec("C:\\PuTTY\\PLINK.EXE".into()))[1..3], ["-P", "2222"]);
        assert_eq!(args(&Program::Shell("plink -i key.ppk".into()))[4..6], ["-P", "2222"]);
        assert_eq!(args(&Program::Exec("/opt/tortoiseplink".into()))[1..4], ["-batch", "-P", "2222"]);
    }

    #[test]
    fn a_variant_set_by_name_wins_and_simple_takes_no_port() {
        assert_eq!(Variant::named("putty"), Variant::Plink);
        assert_eq!(Variant::named("/usr/bin/ssh"), Variant::OpenSsh);
        assert_eq!(Variant::named("/usr/local/bin/simple"), Variant::OpenSsh, "only a setting names it");
        let program = Program::Exec("/usr/local/bin/wrapper".into());
        let with_port = target(None, "h", Some("2222"), "/a");
        let e = program.command(Variant::Simple, &with_port, "git-upload-pack '/a'").unwrap_err();
        assert!(e.to_string().contains("takes no port") && e.to_string().contains("2222"), "{e}");
        let without = target(None, "h", None, "/a");
        let c = program.command(Variant::Simple, &without, "git-upload-pack '/a'").unwrap();
        assert_eq!(c.get_args().count(), 2, "the destination and the command only");
    }
}
