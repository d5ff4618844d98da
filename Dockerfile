# PsiTransfer (TypeScript edition) container image.
#
#   docker build -t psitransfer-ts .
#   docker run -p 3000:3000 -v psitransfer-data:/data psitransfer-ts
#
# Configuration: the same PSITRANSFER_* variables as PsiTransfer's image (apps/server/README.md).
# What goes into the runtime stage is smoke-tested without a container runtime by
# scripts/ci/deploy-smoke.mjs (part of `pnpm test:all`): the same `pnpm deploy` output, command and user.

# The base of both stages. CI builds on a locally made stand-in (scripts/ci/image-smoke.mjs: Debian
# bookworm minbase + the same Node 24 build) because it cannot pull from a container registry.
ARG NODE_IMAGE=node:24-slim

# --- build: install with the lockfile, build everything, deploy the server with production deps only
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV CI=1
COPY . .
RUN npx --yes pnpm@10.34.9 install --frozen-lockfile \
 && npx --yes pnpm@10.34.9 exec turbo run build --filter=@psitransfer/server... --filter=@psitransfer/web \
 && npx --yes pnpm@10.34.9 --filter @psitransfer/server deploy --prod --legacy /out \
 && cp -r apps/web/dist /out/public

# --- runtime: Node 24, the deployed server and the built web app, nothing else
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PSITRANSFER_PORT=3000 \
    PSITRANSFER_UPLOAD_DIR=/data \
    PSITRANSFER_WEB_ROOT=/app/public
WORKDIR /app
COPY --from=build /out/package.json ./package.json
COPY --from=build /out/dist ./dist
COPY --from=build /out/node_modules ./node_modules
COPY --from=build /out/public ./public
# The app stays root-owned (read-only to the server); only /data belongs to the unprivileged `node` user.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PSITRANSFER_PORT}/healthz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1: the server handles SIGTERM/SIGINT itself (stops accepting, waits up to
# PSITRANSFER_SHUTDOWN_TIMEOUT seconds for requests in flight, exits 0), so `docker stop` is graceful.
# Give `docker stop -t` / terminationGracePeriodSeconds more than that timeout.
CMD ["node", "dist/main.js"]
