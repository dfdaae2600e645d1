# paygraph: compiled gateway, production dependencies only, unprivileged user.
# Without provider credentials it starts its embedded simulators (loopback, inside the container).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, TypeScript → dist/ (rootDir src, so the entry is dist/main.js) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# GraphiQL's example tabs: dist/gateway.js reads new URL('../schema/operations/', import.meta.url).
COPY schema/operations ./schema/operations

# Files stay root-owned and read-only for the process; it writes nothing to disk.
USER node
EXPOSE 4000

# Slim images have no curl: Node's own fetch asks /healthz on the configured port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node as PID 1: src/main.ts handles SIGTERM/SIGINT itself and closes the servers.
CMD ["node", "dist/main.js"]
