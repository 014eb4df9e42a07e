# parcelwatch worker / CLI image. Build: docker build -t parcelwatch .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/db ./db
COPY --from=build /app/bin ./bin
COPY package.json ./
USER node
ENTRYPOINT ["node", "bin/parcelwatch.js"]
CMD ["worker"]
