# syntax=docker/dockerfile:1.7
# The repo-watcher: Git commits into desired state on NATS.
# Build from the repository root:
#   docker build -f deploy/docker/repo-watcher.Dockerfile -t driftless/repo-watcher:0.1.0 .
# NODE_IMAGE is pinned by tag here; release builds pin it by digest too, see docs/deploy.md.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# 1. Bundle the watcher with our workspace libraries into one ES module.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node deploy/docker/bundle.mjs services/repo-watcher/src/main.ts /out/main.mjs

# 2. Production node_modules of this workspace. nodegit has no usable prebuilt binary for
# every platform, so it is compiled here: that needs a toolchain plus the Kerberos and
# OpenSSL headers, which stay in this stage.
FROM build AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ pkg-config libkrb5-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
RUN rm -rf node_modules \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @driftless/repo-watcher \
 && npm rebuild nodegit \
 && cd node_modules/nodegit && rm -rf vendor src include build/Release/obj.target build/Release/*.a \
 && cd /src && rm -rf node_modules/@driftless

# 3. Runtime: the shared libraries nodegit links against (GSSAPI/Kerberos) and CA
# certificates for HTTPS remotes.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libgssapi-krb5-2 libkrb5-3 libk5crypto3 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /out ./
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "--enable-source-maps", "/app/main.mjs"]
