# syntax=docker/dockerfile:1
# clinfer, CPU image. Build: docker build -t clinfer .
# Run:   docker run -p 8080:8080 -v /srv/models:/models:ro clinfer
# GPU variant: see docs/deployment.md (CUDA base image, ONNXRUNTIME_NODE_INSTALL=cuda12).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json .npmrc ./
# Production dependencies only; tsx is one of them (the runtime is TypeScript run through tsx).
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    CLINFER_HOST=0.0.0.0 \
    CLINFER_PORT=8080 \
    CLINFER_MODELS=/models
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY runtime ./runtime
COPY adapters ./adapters
COPY models /models
# Non-root; the root filesystem can be mounted read-only (nothing is written outside /tmp).
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CLINFER_PORT||8080)+'/v2/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/clinfer.mjs"]
CMD ["serve"]
