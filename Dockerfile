# Parley's image: `docker build -t parley .`, then `docker run -p 3000:3000 -v parley-data:/data parley`.
# docs/deploy.md explains the settings, several instances behind a load balancer, backups and upgrades.

# The build: the whole toolchain (better-sqlite3 compiles when no prebuilt binary matches), every
# dependency, then the server and the browser bundles into dist/.
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs

# Production dependencies only, compiled on the same Debian release as the runtime below.
FROM build AS production-dependencies
RUN npm ci --omit=dev --no-audit --no-fund

# The runtime: Node, the production dependencies and dist/, run as an unprivileged user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:/data/parley.db
WORKDIR /app
COPY --from=production-dependencies /app/package.json /app/package-lock.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN groupadd --system parley \
 && useradd --system --gid parley --home-dir /app --shell /usr/sbin/nologin parley \
 && mkdir -p /data \
 && chown parley:parley /data
USER parley
# SQLite's database, its WAL and its shared-memory file: one volume, backed up as docs/deploy.md says.
VOLUME ["/data"]
EXPOSE 3000
# 200 {"status":"ok"} once the database answers; 503 database_unavailable while it does not. The slim
# image has no curl: Node asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"
# Exec form: Node is PID 1 and receives SIGTERM itself (graceful shutdown within 10 s, Docker's default
# grace period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/cli.js", "serve"]
