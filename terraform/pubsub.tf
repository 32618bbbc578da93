# Events from the webhook to the worker, ordered per repository.
resource "google_pubsub_topic" "events" {
  name       = "landq-events"
  depends_on = [google_project_service.apis]
}

# Events that failed max_delivery_attempts times, kept for inspection.
resource "google_pubsub_topic" "dead_letter" {
  name       = "landq-events-dead-letter"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "dead_letter" {
  name                       = "landq-events-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "worker" {
  name                    = "landq-worker"
  topic                   = google_pubsub_topic.events.id
  enable_message_ordering = true
  ack_deadline_seconds    = 60

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub's own service agent forwards dead letters: it must publish to the
# dead-letter topic and acknowledge on the worker's subscription.
locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_acks_forwarded" {
  subscription = google_pubsub_subscription.worker.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
