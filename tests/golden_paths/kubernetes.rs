//! Kubernetes manifests under deploy/: every object has apiVersion, kind and a valid
//! metadata.name and the structure its kind requires (Deployment, Service, HPA, PDB,
//! `NetworkPolicy`, `CronJob`, ...); patches target an object of the base; selectors, labels, ports
//! and scale targets agree between objects. Checked on the base files (overlays only patch them;
//! `kubectl kustomize | kubernetes-validate` covers the built overlays).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::findings::{Findings, check_every_tree};
use crate::tree::{Tree, is_yaml};

/// Directories whose YAML files are Kubernetes manifests.
const MANIFEST_DIRS: [&str; 3] = ["deploy/", "k8s/", "kubernetes/"];

/// One document of a manifest file.
pub struct Manifest {
    pub file: String,
    pub doc: Value,
    /// A strategic-merge patch referenced by a kustomization (partial by design).
    pub patch: bool,
}

impl Manifest {
    pub fn kind(&self) -> &str {
        self.doc["kind"].as_str().unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.doc["metadata"]["name"].as_str().unwrap_or("")
    }
}

/// Every Kubernetes document of a tree (kustomizations left out), with parse errors.
pub fn manifests(tree: &Tree) -> (Vec<Manifest>, Vec<(String, String)>) {
    let files = tree.files_where(|f| is_yaml(f) && MANIFEST_DIRS.iter().any(|d| f.starts_with(d)));
    let mut patch_files = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        if is_kustomization(file) {
            let Ok(docs) = tree.yaml_docs(file) else { continue };
            let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
            for doc in docs {
                let listed = doc["patches"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["path"].as_str())
                    .chain(doc["patchesStrategicMerge"].as_array().into_iter().flatten().filter_map(Value::as_str));
                patch_files.extend(listed.map(|p| normalize(&format!("{dir}/{p}"))));
            }
        }
    }
    let mut out = Vec::new();
    for file in files {
        if is_kustomization(file) {
            continue;
        }
        match tree.yaml_docs(file) {
            Ok(docs) => {
                for doc in docs {
                    // A JSON 6902 patch file is a list of operations, not an object.
                    if doc.is_array() {
                        continue;
                    }
                    out.push(Manifest { file: file.to_string(), doc, patch: patch_files.iter().any(|p| p == file) });
                }
            }
            Err(e) => errors.push((file.to_string(), e)),
        }
    }
    (out, errors)
}

fn is_kustomization(file: &str) -> bool {
    matches!(file.rsplit('/').next(), Some("kustomization.yaml" | "kustomization.yml" | "Kustomization"))
}

/// `a/b/../c` → `a/c`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

#[test]
fn kubernetes_objects_have_the_structure_their_kind_requires() {
    check_every_tree("kubernetes structure", check_structure);
}

/// The check behind `kubernetes_objects_have_the_structure_their_kind_requires`.
pub fn check_structure(tree: &Tree, f: &mut Findings) {
    let (manifests, errors) = manifests(tree);
    for (file, e) in errors {
        f.fail(tree, &file, format!("YAML does not parse: {e}"));
    }
    for m in &manifests {
        f.checked();
        for problem in envelope(&m.doc) {
            f.fail(tree, &m.file, format!("{} {}: {problem}", m.kind(), m.name()));
        }
        if m.patch {
            let target = manifests.iter().any(|o| !o.patch && o.kind() == m.kind() && o.name() == m.name());
            if !target {
                f.fail(
                    tree,
                    &m.file,
                    format!("patch targets {} {}, which no base manifest defines", m.kind(), m.name()),
                );
            }
            continue;
        }
        for problem in structure(&m.doc) {
            f.fail(tree, &m.file, format!("{} {}: {problem}", m.kind(), m.name()));
        }
    }
}

/// apiVersion, kind and metadata.name, as every object needs.
fn envelope(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if doc["apiVersion"].as_str().is_none_or(str::is_empty) {
        p.push("apiVersion is missing".into());
    }
    if doc["kind"].as_str().is_none_or(str::is_empty) {
        p.push("kind is missing".into());
    }
    match doc["metadata"]["name"].as_str() {
        None => p.push("metadata.name is missing".into()),
        Some(name) if !dns_subdomain(name) => {
            p.push(format!("metadata.name {name:?} is not a DNS-1123 subdomain (lowercase letters, digits, '-', '.')"));
        }
        Some(_) => {}
    }
    for key in ["labels", "annotations"] {
        let v = &doc["metadata"][key];
        if !v.is_null() && !v.as_object().is_some_and(|m| m.values().all(Value::is_string)) {
            p.push(format!("metadata.{key} must map to strings (quote numbers and booleans)"));
        }
    }
    p
}

