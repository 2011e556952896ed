output "webhook_url" {
  description = "Payload URL for the GitHub App's webhook"
  value       = "https://${google_app_engine_application.app.default_hostname}/webhook"
}

output "service_account" {
  description = "The identity landq runs as"
  value       = google_service_account.landq.email
}

output "database" {
  description = "With ha: the Cloud SQL instance landq's state lives in (private IP only)"
  value       = var.ha ? google_sql_database_instance.landq[0].connection_name : null
}
