output "bucket_name" {
  description = "Name of the service's private, KMS-encrypted bucket."
  value       = aws_s3_bucket.data.bucket
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.data.arn
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the bucket."
  value       = aws_kms_key.data.arn
}

output "service_role_arn" {
  description = "IAM role the service's pods assume through EKS Pod Identity."
  value       = aws_iam_role.service.arn
}

output "tags" {
  description = "Tags applied to every resource."
  value       = local.tags
}
