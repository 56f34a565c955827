# syntax=docker/dockerfile:1

# ---- build: install every dependency (the Nest CLI and TypeScript are dev dependencies) and compile.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 needs its install script: it fetches a prebuilt binary or compiles with the
# python3/make/g++ that the full bookworm image ships.
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# ---- runtime: same Debian release as the build stage, so the native better-sqlite3 binary loads.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The SQLite store and other local state live here; compose mounts a named volume on it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
