# State lives in a GCS bucket given at init:
#   terraform init -backend-config="bucket=BUCKET"
terraform {
  backend "gcs" {
    prefix = "landq"
  }
}
