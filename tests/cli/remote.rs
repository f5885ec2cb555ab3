//! Catalogs in git and the user config: a catalog cloned from a bare repository, reused from the
//! cache, fetched again with --refresh; unreachable sources; credentials never written; and
//! `~/.config/pave/config.toml` with its place in the precedence.

use crate::fixtures::CATALOG_HEADER;
use crate::git_server::{GitHttpServer, TLS_CERT, files_holding};
use crate::sandbox::Sandbox;
use crate::ssh_server::{self, ALIAS, Client, SshServer};
use crate::support::Test;

const MANIFEST: &str = "[template]\n[questions.name]\ntype = \"string\"\n[questions.team]\ntype = \"string\"\ndefault = \"team-default\"\n";

/// `upstream/`: a catalog with `svc` 1.0.0, committed, and `remote.git`, a bare clone of it.
fn upstream() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("upstream/catalog.toml", format!("{CATALOG_HEADER}\n[[template]]\nname = \"svc\"\ndescription = \"svc\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n"));
    sb.write("upstream/templates/svc/1.0.0/template.toml", MANIFEST);
    sb.write("upstream/templates/svc/1.0.0/files/README.md.tera", "# {{ name }}\nowned by {{ team }}\n");
    sb.git("upstream", &["init", "-q", "-b", "main"]);
    sb.git("upstream", &["add", "-A"]);
    sb.git("upstream", &["commit", "-q", "-m", "svc 1.0.0"]);
    sb.git(".", &["clone", "-q", "--bare", "upstream", "remote.git"]);
    sb
}

/// Publishes `svc` 2.0.0 upstream and pushes it to the bare repository.
fn release_v2(sb: &Sandbox) {
    sb.write("upstream/templates/svc/2.0.0/template.toml", MANIFEST);
    sb.write("upstream/templates/svc/2.0.0/files/README.md.tera", "# {{ name }}\nowned by {{ team }}\nversion two\n");
    sb.git("upstream", &["add", "-A"]);
    sb.git("upstream", &["commit", "-q", "-m", "svc 2.0.0"]);
    sb.git("upstream", &["push", "-q", "../remote.git", "main"]);
}

#[test]
fn remote_catalog_from_a_bare_repository_creates_and_upgrades_after_refresh() {
    let sb = upstream();
    let remote = sb.path("remote.git").display().to_string();
    let out = Test::with_sandbox(sb)
        .args(["new", "svc", "proj", "--no-input", "-d", "name=payments", "--catalog", &remote])
        .stderr_contains("Created proj from svc 1.0.0")
        .run();
    assert_eq!(
        out.pave_toml("proj")["template"]["catalog"].as_str(),
        Some(remote.as_str()),
        ".pave.toml records the source"
    );
    assert!(
        out.files("home/.cache/pave/catalogs").iter().any(|f| f.ends_with("catalog.toml")),
        "cloned into the user cache"
    );

    release_v2(&out.sandbox);
    // The cached clone is reused: 2.0.0 is not seen without --refresh.
    let out = out.then().args(["upgrade", "proj"]).stderr_contains("svc 1.0.0 is the newest version").run();
    assert!(!out.read("proj/README.md").contains("version two"));
    // With --refresh the catalog is fetched again; the recorded source is used (no --catalog).
    let out = out.then().args(["upgrade", "proj", "--refresh", "--commit"]).stderr_contains("svc 1.0.0 → 2.0.0").run();
    assert_eq!(out.read("proj/README.md"), "# payments\nowned by team-default\nversion two\n");
    assert_eq!(out.git("proj", &["status", "--porcelain"]), "");
    assert_eq!(out.commit_count("proj"), 2);
}

#[test]
fn remote_catalog_that_is_unreachable_names_the_source() {
    Test::new()
        .args(["catalog", "list", "--catalog", "file:///nonexistent/paths.git"])
        .status(1)
        .stderr_contains("error: cannot fetch the catalog file:///nonexistent/paths.git")
        .stderr_contains("hint: check the URL and your access to it")
        .run();
}

#[test]
fn remote_catalog_credentials_are_never_shown_or_written() {
    let out = Test::new()
        .args(["catalog", "list", "--catalog", "https://bot:s3cret-token@127.0.0.1:9/platform/paths.git"])
        .status(1)
        .stderr_contains("cannot fetch the catalog https://127.0.0.1:9/platform/paths.git")
        .stderr_lacks("s3cret-token")
        .stderr_lacks("bot:")
        .run();
    for f in out.files("home") {
        assert!(!out.read_bytes(&format!("home/{f}")).windows(12).any(|w| w == b"s3cret-token"), "{f} holds the token");
    }
}

#[test]
fn remote_catalog_clone_keeps_no_credentials_in_its_config() {
    let sb = upstream();
    // A file:// URL cannot carry credentials, so check what the clone records for a plain one:
    // the source as given, nothing more.
    let remote = format!("file://{}", sb.path("remote.git").display());
    let out = Test::with_sandbox(sb).args(["catalog", "list", "--catalog", &remote]).stdout_contains("svc").run();
    let cache = out.path("home/.cache/pave/catalogs");
    let clones: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(clones.len(), 1, "{clones:?}");
    let config = std::fs::read_to_string(clones[0].join(".git/config")).unwrap();
    assert!(config.contains(&format!("url = {remote}")), "{config}");
}

