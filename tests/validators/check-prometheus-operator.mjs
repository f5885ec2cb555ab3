// Validates the prometheus-operator objects (PrometheusRule, ServiceMonitor, PodMonitor) of a
// stream of Kubernetes manifests, as `kubectl kustomize DIR` prints them, against the CRD schemas
// of npm @kubernetes-models/prometheus-operator. kubernetes-validate knows only core kinds and
// skips these.
//
//   kubectl kustomize deploy/overlays/production | node check-prometheus-operator.mjs
//
// Prints one line per object (`ok KIND NAME` or `FAIL KIND NAME: error`) and the kinds it
// skipped; exits 1 when an object fails, 2 on unreadable input.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { PrometheusRule, ServiceMonitor, PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = { PrometheusRule, ServiceMonitor, PodMonitor };

let input;
try {
  input = readFileSync(process.argv[2] ?? 0, "utf8");
} catch (e) {
  console.error(`cannot read manifests: ${e.message}`);
  process.exit(2);
}
let failed = 0;
let checked = 0;
for (const doc of parseAllDocuments(input)) {
  if (doc.errors.length > 0) {
    console.error(`YAML error: ${doc.errors[0].message}`);
    process.exit(2);
  }
  const obj = doc.toJS();
  if (!obj || obj.apiVersion !== "monitoring.coreos.com/v1") continue;
  const Model = models[obj.kind];
  const name = `${obj.kind} ${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? "(unnamed)"}`;
  if (!Model) {
    console.log(`FAIL ${name}: no schema for this kind here`);
    failed++;
    continue;
  }
  checked++;
  try {
    new Model(obj).validate();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
console.log(`${checked} object(s) validated, ${failed} failure(s)`);
process.exit(failed > 0 ? 1 : 0);
