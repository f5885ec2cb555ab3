//! A real OpenSSH server on 127.0.0.1 for the ssh remotes, started and stopped by the tests:
//! the test's own user signs in with a key made for it, and `git-upload-pack` and
//! `git-receive-pack` run in the user's shell as on any git host reached over ssh. Clients reach
//! it through `PATH`: a `ssh` in front of the real one that reads this server's client
//! configuration (key, `known_hosts`), since ssh takes its files from the user's home directory
//! in the password database, not from `HOME`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::git_server::closed_port;
use crate::sandbox::Sandbox;

const SSHD: &str = "/usr/sbin/sshd";

/// A `Host` of the clients' configuration that names the server (`HostName`, `Port`), as a user's
/// `~/.ssh/config` names a host.
pub const ALIAS: &str = "pave-test-host";

static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// How a client of the server is set up: what `PATH`'s `ssh` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// The authorised key, and the server's host key in `known_hosts`.
    Trusted,
    /// An empty `known_hosts`: the host key is unknown.
    UnknownHost,
    /// A key the server does not accept.
    WrongKey,
}

/// An sshd serving the test's user on a port of 127.0.0.1; killed on drop.
pub struct SshServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl SshServer {
    /// Starts sshd with a host key, a client key it accepts and one it does not, under the
    /// sandbox's `sshd-N/`.
    #[track_caller]
    pub fn start(sb: &Sandbox) -> Self {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (scripts/setup-validators does, as root)"
        );
        let n = SERVERS.fetch_add(1, Ordering::SeqCst);
        let dir = sb.path(&format!("sshd-{n}"));
        fs::create_dir_all(dir.join("bin")).unwrap();
        for key in ["host_key", "client_key", "other_key"] {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
                .arg(dir.join(key))
                .stdin(Stdio::null())
                .status()
                .expect("run ssh-keygen (openssh-client)");
            assert!(status.success(), "ssh-keygen {key}");
        }
        fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        // sshd refuses to start without its privilege separation directory.
        let _ = fs::create_dir_all("/run/sshd");
        let port = closed_port();
        let d = dir.display();
        fs::write(
            dir.join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
                 PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nPermitRootLogin prohibit-password\nPidFile {d}/sshd.pid\nLogLevel ERROR\n"
            ),
        )
        .unwrap();
        let host_key = fs::read_to_string(dir.join("host_key.pub")).unwrap();
        let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
        fs::write(dir.join("known_hosts"), format!("[127.0.0.1]:{port} {}\n", host_key.join(" "))).unwrap();
        fs::write(dir.join("no_known_hosts"), "").unwrap();
        for (client, key, known) in [
            (Client::Trusted, "client_key", "known_hosts"),
            (Client::UnknownHost, "client_key", "no_known_hosts"),
            (Client::WrongKey, "other_key", "known_hosts"),
        ] {
            fs::write(
                dir.join(config_name(client)),
                format!(
                    "Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\nHost *\n  IdentityFile {d}/{key}\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile {d}/{known}\n  \
                     GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n"
                ),
            )
            .unwrap();
        }
        let shim = dir.join("bin/ssh");
        fs::write(&shim, "#!/bin/sh\nexec /usr/bin/ssh -F \"$PAVE_TEST_SSH_CONFIG\" \"$@\"\n").unwrap();
        sb.set_mode(&format!("sshd-{n}/bin/ssh"), 0o755);

        let stderr = fs::File::create(dir.join("stderr")).unwrap();
        let mut child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start sshd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("sshd exited ({status}): {}", fs::read_to_string(dir.join("stderr")).unwrap_or_default());
            }
            assert!(Instant::now() < deadline, "sshd did not listen on {port} in 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port, dir }
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `ssh://` URL of a repository at an absolute path.
    pub fn url(&self, path: &Path) -> String {
        format!("ssh://127.0.0.1:{}{}", self.port, path.display())
    }

    /// The environment of a pave run whose `ssh` is a client of this server set up as `client`.
    pub fn env(&self, client: Client) -> Vec<(&'static str, String)> {
        let path = std::env::var("PATH").unwrap_or_default();
        vec![
            ("PATH", format!("{}:{path}", self.dir.join("bin").display())),
            ("PAVE_TEST_SSH_CONFIG", self.dir.join(config_name(client)).display().to_string()),
        ]
    }

    /// A `GIT_SSH_COMMAND` that signs in to this server without the `PATH` shim.
    pub fn ssh_command(&self) -> String {
        format!("ssh -F {}", self.dir.join(config_name(Client::Trusted)).display())
    }
}

/// The test's user, as sshd names it in its messages (the user ssh signs in as by default).
pub fn user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn config_name(client: Client) -> &'static str {
    match client {
        Client::Trusted => "ssh_config",
        Client::UnknownHost => "ssh_config_unknown_host",
        Client::WrongKey => "ssh_config_wrong_key",
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