/// A catalog served over https (smart HTTP, a token in the URL, the server trusted through
/// `SSL_CERT_FILE`): cloned shallow, the token sent and kept out of the clone.
#[test]
fn remote_catalog_over_https_is_cloned_shallow_and_keeps_no_credentials() {
    let sb = upstream();
    release_v2(&sb);
    let token = "cat-token-9d2e";
    let server = GitHttpServer::start_tls(&sb, ".", token, &[]);
    let url = server.url("remote");
    let with_token = url.replace("https://", &format!("https://bot:{token}@"));
    let out = Test::with_sandbox(sb)
        .env("SSL_CERT_FILE", TLS_CERT)
        .args(["catalog", "list", "--catalog", &with_token])
        .stdout_contains("svc")
        .stdout_contains("2.0.0")
        .stderr_lacks(token)
        .run();
    let cache = out.path("home/.cache/pave/catalogs");
    let clones: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(clones.len(), 1, "{clones:?}");
    let clone = &clones[0];
    assert!(clone.join(".git/shallow").is_file(), "not a shallow clone");
    let count = std::process::Command::new("git")
        .args(["-C", clone.to_str().unwrap(), "rev-list", "--count", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "1", "more than the tip came down");
    let config = std::fs::read_to_string(clone.join(".git/config")).unwrap();
    assert!(config.contains(&format!("url = {url}")), "{config}");
    assert_eq!(files_holding(&out.path("home"), token.as_bytes()), Vec::<String>::new(), "files holding the token");
    let requests = server.requests();
    let answered: Vec<_> = requests.iter().filter(|r| r["status"] != 401).collect();
    assert!(!answered.is_empty() && answered.iter().all(|r| r["user"] == "bot"), "{requests:?}");
}

/// A catalog over ssh, named scp-like through a `Host` of the user's ssh configuration
/// (`USER@ALIAS:/path`, the port in the configuration): `ssh` reaches the real sshd, the catalog
/// is cloned and read; a fresh release comes down with `--refresh`.
#[test]
fn remote_catalog_over_ssh_through_a_host_alias() {
    let sb = upstream();
    let server = SshServer::start(&sb);
    let url = format!("{}@{ALIAS}:{}", ssh_server::user(), sb.path("remote.git").display());
    let env = server.env(Client::Trusted);
    let list = |sb: Sandbox, args: &[&str], version: &str| {
        let mut t = Test::with_sandbox(sb);
        for (k, v) in &env {
            t = t.env(k, v);
        }
        t.args(["catalog", "list", "--catalog", &url]).args(args.iter().copied()).stdout_contains(version).run()
    };
    let out = list(sb, &[], "1.0.0");
    release_v2(&out);
    let out = list(out.then().into_sandbox(), &["--refresh"], "2.0.0");
    let cache = out.path("home/.cache/pave/catalogs");
    let clones: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(clones.len(), 1, "{clones:?}");
    let config = std::fs::read_to_string(clones[0].join(".git/config")).unwrap();
    assert!(config.contains(&format!("url = {url}")), "{config}");
}

/// A fixture catalog at `catalog/` that the test does NOT pass with --catalog.
fn with_config(config: &str) -> Test {
    let sb = Sandbox::new();
    sb.write("paths/catalog.toml", format!("{CATALOG_HEADER}\n[[template]]\nname = \"svc\"\ndescription = \"svc\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n"));
    sb.write("paths/templates/svc/1.0.0/template.toml", MANIFEST);
    sb.write("paths/templates/svc/1.0.0/files/README.md.tera", "# {{ name }}\nowned by {{ team }}\n");
    let config = config.replace("{paths}", &sb.path("paths").display().to_string());
    sb.write("home/.config/pave/config.toml", config);
    Test::with_sandbox(sb)
}

#[test]
fn config_file_sets_the_default_catalog_and_answers() {
    let out = with_config("catalog = \"{paths}\"\n\n[answers]\nteam = \"team-from-config\"\n")
        .args(["new", "svc", "proj", "--no-input", "--no-git", "-d", "name=payments"])
        .run();
    assert_eq!(out.read("proj/README.md"), "# payments\nowned by team-from-config\n");
}

#[test]
fn config_answers_yield_to_flags() {
    let out = with_config("catalog = \"{paths}\"\n\n[answers]\nteam = \"team-from-config\"\n")
        .args(["new", "svc", "proj", "--no-input", "--no-git", "-d", "name=payments", "-d", "team=team-cli"])
        .run();
    assert_eq!(out.read("proj/README.md"), "# payments\nowned by team-cli\n");
}

#[test]
fn config_catalog_yields_to_the_environment() {
    // PAVE_CATALOG=builtin beats the config file's catalog: svc is unknown there.
    with_config("catalog = \"{paths}\"\n")
        .env("PAVE_CATALOG", "builtin")
        .args(["new", "svc", "proj", "--no-input", "-d", "name=payments"])
        .status(2)
        .stderr_contains("unknown template `svc`")
        .run();
}

#[test]
fn config_that_is_malformed_names_file_and_line() {
    with_config("catalog = \"{paths}\"\ncolour = \"blue\"\n")
        .args(["catalog", "list"])
        .status(2)
        .stderr_contains("home/.config/pave/config.toml:2:1: unknown field `colour`")
        .run();
}
