# The secrets' values never pass through Terraform (or its state): add them
# with `gcloud secrets versions add` (see the README's Deploy section).
resource "google_secret_manager_secret" "webhook_secret" {
  secret_id = "landq-webhook-secret"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "github_app_key" {
  secret_id = "landq-github-app-key"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "oauth_client_secret" {
  secret_id = "landq-oauth-client-secret"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "slack_token" {
  secret_id = "landq-slack-token"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

# Each secret is readable by the one service that needs it.
resource "google_secret_manager_secret_iam_member" "webhook_reads_secret" {
  secret_id = google_secret_manager_secret.webhook_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.webhook.member
}

resource "google_secret_manager_secret_iam_member" "worker_reads_app_key" {
  secret_id = google_secret_manager_secret.github_app_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.worker.member
}

resource "google_secret_manager_secret_iam_member" "worker_reads_oauth_secret" {
  secret_id = google_secret_manager_secret.oauth_client_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.worker.member
}

resource "google_secret_manager_secret_iam_member" "worker_reads_slack_token" {
  secret_id = google_secret_manager_secret.slack_token.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.worker.member
}