fn dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// The required structure of the kinds golden paths use.
fn structure(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let spec = &doc["spec"];
    match doc["kind"].as_str().unwrap_or("") {
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            let selector = labels_of(&spec["selector"]["matchLabels"]);
            if selector.is_empty() {
                p.push("spec.selector.matchLabels is missing or empty".into());
            }
            let pod_labels = labels_of(&spec["template"]["metadata"]["labels"]);
            if !subset(&selector, &pod_labels) {
                p.push(format!(
                    "spec.selector.matchLabels {selector:?} does not select the pod template labels {pod_labels:?}"
                ));
            }
            p.extend(pod_spec(&spec["template"]["spec"], "spec.template.spec", true));
        }
        "CronJob" => {
            match spec["schedule"].as_str() {
                Some(s) if s.split_whitespace().count() == 5 || s.starts_with('@') => {}
                other => p.push(format!("spec.schedule {other:?} is not a cron schedule")),
            }
            let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
            p.extend(pod_spec(pod, "spec.jobTemplate.spec.template.spec", false));
            if !matches!(pod["restartPolicy"].as_str(), Some("OnFailure" | "Never")) {
                p.push("a Job's restartPolicy must be OnFailure or Never".into());
            }
        }
        "Job" => {
            p.extend(pod_spec(&spec["template"]["spec"], "spec.template.spec", false));
        }
        "Service" => {
            let ports = spec["ports"].as_array().map_or(&[][..], Vec::as_slice);
            if ports.is_empty() && spec["type"].as_str() != Some("ExternalName") {
                p.push("spec.ports is missing or empty".into());
            }
            for (i, port) in ports.iter().enumerate() {
                if !port["port"].as_u64().is_some_and(|n| (1..=65535).contains(&n)) {
                    p.push(format!("spec.ports[{i}].port is not a port number"));
                }
                if ports.len() > 1 && port["name"].as_str().is_none() {
                    p.push(format!("spec.ports[{i}] needs a name (a Service with several ports)"));
                }
            }
        }
        "HorizontalPodAutoscaler" => {
            let target = &spec["scaleTargetRef"];
            for key in ["apiVersion", "kind", "name"] {
                if target[key].as_str().is_none() {
                    p.push(format!("spec.scaleTargetRef.{key} is missing"));
                }
            }
            let max = spec["maxReplicas"].as_u64();
            let min = spec["minReplicas"].as_u64().unwrap_or(1);
            match max {
                None => p.push("spec.maxReplicas is missing".into()),
                Some(max) if max < min => p.push(format!("maxReplicas {max} < minReplicas {min}")),
                Some(_) => {}
            }
            if doc["apiVersion"].as_str() == Some("autoscaling/v2")
                && spec["metrics"].as_array().is_none_or(Vec::is_empty)
            {
                p.push("spec.metrics is empty: the autoscaler has nothing to scale on".into());
            }
        }
        "PodDisruptionBudget" => {
            if labels_of(&spec["selector"]["matchLabels"]).is_empty() && spec["selector"]["matchExpressions"].is_null()
            {
                p.push("spec.selector is missing or empty".into());
            }
            let n = usize::from(!spec["minAvailable"].is_null()) + usize::from(!spec["maxUnavailable"].is_null());
            if n != 1 {
                p.push("exactly one of spec.minAvailable and spec.maxUnavailable must be set".into());
            }
        }
        "NetworkPolicy" => {
            if !spec["podSelector"].is_object() {
                p.push("spec.podSelector is missing ({} selects every pod)".into());
            }
            for t in spec["policyTypes"].as_array().into_iter().flatten() {
                if !matches!(t.as_str(), Some("Ingress" | "Egress")) {
                    p.push(format!("spec.policyTypes has {t}, expected Ingress or Egress"));
                }
            }
        }
        _ => {}
    }
    p
}

/// A pod spec: containers with names and images; long-running pods have probes and resources.
fn pod_spec(pod: &Value, at: &str, long_running: bool) -> Vec<String> {
    let mut p = Vec::new();
    let containers = pod["containers"].as_array().map_or(&[][..], Vec::as_slice);
    if containers.is_empty() {
        p.push(format!("{at}.containers is missing or empty"));
    }
    for (i, c) in containers.iter().enumerate() {
        let name = c["name"].as_str().unwrap_or("");
        if name.is_empty() {
            p.push(format!("{at}.containers[{i}].name is missing"));
        }
        if c["image"].as_str().is_none_or(str::is_empty) {
            p.push(format!("container {name}: image is missing"));
        }
        let port_names: Vec<&str> =
            c["ports"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
        for (i, port) in c["ports"].as_array().into_iter().flatten().enumerate() {
            if !port["containerPort"].as_u64().is_some_and(|n| (1..=65535).contains(&n)) {
                p.push(format!("container {name}: ports[{i}].containerPort is not a port number"));
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            for kind in ["httpGet", "tcpSocket", "grpc"] {
                if let Some(port) = c[probe][kind]["port"].as_str()
                    && !port_names.contains(&port)
                {
                    p.push(format!(
                        "container {name}: {probe} uses port {port:?}, which the container does not declare"
                    ));
                }
            }
        }
        if long_running && !port_names.is_empty() && c["readinessProbe"].is_null() {
            p.push(format!("container {name}: serves ports but has no readinessProbe"));
        }
        if c["resources"]["requests"].is_null() || c["resources"]["limits"]["memory"].is_null() {
            p.push(format!("container {name}: resources.requests and resources.limits.memory must be set"));
        }
    }
    p
}

/// A label map as name → value (non-strings shown as JSON).
pub fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m: &Map<String, Value>| {
            m.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
        })
        .unwrap_or_default()
}

