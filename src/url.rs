//! URLs of git remotes: credentials kept out of everything pave shows or stores, and the place
//! of a remote's mirror in the cache.

/// The URL with any `user:password@` removed.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if path.is_empty() && !rest.contains('/') {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

/// `message` without `url`'s credentials: the URL itself is shown redacted, and its userinfo
/// is masked wherever else it appears.
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let mut m = message.replace(url, &redact(url));
    if let Some((_, rest)) = url.split_once("://")
        && let Some((userinfo, _)) = rest.split_once('@')
    {
        m = m.replace(userinfo, "***");
    }
    m
}

/// Whether a `--repos-from` line names a git remote rather than a local directory.
pub(crate) fn is_remote(line: &str) -> bool {
    line.contains("://") || is_scp_like(line)
}

/// Whether `s` is an scp-like ssh remote, `[user@]host:path`, by git's rule: a `:` with no `/`
/// before it (`./a:b` and `/srv/a:b` are paths). A path that exists on disk stays a path.
pub(crate) fn is_scp_like(s: &str) -> bool {
    s.find(':').is_some_and(|colon| colon > 0 && !s[..colon].contains('/'))
        && !crate::fs::entry_kind(std::path::Path::new(s)).is_ok_and(|k| k.is_some())
}

/// Where a remote's mirror lives under the mirrors directory: `HOST/PATH.git` (`local` for
/// `file://` URLs and paths; `HOST_PORT` with a port), never with credentials.
pub(crate) fn mirror_rel_path(url: &str) -> String {
    let shown = redact(url);
    let (host, path) = if let Some(rest) = shown.strip_prefix("file://") {
        ("local".to_string(), rest.to_string())
    } else if let Some((_, rest)) = shown.split_once("://") {
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        (host.replace(':', "_"), path.to_string())
    } else if let Some((authority, path)) = shown.split_once(':') {
        // scp-like: git@host:org/repo.git
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        (host.to_string(), path.to_string())
    } else {
        ("local".to_string(), shown.clone())
    };
    let clean: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != "." && *p != "..").collect();
    let path = clean.join("/");
    let path = path.strip_suffix(".git").unwrap_or(&path);
    let host = if host.is_empty() || host == "." || host == ".." { "local".to_string() } else { host };
    format!("{host}/{path}.git")
}

/// The repository's name, as shards hash it: the last path component without `.git`.
pub(crate) fn repo_name(url: &str) -> String {
    let shown = redact(url);
    let last = shown.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or(&shown).to_string();
    last.strip_suffix(".git").map_or(last.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact("https://bot:s3cret@git.example.com/platform/paths.git"),
            "https://git.example.com/platform/paths.git"
        );
        assert_eq!(redact("https://git.example.com/p.git"), "https://git.example.com/p.git");
        assert_eq!(redact("/srv/paths.git"), "/srv/paths.git");
        assert_eq!(scrub("failed for https://bot:s3cret@h/x", "https://bot:s3cret@h/x"), "failed for https://h/x");
    }

    #[test]
    fn mirrors_are_placed_by_host_and_path() {
        assert_eq!(mirror_rel_path("https://tok@github.com/acme/svc-a.git"), "github.com/acme/svc-a.git");
        assert_eq!(mirror_rel_path("http://127.0.0.1:8080/svc-a"), "127.0.0.1_8080/svc-a.git");
        assert_eq!(mirror_rel_path("file:///srv/fleet/svc-a.git"), "local/srv/fleet/svc-a.git");
        assert_eq!(mirror_rel_path("git@github.com:acme/svc-b.git"), "github.com/acme/svc-b.git");
        assert_eq!(mirror_rel_path("file:///srv/../etc/x"), "local/srv/etc/x.git");
    }

    #[test]
    fn remotes_are_told_from_directories() {
        assert!(is_remote("https://github.com/acme/a.git"));
        assert!(is_remote("git@github.com:acme/a.git"));
        assert!(is_remote("deploy@git.internal:acme/a.git"));
        assert!(is_remote("gitlab-alias:acme/a.git"));
        assert!(!is_remote("./checkouts/a:b"));
        assert!(is_remote("file:///srv/a.git"));
        assert!(!is_remote("/srv/checkouts/a"));
        assert!(!is_remote("services/a"));
    }

    #[test]
    fn repo_names_match_directory_names() {
        assert_eq!(repo_name("file:///srv/fleet/svc-a.git"), "svc-a");
        assert_eq!(repo_name("git@github.com:acme/svc-b.git"), "svc-b");
        assert_eq!(repo_name("https://h/x/svc-c/"), "svc-c");
    }
}
