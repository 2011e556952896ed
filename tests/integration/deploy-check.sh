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
if command -v terraform >/dev/null; then
    # validate needs the google provider, which is downloaded from the Terraform registry
    echo "skip terraform validate: needs the hashicorp/google provider (network)"
fi
sh -n "$root/deploy/gcp-entrypoint.sh" && echo "ok entrypoint syntax" || fail=1
# The HAProxy configuration of docs/deploy.md (Option A), with a throw-away certificate.
haproxy=$(command -v haproxy || { [ -x /usr/sbin/haproxy ] && echo /usr/sbin/haproxy; })
if [ -n "$haproxy" ] && command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/crt.pem" -days 1 \
        -subj /CN=landq.example.com >/dev/null 2>&1
    cat "$tmp/crt.pem" "$tmp/key.pem" >"$tmp/landq.pem"
    sed -e "s|/etc/haproxy/certs/landq.pem|$tmp/landq.pem|" "$root/deploy/haproxy.cfg" >"$tmp/haproxy.cfg"
    getent passwd haproxy >/dev/null || sed -i -e '/^ *user haproxy/d' -e '/^ *group haproxy/d' "$tmp/haproxy.cfg"
    if out=$("$haproxy" -c -f "$tmp/haproxy.cfg" 2>&1); then echo "ok haproxy -c"; else
        echo "haproxy -c failed: $out"; fail=1; fi
else
    echo "skip haproxy -c: haproxy not installed"
fi
# The GitHub App subscribes to exactly the events landq acts on (landq/cmd_serve.c logs them).
events=$(sed -n 's/^static const char served_events\[\] = "\(.*\)"$/\1/p; s/^ *"\(check_suite\)";$/\1/p' \
    "$root/landq/cmd_serve.c" | tr '\n' ' ')
for e in pull_request pull_request_review status check_run check_suite; do
    case " $events " in *" $e "*) ;; *) echo "cmd_serve.c served_events lacks $e ($events)"; fail=1 ;; esac
done
if grep -q 'events="pull_request pull_request_review status check_run$' "$root/docs/deploy.md" &&
    grep -q 'exactly \*Pull request\*, \*Pull request review\*, \*Status\*, \*Check run\*' "$root/docs/deploy.md" &&
    ! grep -qi 'Issue comment, Push' "$root/docs/deploy.md"; then
    echo "ok deploy.md subscribes to the events landq acts on"
else
    echo "docs/deploy.md: the App's event subscription differs from what landq acts on"; fail=1
fi
if command -v apt-cache >/dev/null; then
    pkgs=$(sed -n '/^FROM debian:12-slim AS runtime/,/^COPY/p' "$root/deploy/Dockerfile" |
        grep -oE '\b(lib[a-z0-9.+-]+|ca-certificates|curl)\b' | sort -u)
    for p in $pkgs; do
        apt-cache show "$p" >/dev/null 2>&1 || { echo "Dockerfile: no Debian package '$p'"; fail=1; }
    done
    echo "ok Dockerfile runtime packages: $(echo $pkgs | wc -w)"
fi
exit $fail
