output "webhook_url" {
  description = "Paste into the GitHub App's Webhook URL."
  value       = "https://${google_app_engine_application.app.default_hostname}/webhook"
}

output "hook_ranges" {
  description = "The GitHub webhook ranges the firewall admits."
  value       = local.hook_ranges
}

output "dead_letter_subscription" {
  description = "Where events that kept failing wait for inspection."
  value       = google_pubsub_subscription.dead_letter.id
}

output "dashboard_url" {
  description = "The dashboard (queue pages, API, docs): reachable from dashboard_ranges; set {dashboard_url}/auth/callback as the GitHub App's callback URL."
  value       = local.dashboard_url
}
