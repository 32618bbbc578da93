# App Engine's firewall admits only GitHub's webhook source ranges, and the
# ranges people reach the dashboard from (var.dashboard_ranges).
#
# Each range's priority comes from the range itself (1 + the first 28 bits of
# its SHA-256), so a range GitHub adds or drops never renumbers the others;
# `landq firewall` computes the same numbers. A deny-all rule sits just above
# the default rule, whatever the default says.
data "http" "github_meta" {
  count           = length(var.github_hook_ranges) == 0 ? 1 : 0
  url             = "${var.github_api_url}/meta"
  request_headers = { Accept = "application/vnd.github+json" }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "GitHub's /meta answered ${self.status_code}; set github_hook_ranges to deploy without it."
    }
  }
}

locals {
  hook_ranges = length(var.github_hook_ranges) > 0 ? var.github_hook_ranges : jsondecode(data.http.github_meta[0].response_body).hooks
}

resource "google_app_engine_firewall_rule" "github_hooks" {
  for_each     = toset(local.hook_ranges)
  priority     = 1 + parseint(substr(sha256(each.value), 0, 7), 16)
  action       = "ALLOW"
  source_range = each.value
  description  = "GitHub webhooks (api.github.com/meta hooks)"
  depends_on   = [google_app_engine_application.app]
}

# People reaching the dashboard; a range GitHub's list already holds is
# admitted once.
resource "google_app_engine_firewall_rule" "dashboard" {
  for_each     = setsubtract(toset(var.dashboard_ranges), toset(local.hook_ranges))
  priority     = 1 + parseint(substr(sha256(each.value), 0, 7), 16)
  action       = "ALLOW"
  source_range = each.value
  description  = "People reaching the dashboard (dashboard_ranges)"
  depends_on   = [google_app_engine_application.app]
}

resource "google_app_engine_firewall_rule" "deny_all" {
  priority     = 2147483646
  action       = "DENY"
  source_range = "*"
  description  = "Everything that is neither GitHub nor dashboard_ranges"
  depends_on   = [google_app_engine_application.app]
}
