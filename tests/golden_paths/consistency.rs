//! Ownership agrees across the files that carry it: the Backstage owner in catalog-info.yaml,
//! the default rule of CODEOWNERS, the `owner` tag of the Terraform (as derived for the plan),
//! the `owner` label kustomize puts on every object and the `team`/`owner` label alerts are
//! routed by, and all of them are the owning team given to `pave new`.

use crate::findings::{Findings, check_every_tree};
use crate::terraform;
use crate::tree::Tree;

/// Where each file says the owner is: `(file, what, team)`.
fn owners(tree: &Tree) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if let Ok(docs) = tree.yaml_docs("catalog-info.yaml") {
        for doc in docs {
            if let Some(owner) = doc["spec"]["owner"].as_str() {
                let team = owner.rsplit(':').next().unwrap_or(owner);
                let team = team.rsplit('/').next().unwrap_or(team);
                let kind = doc["kind"].as_str().unwrap_or("entity");
                out.push(("catalog-info.yaml".into(), format!("{kind} spec.owner {owner}"), team.to_string()));
            }
        }
    }
    for file in ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"] {
        let Some(text) = tree.text(file) else { continue };
        let default_rule = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .find(|l| l.split_whitespace().next() == Some("*"));
        match default_rule {
            Some(rule) => {
                for owner in rule.split_whitespace().skip(1).take(1) {
                    let team = owner.trim_start_matches('@');
                    let team = team.rsplit('/').next().unwrap_or(team);
                    out.push((file.to_string(), format!("default rule owner {owner}"), team.to_string()));
                }
            }
            None => out.push((file.to_string(), "no `*` rule (no default owner)".into(), String::new())),
        }
    }
    if let Ok(plans) = terraform::derive_plans(tree) {
        for plan in plans {
            let owners: Vec<String> = plan.json["resource_changes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|rc| rc["change"]["after"]["tags_all"]["owner"].as_str().map(str::to_string))
                .collect();
            if let Some(team) = owners.first() {
                out.push((format!("{}/", plan.module), format!("`owner` tag ({})", plan.environment), team.clone()));
            }
        }
    }
    for file in tree.files_where(|f| f.ends_with("kustomization.yaml") || f.ends_with("kustomization.yml")) {
        for doc in tree.yaml_docs(file).unwrap_or_default() {
            for pairs in
                doc["labels"].as_array().into_iter().flatten().map(|l| &l["pairs"]).chain([&doc["commonLabels"]])
            {
                if let Some(team) = pairs["owner"].as_str() {
                    out.push((file.to_string(), "label owner".into(), team.to_string()));
                }
            }
        }
    }
    for alert in crate::promql::alerts(tree) {
        for key in ["owner", "team"] {
            if let Some(team) = alert.labels[key].as_str() {
                out.push((alert.file.clone(), format!("alert {} label {key}", alert.name), team.to_string()));
            }
        }
    }
    out
}

#[test]
fn owner_agrees_across_catalog_info_codeowners_terraform_tags_and_labels() {
    check_every_tree("owner consistency", check_owner);
}

/// The check behind `owner_agrees_across_catalog_info_codeowners_terraform_tags_and_labels`.
pub fn check_owner(tree: &Tree, f: &mut Findings) {
    let found = owners(tree);
    if found.is_empty() {
        return;
    }
    let expected = tree
        .owner_answer()
        .map(str::to_string)
        .or_else(|| found.iter().find(|(file, _, _)| file == "catalog-info.yaml").map(|(_, _, t)| t.clone()));
    let Some(expected) = expected else { return };
    for (file, what, team) in &found {
        f.checked();
        if *team != expected {
            f.fail(tree, file, format!("{what}: owner is {team:?}, expected {expected:?} (the owning team answered)"));
        }
    }
    for required in ["catalog-info.yaml", "CODEOWNERS"] {
        let present = found.iter().any(|(file, _, _)| file.ends_with(required));
        if tree.files.iter().any(|f| f.ends_with(required)) && !present {
            f.fail(tree, required, "names no owner");
        }
    }
}
