# No public network exposure by default, for both inputs the pipeline checks:
# - a Terraform plan (`terraform show -json`): no ingress from the internet, no internet-facing
#   load balancer, every bucket behind a full public access block;
# - the rendered Kubernetes manifests (a `kind: List`): no LoadBalancer or NodePort Service, no
#   Ingress, every workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) covered by a
#   NetworkPolicy, and no egress open to every destination.
# Exposing something on purpose needs the annotation `pave.dev/public-exposure-approved-by`
# on the Kubernetes object, naming who approved it (and a `pave check` exception).
package pave.network

import rego.v1

# Every denial starts with the id of the rule that made it (`PACKAGE.RULE: ...`), and each rule
# has a failing fixture of its own, policy/testdata/PACKAGE.RULE.fail.json, that breaks that rule
# and no other (`make policy-test` and pave's golden-path tests check the exact set).

open_cidrs := {"0.0.0.0/0", "::/0"}

approval := "pave.dev/public-exposure-approved-by"

# ---- Terraform plan -------------------------------------------------------------------------

# A list attribute of a plan object: plans write unset attributes as null, which is empty here
# (array.concat would fail on it, and the rule would never fire).
list_attr(obj, key) := v if {
	v := obj[key]
	is_array(v)
} else := []

changed(type) := [rc |
	some rc in input.resource_changes
	rc.type == type
	rc.change.actions != ["delete"]
]

deny contains msg if {
	some sg in changed("aws_security_group")
	some rule in sg.change.after.ingress
	some cidr in array.concat(list_attr(rule, "cidr_blocks"), list_attr(rule, "ipv6_cidr_blocks"))
	cidr in open_cidrs
	msg := sprintf("network.sg-open-ingress: %s: ingress from %s", [sg.address, cidr])
}

deny contains msg if {
	some rule in changed("aws_vpc_security_group_ingress_rule")
	some cidr in {object.get(rule.change.after, "cidr_ipv4", null), object.get(rule.change.after, "cidr_ipv6", null)}
	cidr in open_cidrs
	msg := sprintf("network.sg-ingress-rule-open: %s: ingress from %s", [rule.address, cidr])
}

deny contains msg if {
	some rule in changed("aws_security_group_rule")
	rule.change.after.type == "ingress"
	some cidr in array.concat(list_attr(rule.change.after, "cidr_blocks"), list_attr(rule.change.after, "ipv6_cidr_blocks"))
	cidr in open_cidrs
	msg := sprintf("network.sg-rule-open-ingress: %s: ingress from %s", [rule.address, cidr])
}

deny contains msg if {
	some lb in array.concat(changed("aws_lb"), changed("aws_alb"))
	object.get(lb.change.after, "internal", false) != true
	msg := sprintf("network.lb-internet-facing: %s: load balancer is internet-facing (set internal = true)", [lb.address])
}

public_access_flags := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

blocked_buckets := {block.change.after.bucket |
	some block in changed("aws_s3_bucket_public_access_block")
	every flag in public_access_flags {
		block.change.after[flag] == true
	}
}

deny contains msg if {
	some bucket in changed("aws_s3_bucket")
	not bucket.change.after.bucket in blocked_buckets
	msg := sprintf("network.bucket-public-access: %s: no public access block with all four settings true", [bucket.address])
}

# ---- Kubernetes manifests -------------------------------------------------------------------

objects := input.items if {
	input.kind == "List"
} else := [input] if {
	input.kind
} else := []

approved(obj) if trim_space(obj.metadata.annotations[approval]) != ""

deny contains msg if {
	some obj in objects
	obj.kind == "Service"
	obj.spec.type in {"LoadBalancer", "NodePort"}
	not approved(obj)
	msg := sprintf("network.service-exposed: Service %s: type %s exposes it outside the cluster", [obj.metadata.name, obj.spec.type])
}

deny contains msg if {
	some obj in objects
	obj.kind in {"Ingress", "Gateway", "HTTPRoute"}
	not approved(obj)
	msg := sprintf("network.public-exposure-unapproved: %s %s: public exposure needs the %s annotation", [obj.kind, obj.metadata.name, approval])
}

# The labels a workload's pods carry.
pod_labels(obj) := obj.spec.template.metadata.labels if obj.kind in {"Deployment", "StatefulSet", "DaemonSet", "Job"}

pod_labels(obj) := obj.spec.jobTemplate.spec.template.metadata.labels if obj.kind == "CronJob"

deny contains msg if {
	some workload in objects
	workload.kind in {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
	not covered(workload)
	msg := sprintf("network.workload-uncovered: %s %s: no NetworkPolicy selects its pods", [workload.kind, workload.metadata.name])
}

# A NetworkPolicy whose matchLabels are all carried by the workload's pods.
covered(workload) if {
	some policy in objects
	policy.kind == "NetworkPolicy"
	labels := pod_labels(workload)
	every key, value in object.get(policy.spec.podSelector, "matchLabels", {}) {
		labels[key] == value
	}
}

# Egress is never open to the whole internet: an egress rule without `to` allows every
# destination, and so does an ipBlock of 0.0.0.0/0 or ::/0.
open_egress(rule) if count(object.get(rule, "to", [])) == 0

open_egress(rule) if {
	some peer in rule.to
	peer.ipBlock.cidr in open_cidrs
}

deny contains msg if {
	some obj in objects
	obj.kind == "NetworkPolicy"
	some rule in object.get(obj.spec, "egress", [])
	open_egress(rule)
	msg := sprintf("network.egress-unrestricted: NetworkPolicy %s: an egress rule allows every destination (no `to`, or an open ipBlock)", [obj.metadata.name])
}
