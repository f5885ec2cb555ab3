terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # State lives in the platform's state bucket. CI passes the rest with
  # `terraform init -backend-config=environments/ENV.s3.tfbackend`.
  backend "s3" {}
}
