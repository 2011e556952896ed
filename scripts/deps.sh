# Sourced by scripts/test and scripts/demo: installs the Debian 12 packages landq needs when
# they are missing (as root, or through sudo).
LQ_DEBIAN_PACKAGES="meson ninja-build pkg-config gcc clang libclang-rt-14-dev git
  libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libgit2-dev libssl-dev libsqlite3-dev liblz4-dev
  libcriterion-dev valgrind nodejs npm python3 git curl ca-certificates nftables openssl procps
  chromium
  libpq-dev postgresql"
# Only some checks need these (the seccomp, systemd-unit and HAProxy tests skip without them), so a
# failure to install them is a warning, not an error.
LQ_OPTIONAL_PACKAGES="strace systemd haproxy"

lq_install_deps() {
    local missing=() p
    for p in $LQ_DEBIAN_PACKAGES ${LQ_EXTRA_PACKAGES:-}; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    # node/npm may come from outside Debian (e.g. nodesource); accept any working node.
    if command -v node >/dev/null && command -v npm >/dev/null; then
        local m=() q
        for q in "${missing[@]}"; do [ "$q" = nodejs ] || [ "$q" = npm ] || m+=("$q"); done
        missing=("${m[@]}")
        [ ${#missing[@]} -eq 0 ] && return 0
    fi
    echo "Installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 || return 1
}

lq_install_optional() {
    local missing=() p
    for p in $LQ_OPTIONAL_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing optional Debian packages: ${missing[*]}" >&2
    { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >&2; } ||
        echo "warning: could not install ${missing[*]}; the tests that need them are skipped" >&2
    return 0
}

# meson setup (or reconfigure) DIR with ARGS..., then build.
lq_build() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; return 1; }
    fi
    ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log" >&2; return 1; }
}
