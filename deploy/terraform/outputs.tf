output "webhook_url" {
  description = "Payload URL for the GitHub App's webhook"
  value       = "https://${google_app_engine_application.app.default_hostname}/webhook"
}

output "service_account" {
  description = "The identity landq runs as"
  value       = google_service_account.landq.email
}
