# Safeshare API. Build: docker build -t safeshare .   Run: see docker-compose.yml.
# The full image has python3, make and g++: argon2 is compiled from source (its bundled prebuilt
# binary crashed on load on our Debian 12 machines).
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/app/.data
# Under load V8 promotes each request's short-lived objects (they outlive two scavenges while the
# request waits on the database) and, with no limit, lets the old space grow (RSS 290 MB after 18 s
# of the list load and rising) although ~37 MB stay live after a full GC. A 160 MB old space holds
# RSS under ~200 MB for ~6% more CPU in GC; 96 MB thrashes (docs/performance.md, item 9).
# bench/common.mjs runs the servers with the same limit.
ENV NODE_OPTIONS="--max-old-space-size=160"
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# DATA_DIR holds a generated signing key when JWT_GENERATE_KEY=true; mount a volume there.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:4000/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Run node directly (not npm) so SIGTERM reaches the process that drains requests.
CMD ["node", "dist/src/main.js", "serve"]
