# Encryption at rest: buckets use KMS (never only S3-managed keys), KMS keys rotate, and
# volumes, databases and queues are encrypted.
package pave.encryption

import rego.v1

# Every denial starts with the id of the rule that made it (`PACKAGE.RULE: ...`), and each rule
# has a failing fixture of its own, policy/testdata/PACKAGE.RULE.fail.json, that breaks that rule
# and no other (`make policy-test` and pave's golden-path tests check the exact set).
# Plans write unset attributes as null: rules compare with `!= true` / `== null` (`not x` is
# false for null, and such a rule would never fire on a real plan).

kms_algorithms := {"aws:kms", "aws:kms:dsse"}

changed(type) := [rc |
	some rc in input.resource_changes
	rc.type == type
	rc.change.actions != ["delete"]
]

# The first-level `default` block of an SSE configuration rule.
sse_algorithms(conf) := {algo |
	some rule in conf.change.after.rule
	some by_default in rule.apply_server_side_encryption_by_default
	algo := by_default.sse_algorithm
}

kms_encrypted_buckets := {conf.change.after.bucket |
	some conf in changed("aws_s3_bucket_server_side_encryption_configuration")
	algos := sse_algorithms(conf)
	count(algos) > 0
	every algo in algos {
		algo in kms_algorithms
	}
}

deny contains msg if {
	some bucket in changed("aws_s3_bucket")
	not bucket.change.after.bucket in kms_encrypted_buckets
	msg := sprintf("encryption.bucket-not-kms: %s: no server-side encryption configuration with a KMS key", [bucket.address])
}

deny contains msg if {
	some conf in changed("aws_s3_bucket_server_side_encryption_configuration")
	some algo in sse_algorithms(conf)
	not algo in kms_algorithms
	msg := sprintf("encryption.sse-not-kms: %s: sse_algorithm %q is not KMS (use aws:kms)", [conf.address, algo])
}

deny contains msg if {
	some key in changed("aws_kms_key")
	object.get(key.change.after, "enable_key_rotation", false) != true
	msg := sprintf("encryption.key-rotation: %s: enable_key_rotation must be true", [key.address])
}

deny contains msg if {
	some volume in changed("aws_ebs_volume")
	object.get(volume.change.after, "encrypted", false) != true
	msg := sprintf("encryption.ebs-unencrypted: %s: EBS volume is not encrypted", [volume.address])
}

deny contains msg if {
	some db in array.concat(changed("aws_db_instance"), changed("aws_rds_cluster"))
	object.get(db.change.after, "storage_encrypted", false) != true
	msg := sprintf("encryption.db-unencrypted: %s: storage_encrypted must be true", [db.address])
}

deny contains msg if {
	some queue in changed("aws_sqs_queue")
	object.get(queue.change.after, "kms_master_key_id", null) == null
	object.get(queue.change.after, "sqs_managed_sse_enabled", false) != true
	msg := sprintf("encryption.queue-unencrypted: %s: queue is not encrypted", [queue.address])
}
