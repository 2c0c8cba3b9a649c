# syntax=docker/dockerfile:1.7
# The audit service: events from NATS into Postgres, and the HTTP API.
# Build from the repository root:
#   docker build -f deploy/docker/audit.Dockerfile -t driftless/audit:0.1.0 .
# NODE_IMAGE is pinned by tag here; release builds pin it by digest too
# (node:20.20.2-bookworm-slim@sha256:...), see docs/deploy.md.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# 1. Bundle the service with our workspace libraries into one ES module.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node deploy/docker/bundle.mjs services/audit/src/main.ts /out/main.mjs \
 && cp -r services/audit/src/adapters/migrations /out/migrations

# 2. The npm packages this one workspace needs at run time, nothing else.
FROM build AS deps
RUN rm -rf node_modules \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @driftless/audit \
 && rm -rf node_modules/@driftless

# 3. Runtime: node, the bundle, its migrations and production node_modules; no npm, no shell tools added.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /out ./
# The unprivileged `node` user of the base image, by number so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# A 32 MiB young generation: ingest makes short-lived objects by the batch, and with the default
# 16 MiB they were promoted and collected as old ones (~15 % more events/s in the benchmark).
ENTRYPOINT ["node", "--max-semi-space-size=32", "--enable-source-maps", "/app/main.mjs"]
