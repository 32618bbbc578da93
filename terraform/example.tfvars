# Copy to terraform.tfvars and fill in.
project_id    = "my-project"
image         = "us-docker.pkg.dev/my-project/landq/landq@sha256:0000000000000000000000000000000000000000000000000000000000000000"
github_app_id = 123456
