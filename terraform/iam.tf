# One service account per service, each with only what it uses.
resource "google_service_account" "webhook" {
  account_id   = "landq-webhook"
  display_name = "landq webhook (App Engine default service)"
}

resource "google_service_account" "worker" {
  account_id   = "landq-worker"
  display_name = "landq worker (App Engine worker service)"
}

locals {
  # Both run on App Engine flex: logs, metrics and the image pull.
  runtime_roles = ["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/artifactregistry.reader"]
  runtime_grants = {
    for pair in setproduct(["webhook", "worker"], local.runtime_roles) :
    "${pair[0]}-${pair[1]}" => { account = pair[0], role = pair[1] }
  }
  accounts = {
    webhook = google_service_account.webhook.member
    worker  = google_service_account.worker.member
  }
}

resource "google_project_iam_member" "runtime" {
  for_each = local.runtime_grants
  project  = var.project_id
  role     = each.value.role
  member   = local.accounts[each.value.account]
}

# The webhook publishes events.
resource "google_pubsub_topic_iam_member" "webhook_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.webhook.member
}

# The worker consumes events and publishes the reconcile's nudges.
resource "google_pubsub_subscription_iam_member" "worker_consumes" {
  subscription = google_pubsub_subscription.worker.id
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.worker.member
}

resource "google_pubsub_topic_iam_member" "worker_nudges" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.worker.member
}

# The worker keeps the queue and the land history in Firestore.
resource "google_project_iam_member" "worker_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.worker.member
}
