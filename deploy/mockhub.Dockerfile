# mockhub container image: a stateful fake of GitHub's REST API, webhooks and git smart HTTP for
# the test suites of GitHub bots (docs/mockhub.md). Built with meson on Debian 12; runs as a
# non-root user on Debian 12 slim with only the shared libraries mockhub needs, plus git (smart
# HTTP is served by `git http-backend`) and curl (the health check).
#   docker build -f deploy/mockhub.Dockerfile -t mockhub .
#   docker run --rm -p 3000:3000 -v "$PWD/world.json:/world/world.json:ro" mockhub
#   docker run --rm -p 3000:3000 -v "$PWD/w.json:/w.json:ro" mockhub --world /w.json --listen 0.0.0.0:3000
# URLs in answers (Link, url, clone_url) are http://127.0.0.1:3000/... (the wildcard listen
# address's loopback), right for `-p 3000:3000`; elsewhere give the address clients use, e.g.
#   docker run ... mockhub --world /world/world.json --listen 0.0.0.0:3000 --public-url http://mockhub:3000

FROM debian:12-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        meson ninja-build pkg-config gcc libc6-dev python3 \
        libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libgit2-dev libssl-dev \
        libsqlite3-dev liblz4-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The whole project is configured (mockhub links landq's pure core for the scenario runner), but
# only the mockhub executable is built.
RUN meson setup /build --buildtype=release -Dtests=disabled -Dfuzz=disabled -Dscenarios=disabled \
    && ninja -C /build mockhub/mockhub \
    && strip /build/mockhub/mockhub

FROM debian:12-slim AS runtime
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl git libmicrohttpd12 libjansson4 libcurl4 libgit2-1.5 libssl3 libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10002 --home-dir /var/lib/mockhub --create-home mockhub \
    && mkdir -p /world
COPY --from=build /build/mockhub/mockhub /usr/local/bin/mockhub
COPY examples/demo-world.json /world/world.json
USER mockhub
WORKDIR /var/lib/mockhub
EXPOSE 3000
# The control API answers without authentication and is never rate limited or faulted.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
    CMD ["curl", "-sf", "http://127.0.0.1:3000/_mockhub/v1/health"]
ENTRYPOINT ["/usr/local/bin/mockhub", "serve"]
CMD ["--world", "/world/world.json", "--listen", "0.0.0.0:3000"]
