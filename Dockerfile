# ledgerhook: multi-stage build on a Node LTS image, running as a non-root user.
# Build:  docker build -t ledgerhook .
# Run:    docker compose up   (see docker-compose.yml)

FROM node:22-bookworm AS build
WORKDIR /app
# better-sqlite3 compiles a native addon here; the runtime image gets the built result.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/var/lib/ledgerhook \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /var/lib/ledgerhook && chown node:node /var/lib/ledgerhook
USER node
VOLUME ["/var/lib/ledgerhook"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
