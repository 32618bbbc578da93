# The webhook: App Engine's `default` service (the firewall guards it).
resource "google_app_engine_flexible_app_version" "webhook" {
  service         = "default"
  version_id      = local.version_id
  runtime         = "custom"
  service_account = google_service_account.webhook.email
  env_variables   = local.webhook_env

  deployment {
    container {
      image = var.image
    }
  }

  liveness_check {
    path = "/healthz"
  }

  readiness_check {
    path = "/readyz"
  }

  automatic_scaling {
    min_total_instances = var.webhook_instances.min
    max_total_instances = var.webhook_instances.max
    cool_down_period    = "120s"
    cpu_utilization {
      target_utilization = 0.6
    }
  }

  resources {
    cpu       = 1
    memory_gb = 1
    disk_gb   = 10
  }

  noop_on_destroy = true
  depends_on = [
    google_app_engine_application.app,
    google_project_iam_member.runtime,
    google_secret_manager_secret_iam_member.webhook_reads_secret,
  ]
}

# The worker: one instance; lands are serial per repository.
resource "google_app_engine_flexible_app_version" "worker" {
  service         = "worker"
  version_id      = local.version_id
  runtime         = "custom"
  service_account = google_service_account.worker.email
  env_variables   = local.worker_env

  deployment {
    container {
      image = var.image
    }
  }

  liveness_check {
    path = "/healthz"
  }

  readiness_check {
    path = "/readyz"
  }

  manual_scaling {
    instances = 1
  }

  resources {
    cpu       = 1
    memory_gb = 1
    disk_gb   = 10
  }

  noop_on_destroy = true
  depends_on = [
    google_app_engine_flexible_app_version.webhook,
    google_project_iam_member.worker_firestore,
    google_secret_manager_secret_iam_member.worker_reads_app_key,
    google_secret_manager_secret_iam_member.worker_reads_oauth_secret,
    google_secret_manager_secret_iam_member.worker_reads_slack_token,
  ]
}

# New versions take all traffic.
resource "google_app_engine_service_split_traffic" "webhook" {
  service         = google_app_engine_flexible_app_version.webhook.service
  migrate_traffic = false
  split {
    allocations = { (google_app_engine_flexible_app_version.webhook.version_id) = 1 }
  }
}

resource "google_app_engine_service_split_traffic" "worker" {
  service         = google_app_engine_flexible_app_version.worker.service
  migrate_traffic = false
  split {
    allocations = { (google_app_engine_flexible_app_version.worker.version_id) = 1 }
  }
}
