#!/usr/bin/env bash
# Static checks of the deployment files (suite 'lint'): the systemd unit verifies, the Terraform
# is formatted (where terraform is installed), the entrypoint parses, and the Dockerfile's runtime
# packages exist in Debian 12. Usage: deploy-check.sh SOURCE_ROOT LANDQ_BINARY
set -u
root=$1 landq=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if command -v systemd-analyze >/dev/null; then
    # Verify a copy that points at the built binary (verify checks ExecStart exists).
    sed "s|/usr/local/bin/landq|$(readlink -f "$landq")|" "$root/deploy/landq.service" >"$tmp/landq.service"
    out=$(systemd-analyze verify "$tmp/landq.service" 2>&1 | grep -v -e 'Failed to load credential' -e 'LoadCredential')
    if [ -n "$out" ]; then echo "systemd-analyze verify: $out"; fail=1; else echo "ok systemd unit"; fi
else
    echo "skip systemd unit: systemd-analyze not installed"
fi
if command -v terraform >/dev/null; then
    if TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive "$root/deploy/terraform" >"$tmp/tf" 2>&1; then
        echo "ok terraform fmt -check"
    else
        echo "terraform fmt -check failed:"; cat "$tmp/tf"; fail=1
    fi
else
    echo "skip terraform fmt: terraform not installed"
fi
sh -n "$root/deploy/gcp-entrypoint.sh" && echo "ok entrypoint syntax" || fail=1
if command -v apt-cache >/dev/null; then
    pkgs=$(sed -n '/^FROM debian:12-slim AS runtime/,/^COPY/p' "$root/deploy/Dockerfile" |
        grep -oE '\b(lib[a-z0-9.+-]+|ca-certificates|curl)\b' | sort -u)
    for p in $pkgs; do
        apt-cache show "$p" >/dev/null 2>&1 || { echo "Dockerfile: no Debian package '$p'"; fail=1; }
    done
    echo "ok Dockerfile runtime packages: $(echo $pkgs | wc -w)"
fi
exit $fail
