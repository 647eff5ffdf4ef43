"""Names the rendered manifests give the Secrets their ExternalSecrets create, without the render itself
(the wizard's platform picture shows them on its first frame, before anything is rendered)."""

#: Names of the Secrets the ExternalSecrets create, and the Slack key the Alertmanager mounts.
GRAFANA_SECRET = "grafana-admin"
SLACK_SECRET = "alertmanager-slack"
SLACK_SECRET_KEY = "slack-webhook-url"
HEARTBEAT_SECRET = "alertmanager-heartbeat"
HEARTBEAT_SECRET_KEY = "heartbeat-url"
HEARTBEAT_TOKEN_KEY = "heartbeat-token"  # only with secrets.heartbeat_token_field (gatus)
