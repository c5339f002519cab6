# syntax=docker/dockerfile:1
# clinfer, CPU image (linux/amd64 and linux/arm64).
#   Build: docker build -t clinfer .
#   Key:   docker run --rm --read-only --tmpfs /tmp clinfer key create --name pacs --scopes infer
#          (prints the key once and its apiKeys entry; put the entry in a JSON list, e.g. keys.json)
#   Run:   docker run --rm -p 8080:8080 -p 8081:8081 --read-only --tmpfs /tmp \
#            -v /srv/models:/models:ro -v $PWD/keys.json:/run/secrets/clinfer-keys.json:ro \
#            -e CLINFER_API_KEYS_FILE=/run/secrets/clinfer-keys.json clinfer
# The image listens on 0.0.0.0, so clinfer refuses to start until authentication is configured (API keys,
# OIDC or client certificates; SECURITY.md) or CLINFER_INSECURE=1 accepts the risk. GPU variant:
# Dockerfile.gpu. Deployment notes: docs/deployment.md.
#
# How this file was checked (no Docker engine on the development machines, so the image itself was not
# built): on a Debian 12 (bookworm) x86-64 machine with Node 20.20.2 and npm 11.19, in a scratch copy made
# with `git -C /work/main archive HEAD | tar -x -C /tmp/dockertry`:
#   - the deps stage's RUN line exactly, as root, with its ENV:
#       env ONNXRUNTIME_NODE_INSTALL=skip npm_config_fund=false npm_config_audit=false \
#         npm_config_update_notifier=false sh -c '<RUN line>'   -> exit 0, node_modules 455 MB -> 212 MB
#   - the final stage's layout (node_modules package.json LICENSE bin runtime adapters in an app folder,
#     models beside it, all root-owned and read-only to uid 1000), started as uid 1000 with the ENV line
#     below, an unwritable HOME, a fresh TMPDIR and CLINFER_PORT=0 CLINFER_GRPC_PORT=0:
#       node bin/clinfer.mjs serve         -> exit 1, "refusing to serve 0.0.0.0 without authentication"
#       node bin/clinfer.mjs key create ...; CLINFER_API_KEYS_FILE=keys.json node bin/clinfer.mjs serve
#       curl /v2/health/ready -> 200; an inference on each demo model with the key -> 200, without -> 401
#       the HEALTHCHECK exec array below with CLINFER_PORT = that port -> exit 0 (also with TLS on);
#       after SIGTERM (the server drains and exits) -> exit 1
#     Files written: only $TMPDIR/tsx-1000 (tsx's cache, ~65 files). Without a writable TMPDIR the start
#     fails (tsx: EACCES mkdir $TMPDIR/tsx-<uid>); without ORT_DISABLE_TELEMETRY=1 ONNX Runtime also writes
#     $TMPDIR/mat-debug-<pid>.log and $HOME/.cache/Microsoft/DeveloperTools/.onnxruntime (telemetry).
#   - the webapp stage's two RUN lines the same way, after copying app and adapters (2026-11-29):
#       npm ci --ignore-scripts; npm run build:app  -> exit 0, app/dist built
# Not run here: `docker build` itself (FROM, COPY, USER, VOLUME), and the base image's own npm (10.x).

# The clinician's web app (app/ -> app/dist), built with the dev dependencies (Vite), apart from the
# production install; only its output reaches the final image.
FROM node:20-bookworm-slim AS webapp
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY app ./app
COPY adapters ./adapters
RUN npm run build:app

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# skip: no CUDA download (the CPU library ships in the npm package); the variable wins over .npmrc.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json .npmrc ./
# Production dependencies only: tsx is one of them (the runtime is TypeScript run through tsx).
# onnxruntime-node ships the native library of every platform (~290 MB); keep this one's only.
RUN npm ci --omit=dev \
 && cd node_modules/onnxruntime-node/bin/napi-v6 \
 && rm -rf darwin win32 \
 && find linux -mindepth 1 -maxdepth 1 ! -name "$(node -p process.arch)" -exec rm -rf {} +

FROM node:20-bookworm-slim AS runtime
# TMPDIR: tsx keeps its transform cache in $TMPDIR/tsx-<uid>; give /tmp a tmpfs (or an emptyDir) when
# the root filesystem is read-only. ORT_DISABLE_TELEMETRY: ONNX Runtime 1.30 on Linux otherwise keeps a
# device id and an event cache and tries to upload usage events to Microsoft.
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    ORT_DISABLE_TELEMETRY=1 \
    CLINFER_HOST=0.0.0.0 \
    CLINFER_PORT=8080 \
    CLINFER_GRPC_PORT=8081 \
    CLINFER_MODELS=/models \
    CLINFER_PROVIDERS=cpu
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json LICENSE ./
COPY bin ./bin
COPY runtime ./runtime
COPY adapters ./adapters
COPY --from=webapp /app/app/dist ./app/dist
# The demo bundles; mount your model repository over /models (read-only is enough).
COPY models /models
VOLUME /models
# Non-root (uid 1000 of the node image); the files above stay root's, so the server cannot change them.
USER node
# 8080: HTTP (Open Inference Protocol v2, metrics); 8081: gRPC (inference.GRPCInferenceService).
EXPOSE 8080 8081
# Liveness, not readiness: loading models must not mark the container unhealthy. The path needs no
# credentials (publicPaths); HTTP and HTTPS are both tried, so it also works with TLS on (the certificate
# is not checked: this is the container's own process on loopback). CLINFER_PORT must be the HTTP port.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const o={host:'127.0.0.1',port:process.env.CLINFER_PORT||8080,path:'/v2/health/live',timeout:4000,rejectUnauthorized:false};let left=2;for(const m of ['http','https']){let done=false;const fail=()=>{if(!done){done=true;if(--left===0)process.exit(1)}};require(m).get(o,(r)=>(r.statusCode===200?process.exit(0):fail())).on('error',fail).on('timeout',fail)}"]
# SIGTERM drains accepted requests, then exits; node is PID 1 and handles it itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/clinfer.mjs"]
CMD ["serve"]
