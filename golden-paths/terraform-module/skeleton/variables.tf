variable "name" {
  description = "Name of the bucket (globally unique)."
  type        = string
}

variable "environment" {
  description = "Environment the bucket serves: dev, staging or prod (the env cost tag)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "noncurrent_version_days" {
  description = "Days to keep overwritten or deleted object versions."
  type        = number
  default     = 30
}

variable "extra_tags" {
  description = "Tags added to the platform's cost tags."
  type        = map(string)
  default     = {}
}
