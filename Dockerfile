# Herald's API and worker image (docker-compose.yml runs it twice, one role each).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 3000
# Override with `node dist/src/worker.js` for the worker role.
CMD ["node", "dist/src/api.js"]