fn subset(small: &BTreeMap<String, String>, big: &BTreeMap<String, String>) -> bool {
    small.iter().all(|(k, v)| big.get(k) == Some(v))
}

/// A workload's pod template labels and its containers' `(port name, port)`s.
type PodTemplate = (BTreeMap<String, String>, Vec<(String, u64)>);

/// The pod template labels and container ports of a workload object.
fn pod_template(doc: &Value) -> Option<PodTemplate> {
    let template = match doc["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" | "Rollout" => &doc["spec"]["template"],
        "CronJob" => &doc["spec"]["jobTemplate"]["spec"]["template"],
        "Pod" => doc,
        _ => return None,
    };
    let ports = template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .filter_map(|p| Some((p["name"].as_str().unwrap_or("").to_string(), p["containerPort"].as_u64()?)))
        .collect();
    Some((labels_of(&template["metadata"]["labels"]), ports))
}

#[test]
fn kubernetes_selectors_labels_and_ports_agree() {
    check_every_tree("kubernetes labels", check_labels);
}

/// The check behind `kubernetes_selectors_labels_and_ports_agree`.
pub fn check_labels(tree: &Tree, f: &mut Findings) {
    let (manifests, _) = manifests(tree);
    let objects: Vec<&Manifest> = manifests.iter().filter(|m| !m.patch).collect();
    let workloads: Vec<(&Manifest, PodTemplate)> =
        objects.iter().filter_map(|m| pod_template(&m.doc).map(|t| (*m, t))).collect();
    if objects.is_empty() {
        return;
    }
    for m in &objects {
        f.checked();
        let spec = &m.doc["spec"];
        let selector = match m.kind() {
            "Service" => labels_of(&spec["selector"]),
            "PodDisruptionBudget" => labels_of(&spec["selector"]["matchLabels"]),
            "NetworkPolicy" => labels_of(&spec["podSelector"]["matchLabels"]),
            _ => BTreeMap::new(),
        };
        if !selector.is_empty() {
            let selected: Vec<_> = workloads.iter().filter(|(_, (labels, _))| subset(&selector, labels)).collect();
            if selected.is_empty() {
                f.fail(
                    tree,
                    &m.file,
                    format!("{} {}: selector {selector:?} selects no workload's pods", m.kind(), m.name()),
                );
            }
            if m.kind() == "Service" {
                for (i, port) in spec["ports"].as_array().into_iter().flatten().enumerate() {
                    let target = &port["targetPort"];
                    let ok = selected.iter().any(|(_, (_, ports))| match target {
                        Value::String(name) => ports.iter().any(|(n, _)| n == name),
                        Value::Number(n) => ports.iter().any(|(_, p)| Some(*p) == n.as_u64()),
                        _ => ports.iter().any(|(_, p)| Some(*p) == port["port"].as_u64()),
                    });
                    if !selected.is_empty() && !ok {
                        f.fail(
                            tree,
                            &m.file,
                            format!(
                                "Service {}: ports[{i}].targetPort {target} is not a port of the selected pods",
                                m.name()
                            ),
                        );
                    }
                }
            }
        }
        if m.kind() == "HorizontalPodAutoscaler" {
            let t = &spec["scaleTargetRef"];
            let (kind, name) = (t["kind"].as_str().unwrap_or(""), t["name"].as_str().unwrap_or(""));
            if !objects.iter().any(|o| o.kind() == kind && o.name() == name) {
                f.fail(
                    tree,
                    &m.file,
                    format!(
                        "HorizontalPodAutoscaler {}: scaleTargetRef {kind} {name} is not in the manifests",
                        m.name()
                    ),
                );
            }
        }
        // The app's name label on any object names one of the workloads.
        for key in ["app.kubernetes.io/name", "app"] {
            if let Some(value) = m.doc["metadata"]["labels"][key].as_str()
                && !workloads.is_empty()
                && !workloads.iter().any(|(_, (labels, _))| labels.get(key).map(String::as_str) == Some(value))
            {
                f.fail(
                    tree,
                    &m.file,
                    format!("{} {}: label {key}={value} matches no workload's pod labels", m.kind(), m.name()),
                );
            }
        }
    }
}

/// The objects of the base manifests as one `kind: List`, the input the Kubernetes policies read.
pub fn as_list(tree: &Tree) -> Value {
    let (manifests, _) = manifests(tree);
    let items: Vec<Value> = manifests.into_iter().filter(|m| !m.patch).map(|m| m.doc).collect();
    serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": items })
}
