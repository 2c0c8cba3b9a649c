# syntax=docker/dockerfile:1.7
# The agent: one per cluster, applies its desired state from NATS.
# Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t driftless/agent:0.1.0 .
# NODE_IMAGE is pinned by tag here; release builds pin it by digest too, see docs/deploy.md.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# 1. Bundle the agent with our workspace libraries into one ES module.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node deploy/docker/bundle.mjs services/agent/src/main.ts /out/main.mjs

# 2. The npm packages this one workspace needs at run time, nothing else.
FROM build AS deps
RUN rm -rf node_modules \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @driftless/agent \
 && rm -rf node_modules/@driftless

# 3. Runtime.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /out ./
USER 1000:1000
EXPOSE 9090
# A small young generation and no optimising compiler keep an idle agent near 110 MB (see docs/agent.md).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--lite-mode", "--enable-source-maps", "/app/main.mjs"]
