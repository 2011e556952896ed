# landq: App Engine firewall admitting only GitHub's webhook source ranges.
# Source: GitHub's published hooks ranges at the time of writing; REGENERATE before deploying:
#   landq firewall --format terraform > deploy/terraform/firewall/firewall.tf

variable "project" {
  type        = string
  description = "Google Cloud project that hosts the landq App Engine app"
}

resource "google_app_engine_firewall_rule" "github_hooks_0" {
  project      = var.project
  priority     = 1000
  action       = "ALLOW"
  source_range = "192.30.252.0/22"
  description  = "GitHub webhooks (landq)"
}

resource "google_app_engine_firewall_rule" "github_hooks_1" {
  project      = var.project
  priority     = 1001
  action       = "ALLOW"
  source_range = "185.199.108.0/22"
  description  = "GitHub webhooks (landq)"
}

resource "google_app_engine_firewall_rule" "github_hooks_2" {
  project      = var.project
  priority     = 1002
  action       = "ALLOW"
  source_range = "140.82.112.0/20"
  description  = "GitHub webhooks (landq)"
}

resource "google_app_engine_firewall_rule" "github_hooks_3" {
  project      = var.project
  priority     = 1003
  action       = "ALLOW"
  source_range = "143.55.64.0/20"
  description  = "GitHub webhooks (landq)"
}

resource "google_app_engine_firewall_rule" "github_hooks_4" {
  project      = var.project
  priority     = 1004
  action       = "ALLOW"
  source_range = "2a0a:a440::/29"
  description  = "GitHub webhooks (landq)"
}

resource "google_app_engine_firewall_rule" "github_hooks_5" {
  project      = var.project
  priority     = 1005
  action       = "ALLOW"
  source_range = "2606:50c0::/32"
  description  = "GitHub webhooks (landq)"
}

resource "google_app_engine_firewall_rule" "default_deny" {
  project      = var.project
  priority     = 2147483646
  action       = "DENY"
  source_range = "*"
  description  = "Everything that is not a GitHub webhook (landq)"
}
