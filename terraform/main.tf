locals {
  services = [
    "appengine.googleapis.com",
    "appengineflex.googleapis.com",
    "artifactregistry.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
  ]

  # The environment both services share; names are the ones `landq` reads.
  common_env = {
    LANDQ_BUS          = "pubsub"
    LANDQ_PUBSUB_TOPIC = google_pubsub_topic.events.id
    LANDQ_LOG          = "info"
  }

  webhook_env = merge(local.common_env, {
    LANDQ_COMMAND                = "webhook"
    LANDQ_WEBHOOK_SECRET_VERSION = "${google_secret_manager_secret.webhook_secret.id}/versions/latest"
    # Defence in depth behind the firewall: the app checks the ranges too.
    LANDQ_GITHUB_HOOKS_ONLY = "true"
    LANDQ_GITHUB_API_URL    = var.github_api_url
  })

  worker_env = merge(local.common_env, {
    LANDQ_COMMAND                = "worker"
    LANDQ_PUBSUB_SUBSCRIPTION    = google_pubsub_subscription.worker.id
    LANDQ_STORE                  = "firestore"
    LANDQ_FIRESTORE_PROJECT      = var.project_id
    LANDQ_GITHUB_API_URL         = var.github_api_url
    LANDQ_GITHUB_APP_ID          = tostring(var.github_app_id)
    LANDQ_GITHUB_APP_KEY_VERSION = "${google_secret_manager_secret.github_app_key.id}/versions/latest"
    LANDQ_RECONCILE_INTERVAL     = tostring(var.reconcile_interval_seconds)
    # Sign-in to the dashboard (off while the client id is empty).
    LANDQ_OAUTH_CLIENT_ID             = var.oauth_client_id
    LANDQ_OAUTH_CLIENT_SECRET_VERSION = "${google_secret_manager_secret.oauth_client_secret.id}/versions/latest"
    LANDQ_PUBLIC_URL                  = local.dashboard_url
    # The organisation jobs (off while their intervals are empty); Slack's
    # token is read only when one runs.
    LANDQ_AUDIT_INTERVAL      = var.audit_interval
    LANDQ_AUDIT_CHANNEL       = var.audit_channel
    LANDQ_REMIND_INTERVAL     = var.remind_interval
    LANDQ_SLACK_TOKEN_VERSION = "${google_secret_manager_secret.slack_token.id}/versions/latest"
  })

  # The worker service serves the dashboard.
  dashboard_url = "https://worker-dot-${google_app_engine_application.app.default_hostname}"

  # A version id per image, so a new image is a new version.
  version_id = "v-${substr(sha256(var.image), 0, 12)}"
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "apis" {
  for_each           = toset(local.services)
  service            = each.value
  disable_on_destroy = false
}

resource "google_app_engine_application" "app" {
  project     = var.project_id
  location_id = var.app_engine_location
  depends_on  = [google_project_service.apis]
}

resource "google_firestore_database" "default" {
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"
  depends_on  = [google_project_service.apis]
}

# The land history (`landq_lands`) is queried by repository, newest first.
resource "google_firestore_index" "lands_by_repo" {
  database   = google_firestore_database.default.name
  collection = "landq_lands"

  fields {
    field_path = "repo"
    order      = "ASCENDING"
  }

  fields {
    field_path = "at_ms"
    order      = "DESCENDING"
  }
}
