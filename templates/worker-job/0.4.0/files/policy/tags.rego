# Required tags: every taggable AWS resource in a Terraform plan (`terraform show -json`)
# carries owner, service, cost-center and data-classification, the last from a fixed set.
package pave.tags

import rego.v1

# Every denial starts with the id of the rule that made it (`PACKAGE.RULE: ...`), and each rule
# has a failing fixture of its own, policy/testdata/PACKAGE.RULE.fail.json, that breaks that rule
# and no other (`make policy-test` and pave's golden-path tests check the exact set).

required := {"owner", "service", "cost-center", "data-classification"}

classifications := {"public", "internal", "confidential", "restricted"}

# Resources the plan creates or updates (a pure delete leaves nothing to tag).
changed contains rc if {
	some rc in input.resource_changes
	rc.change.actions != ["delete"]
	is_object(rc.change.after)
}

# A resource is taggable when its schema has `tags` or `tags_all`.
taggable(after) if "tags" in object.keys(after)

taggable(after) if "tags_all" in object.keys(after)

tag_map(after, key) := after[key] if {
	is_object(after[key])
} else := {}

# `tags_all` holds the provider's default_tags merged with the resource's own tags.
tags(after) := object.union(tag_map(after, "tags"), tag_map(after, "tags_all"))

present(t, key) if trim_space(t[key]) != ""

deny contains msg if {
	some rc in changed
	taggable(rc.change.after)
	some key in required
	not present(tags(rc.change.after), key)
	msg := sprintf("tags.required-tag-missing: %s: required tag %q is missing or empty", [rc.address, key])
}

deny contains msg if {
	some rc in changed
	taggable(rc.change.after)
	value := tags(rc.change.after)["data-classification"]
	not value in classifications
	msg := sprintf("tags.data-classification-invalid: %s: data-classification %q is not one of %v", [rc.address, value, sort(classifications)])
}
