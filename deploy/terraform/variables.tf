variable "project" {
  type        = string
  description = "Google Cloud project id"
}

variable "region" {
  type        = string
  description = "Region for regional resources"
  default     = "us-central1"
}

variable "app_engine_location" {
  type        = string
  description = "App Engine location (cannot be changed once the app exists)"
  default     = "us-central"
}

variable "image" {
  type        = string
  description = "landq container image built from deploy/Dockerfile, e.g. us-docker.pkg.dev/PROJECT/landq/landq:0.1.0"
}

variable "version_id" {
  type        = string
  description = "App Engine version id for this deployment"
  default     = "v1"
}

variable "repos" {
  type        = list(string)
  description = "Repositories landq serves, as OWNER/NAME"
}

variable "label" {
  type        = string
  description = "Label that puts a pull request in the queue"
  default     = "land"
}

variable "github_api" {
  type        = string
  description = "GitHub REST API base URL"
  default     = "https://api.github.com"
}

variable "app_id" {
  type        = string
  description = "The GitHub App's id"
}

variable "app_installation_id" {
  type        = string
  description = "The App's installation id on the organization or repositories"
}

variable "ha" {
  type        = bool
  description = "High availability: `instances` landq instances on a Cloud SQL for PostgreSQL 15 instance with a regional standby and a private IP (ha.tf). Off: one instance on SQLite."
  default     = false
}

variable "instances" {
  type        = number
  description = "With ha: how many landq instances (each base branch is landed by one of them at a time, by lease)"
  default     = 3
  validation {
    condition     = var.instances >= 2
    error_message = "instances must be at least 2: HA needs a second instance to fail over to."
  }
}

variable "db_tier" {
  type        = string
  description = "With ha: the Cloud SQL machine tier"
  default     = "db-custom-1-3840"
}

variable "db_deletion_protection" {
  type        = bool
  description = "With ha: refuse to destroy the Cloud SQL instance (the queue, inbox and audit log live there)"
  default     = true
}
