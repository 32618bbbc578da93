variable "project_id" {
  description = "Google Cloud project that runs landq (created beforehand, with billing)."
  type        = string
}

variable "region" {
  description = "Region of the Pub/Sub and Secret Manager resources."
  type        = string
  default     = "us-central1"
}

variable "app_engine_location" {
  description = "App Engine location (fixed for the project's lifetime), e.g. us-central or europe-west."
  type        = string
  default     = "us-central"
}

variable "firestore_location" {
  description = "Location of the Firestore database (native mode), e.g. nam5 or eur3."
  type        = string
  default     = "nam5"
}

variable "image" {
  description = "The landq container image to deploy, by digest (REGISTRY/landq@sha256:...). Built from the repository's Dockerfile."
  type        = string
}

variable "github_app_id" {
  description = "The GitHub App's numeric id (App settings, General)."
  type        = number
}

variable "github_api_url" {
  description = "GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3). Its /meta lists the webhook source ranges."
  type        = string
  default     = "https://api.github.com"
}

variable "github_hook_ranges" {
  description = "Webhook source ranges to allow. Empty (the default): read GitHub's /meta `hooks` at plan time. Set it (e.g. from `landq firewall --format tfvars`) to pin them."
  type        = list(string)
  default     = []
}

variable "webhook_instances" {
  description = "Minimum and maximum instances of the webhook (default) service."
  type        = object({ min = number, max = number })
  default     = { min = 1, max = 4 }
}

variable "reconcile_interval_seconds" {
  description = "How often the worker lists labelled pull requests to recover lost deliveries."
  type        = number
  default     = 300
}

variable "max_delivery_attempts" {
  description = "Deliveries of one event before Pub/Sub moves it to the dead-letter topic (5 to 100)."
  type        = number
  default     = 10
}

variable "dashboard_ranges" {
  description = "Source ranges (CIDR) of the people who may reach the dashboard (the worker service), admitted by the firewall beside GitHub's webhook ranges, e.g. your office or VPN egress. Empty (the default): only GitHub reaches landq."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.dashboard_ranges : can(cidrhost(r, 0))])
    error_message = "Each of dashboard_ranges must be a CIDR range, e.g. 203.0.113.0/24."
  }
}

variable "oauth_client_id" {
  description = "The GitHub App's OAuth client id (App settings, General): people sign in with GitHub to see the dashboard, each seeing the repositories they can read. Empty (the default): the deployed dashboard answers 401 to everyone."
  type        = string
  default     = ""
}

variable "audit_interval" {
  description = "How often the worker audits every repository of the installation (e.g. \"1d\"): protections, rules, settings; reports at /api/v1/audit, status changes to Slack. Empty (the default): off."
  type        = string
  default     = ""
}

variable "audit_channel" {
  description = "The Slack channel told when a repository's audit status changes (with a bot token in the landq-slack-token secret)."
  type        = string
  default     = ""
}

variable "remind_interval" {
  description = "How often the worker announces stale pull requests on Slack (e.g. \"1h\"; each repository's [remind] in .github/landq.toml says what and where). Needs a version of the landq-slack-token secret. Empty (the default): off."
  type        = string
  default     = ""
}
