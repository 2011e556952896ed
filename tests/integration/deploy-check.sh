#!/usr/bin/env bash
# Static checks of the deployment files (suite 'lint'): the systemd unit verifies, the Terraform
# is formatted (where terraform is installed), the entrypoint parses, and the Dockerfile's runtime
# packages exist in Debian 12, and both Dockerfiles (deploy/Dockerfile for landq,
# deploy/mockhub.Dockerfile for mockhub) are multi-stage on debian:12-slim, build with the -dev
# package of every dependency in meson.build and run as a non-root user with a health check and
# exactly the runtime libraries the built binary links. Docker itself is not needed.
# Usage: deploy-check.sh SOURCE_ROOT LANDQ_BINARY [MOCKHUB_BINARY]
set -u
root=$1 landq=$2 mockhub=${3:-}
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
# validate needs the google and random providers from the Terraform registry (network); the
# offline check below resolves every reference of each root instead.
for d in "$root/deploy/terraform" "$root/deploy/terraform/firewall"; do
    if python3 "$root/tests/integration/tf-refs.py" "$d"; then echo "ok terraform references ($d)"; else fail=1; fi
done
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
# Debian's -dev package for each pkg-config name meson.build asks for (a new dependency must be
# added here and to both Dockerfiles' build stages).
dev_package() {
    case $1 in
        jansson) echo libjansson-dev ;; libcurl) echo libcurl4-openssl-dev ;;
        libmicrohttpd) echo libmicrohttpd-dev ;; libgit2) echo libgit2-dev ;;
        libcrypto) echo libssl-dev ;; sqlite3) echo libsqlite3-dev ;; liblz4) echo liblz4-dev ;;
        libpq) echo libpq-dev ;; *) return 1 ;;
    esac
}
# Packages every debian:12-slim image has (a binary may link them without installing them).
base_packages=" libc6 libgcc-s1 zlib1g libzstd1 liblzma5 libbz2-1.0 libcrypt1 libselinux1 "
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# stage_text FILE NAME: the lines of stage NAME (from its FROM to the next FROM).
stage_text() { awk -v n="$2" '/^FROM /{on = ($NF == n)} on' "$1"; }
# stage_packages FILE NAME: the packages stage NAME installs with apt-get.
stage_packages() {
    stage_text "$1" "$2" | sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' |
        grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|update|rm|rf|DEBIAN_FRONTEND=.*|&&)$' | sort -u
}

check_dockerfile() { # FILE BINARY ENTRYPOINT_WORDS...
    local df=$1 bin=$2 bad=0
    shift 2
    local name=${df#"$root"/}
    [ -f "$df" ] || { echo "$name: missing"; return 1; }
    local froms
    froms=$(grep -E '^FROM ' "$df" | tr -s ' ')
    if [ "$froms" != "$(printf 'FROM debian:12-slim AS build\nFROM debian:12-slim AS runtime')" ]; then
        echo "$name: want two stages, 'FROM debian:12-slim AS build' then '... AS runtime'; got: $froms"; bad=1
    fi
    local rt
    rt=$(stage_text "$df" runtime)
    local user
    user=$(printf '%s\n' "$rt" | sed -n 's/^USER  *\([^ ]*\).*/\1/p' | tail -1)
    case $user in
        '' | root | 0 | 0:*) echo "$name: the runtime stage must switch to a non-root USER (got '${user:-none}')"; bad=1 ;;
    esac
    for kw in HEALTHCHECK EXPOSE ENTRYPOINT; do
        printf '%s\n' "$rt" | grep -q "^$kw " || { echo "$name: runtime stage has no $kw"; bad=1; }
    done
    printf '%s\n' "$rt" | grep -q 'COPY --from=build ' || { echo "$name: runtime stage copies nothing from build"; bad=1; }
    printf '%s\n' "$rt" | grep -qE '(-dev|gcc|meson|ninja-build)( |$)' && { echo "$name: build tools in the runtime stage"; bad=1; }
    local ep want
    ep=$(printf '%s\n' "$rt" | sed -n 's/^ENTRYPOINT *//p' | tr -d '[]",')
    want=$*
    case " $ep " in *"$want"*) ;; *) echo "$name: ENTRYPOINT '$ep' is not '$want ...'"; bad=1 ;; esac
    # Build stage: a -dev package for every dependency meson.build requires.
    local build_pkgs dep dev
    build_pkgs=" $(stage_packages "$df" build | tr '\n' ' ') "
    for dep in $(grep -v 'required:' "$root/meson.build" | sed -n "s/.*= dependency('\([^']*\)'.*/\1/p" | grep -v '^threads$'); do
        if ! dev=$(dev_package "$dep"); then
            echo "deploy-check.sh: no Debian -dev package known for meson dependency '$dep' (add it to dev_package)"; bad=1
        elif [ "${build_pkgs#* "$dev" }" = "$build_pkgs" ]; then
            echo "$name: build stage lacks $dev (meson.build needs '$dep')"; bad=1
        fi
    done
    # Runtime stage: exactly the library packages the binary links (readelf NEEDED -> dpkg -S, in
    # one call: dpkg reads its whole file database each time).
    if [ -n "$bin" ] && command -v readelf >/dev/null && command -v dpkg >/dev/null; then
        local rt_pkgs needed=" " so p owners sonames
        rt_pkgs=" $(stage_packages "$df" runtime | tr '\n' ' ') "
        sonames=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -vE '^lib(a|ub|t)san')
        # shellcheck disable=SC2046 # one pattern per soname
        owners=$(dpkg -S $(printf "*/$multiarch/%s " $sonames) 2>/dev/null)
        for so in $sonames; do
            p=$(printf '%s\n' "$owners" | sed -n "s|^\([^:]*\):[^ ]* .*/$so\$|\1|p" | head -1)
            [ -n "$p" ] || { echo "$name: cannot tell which package has $so"; bad=1; continue; }
            needed="$needed$p "
            case "$base_packages$rt_pkgs" in *" $p "*) ;; *) echo "$name: runtime stage lacks $p ($so)"; bad=1 ;; esac
        done
        for p in $rt_pkgs; do
            case $p in lib*) case "$needed" in *" $p "*) ;; *) echo "$name: runtime stage installs $p, which ${bin##*/} does not link"; bad=1 ;; esac ;; esac
        done
    fi
    if command -v apt-cache >/dev/null; then
        local all
        all=$(stage_packages "$df" runtime; stage_packages "$df" build)
        # shellcheck disable=SC2086
        if ! apt-cache show $all >/dev/null 2>&1; then
            for p in $all; do
                apt-cache show "$p" >/dev/null 2>&1 || { echo "$name: no Debian package '$p'"; bad=1; }
            done
        fi
    fi
    [ $bad = 0 ] && echo "ok $name: stages, non-root user, health check, build and runtime packages"
    return $bad
}
check_dockerfile "$root/deploy/Dockerfile" "$landq" /usr/local/bin/gcp-entrypoint.sh || fail=1
check_dockerfile "$root/deploy/mockhub.Dockerfile" "$mockhub" /usr/local/bin/mockhub serve || fail=1
exit $fail
