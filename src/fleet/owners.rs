//! Who reviews a pave pull request: the teams the projects' ownership metadata names
//! (`spec.owner` of `catalog-info.yaml`, Backstage's: `group:payments`, `group:default/payments`,
//! or a bare `payments`, which Backstage reads as a group). A user owner names no team.

use crate::git::Commits;
use crate::render::RenderedFile;

/// The ownership file pave's templates write.
const FILE: &str = "catalog-info.yaml";

/// The GitHub team slugs owning the projects at `prefixes` of the commit `tip`, once each.
pub(super) fn teams(commits: &Commits<'_>, tip: &str, prefixes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for prefix in prefixes {
        let Ok(Some(RenderedFile::File { bytes, .. })) = commits.read_file(tip, &format!("{prefix}{FILE}")) else {
            continue;
        };
        let Ok(doc) = serde_saphyr::from_slice::<serde_json::Value>(&bytes) else { continue };
        if let Some(team) = doc["spec"]["owner"].as_str().and_then(team_of)
            && !out.contains(&team)
        {
            out.push(team);
        }
    }
    out
}

/// The team slug of a Backstage owner reference, if it names a group.
fn team_of(owner: &str) -> Option<String> {
    let owner = owner.trim();
    let (kind, rest) = match owner.split_once(':') {
        Some((k, r)) => (k.to_ascii_lowercase(), r),
        None => ("group".to_string(), owner),
    };
    if kind != "group" {
        return None;
    }
    let name = rest.rsplit('/').next()?.trim();
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::team_of;

    #[test]
    fn groups_name_teams_and_users_do_not() {
        assert_eq!(team_of("group:payments").as_deref(), Some("payments"));
        assert_eq!(team_of("group:default/team-payments").as_deref(), Some("team-payments"));
        assert_eq!(team_of("payments").as_deref(), Some("payments"));
        assert_eq!(team_of("user:alice"), None);
        assert_eq!(team_of("group:"), None);
        assert_eq!(team_of("group:bad name"), None);
    }
}
