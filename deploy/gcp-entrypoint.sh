#!/bin/sh
# Container entrypoint on Google Cloud: reads landq's two secrets (the GitHub App's private key and
# the webhook secret; with HA also the database password) from Secret Manager with the
# instance's service account (metadata server token), writes them to files only the landq user can read, and starts landq with *_FILE
# settings, so no secret is ever in the environment. It is the image's ENTRYPOINT: without
# LANDQ_SECRET_PROJECT it runs landq directly with its arguments (default: serve).
set -eu
[ $# -gt 0 ] || set -- serve
[ -n "${LANDQ_SECRET_PROJECT:-}" ] || exec /usr/local/bin/landq "$@"
umask 077
dir=$(mktemp -d /tmp/landq-secrets.XXXXXX)
md=http://metadata.google.internal/computeMetadata/v1
token=$(curl -sf -H 'Metadata-Flavor: Google' "$md/instance/service-accounts/default/token" |
    sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
fetch() { # SECRET_NAME FILE
    curl -sf -H "Authorization: Bearer $token" \
        "https://secretmanager.googleapis.com/v1/projects/$LANDQ_SECRET_PROJECT/secrets/$1/versions/latest:access" |
        sed -n 's/.*"data" *: *"\([^"]*\)".*/\1/p' | base64 -d >"$2"
    [ -s "$2" ] || { echo "gcp-entrypoint: secret $1 is empty or unreadable" >&2; exit 1; }
}
fetch "$LANDQ_SECRET_APP_KEY_NAME" "$dir/app-key.pem"
fetch "$LANDQ_SECRET_HOOK_NAME" "$dir/webhook-secret"
# HA (deploy/terraform/ha.tf): the Cloud SQL password goes into a libpq password file, so the
# connection string in LANDQ_DB carries no secret.
if [ -n "${LANDQ_SECRET_DB_PASSWORD_NAME:-}" ]; then
    fetch "$LANDQ_SECRET_DB_PASSWORD_NAME" "$dir/db-password"
    printf '*:*:*:*:%s\n' "$(cat "$dir/db-password")" >"$dir/pgpass"
    rm -f "$dir/db-password"
    export PGPASSFILE="$dir/pgpass"
fi
unset token
export LANDQ_APP_PRIVATE_KEY_FILE="$dir/app-key.pem" LANDQ_WEBHOOK_SECRET_FILE="$dir/webhook-secret"
exec /usr/local/bin/landq "$@"
