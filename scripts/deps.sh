# Sourced by scripts/test, scripts/demo and the CI workflow: installs the Debian 12 packages a
# command needs when they are missing (as root, or through sudo), per command:
#   lq_install_deps build   compile landq and mockhub (and run them)
#   lq_install_deps demo    scripts/demo: the build plus curl
#   lq_install_deps fuzz    libFuzzer campaigns: the build plus clang
#   lq_install_deps [test]  scripts/test: everything every suite needs (the default)
LQ_BUILD_PACKAGES="meson ninja-build pkg-config gcc git python3 ca-certificates
  libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libgit2-dev libssl-dev libsqlite3-dev
  liblz4-dev libpq-dev"
LQ_DEMO_PACKAGES="$LQ_BUILD_PACKAGES curl"
LQ_FUZZ_PACKAGES="$LQ_BUILD_PACKAGES clang libclang-rt-14-dev"
LQ_DEBIAN_PACKAGES="$LQ_BUILD_PACKAGES clang libclang-rt-14-dev
  libcriterion-dev valgrind nodejs npm python3-yaml curl nftables openssl procps
  chromium
  postgresql"
# Only some checks need these (the seccomp, systemd-unit and HAProxy tests skip without them), so a
# failure to install them is a warning, not an error.
LQ_OPTIONAL_PACKAGES="strace systemd haproxy"

lq_install_deps() { # [build|demo|fuzz|test]
    local missing=() p list
    case "${1:-test}" in
        build) list=$LQ_BUILD_PACKAGES ;;
        demo) list=$LQ_DEMO_PACKAGES ;;
        fuzz) list=$LQ_FUZZ_PACKAGES ;;
        test) list=$LQ_DEBIAN_PACKAGES ;;
        *) echo "lq_install_deps: unknown command '$1'" >&2; return 2 ;;
    esac
    for p in $list ${LQ_EXTRA_PACKAGES:-}; do
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

# meson setup (or reconfigure) DIR with ARGS..., then build. With LQ_PROGRESS=1 it says what it
# is doing on stderr (a line per stage with its log, and the compile count every 15 s).
lq_build() {
    local dir=$1
    shift
    local say=:
    [ "${LQ_PROGRESS:-0}" = 1 ] && say=lq_say
    if [ ! -f "$dir/build.ninja" ]; then
        $say "configuring the build in $dir/ (meson setup; log: $PWD/$dir.setup.log)"
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; return 1; }
    fi
    $say "compiling landq and mockhub (ninja; log: $PWD/$dir.build.log)"
    if [ "${LQ_PROGRESS:-0}" != 1 ]; then
        ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log" >&2; return 1; }
        return 0
    fi
    local t0=$SECONDS rc
    ninja -C "$dir" >"$dir.build.log" 2>&1 &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if [ $(( (SECONDS - t0) % 15 )) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
            $say "  $(grep -o '^\[[0-9]*/[0-9]*\]' "$dir.build.log" | tail -1) compiled, $((SECONDS - t0)) s"
        fi
    done
    wait "$pid" && rc=0 || rc=$?
    [ $rc -eq 0 ] || { tail -50 "$dir.build.log" >&2; return 1; }
    $say "built in $((SECONDS - t0)) s"
}
lq_say() { echo "-- $*" >&2; }
