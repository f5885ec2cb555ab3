# Allowed regions: a Terraform plan deploys only to regions on the platform's allowlist.
package pave.regions

import rego.v1

# Every denial starts with the id of the rule that made it (`PACKAGE.RULE: ...`), and each rule
# has a failing fixture of its own, policy/testdata/PACKAGE.RULE.fail.json, that breaks that rule
# and no other (`make policy-test` and pave's golden-path tests check the exact set).

allowed := {"eu-west-1", "eu-central-1", "us-east-1", "us-west-2"}

deny contains msg if {
	not input.variables.region.value
	msg := "regions.region-variable-missing: the plan has no `region` variable: the module must declare one"
}

deny contains msg if {
	region := input.variables.region.value
	not region in allowed
	msg := sprintf("regions.region-not-allowed: region %q is not allowed; allowed: %v", [region, sort(allowed)])
}

# An AWS provider block with a literal region.
deny contains msg if {
	some key, provider in input.configuration.provider_config
	provider.name == "aws"
	region := provider.expressions.region.constant_value
	not region in allowed
	msg := sprintf("regions.provider-region-not-allowed: provider %s uses region %q, which is not allowed", [key, region])
}

# A resource placed in another region (AWS provider 6 has a per-resource `region`).
deny contains msg if {
	some rc in input.resource_changes
	rc.change.actions != ["delete"]
	region := rc.change.after.region
	is_string(region)
	not region in allowed
	msg := sprintf("regions.resource-region-not-allowed: %s: region %q is not allowed", [rc.address, region])
}
