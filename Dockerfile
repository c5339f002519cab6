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
# Base image pinned by digest (a supply-chain review asks what exactly was built on). NODE_IMAGE is the
# multi-arch index of node:20.20.2-bookworm-slim; to move to a newer Node 20 patch, read the tag's
# current digest with `docker buildx imagetools inspect node:20-bookworm-slim` and change it here and in
# Dockerfile.gpu, or pass --build-arg NODE_IMAGE=<your registry's image>@sha256:<digest>.
# The image carries /app/sbom.cdx.json: a CycloneDX SBOM of the production npm dependencies, made in the
# build (`docker run --rm --entrypoint cat clinfer sbom.cdx.json`). How the file is checked:
# docs/deployment.md.
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

# The build: every dependency (TypeScript and Vite are development ones); `npm ci` runs the package's
# `prepare`, which builds the web app (app/dist) and compiles the runtime to JavaScript (dist/). Then the
# development dependencies go (`npm prune --omit=dev`): the image runs the compiled code, no TypeScript.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# skip: no CUDA download (the CPU library ships in the npm package; with npm 11 onnxruntime-node's own
# script is denied in allowScripts and scripts/onnxruntime-install.mjs reads this variable).
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
# better-sqlite3 (the outcome store) is native: its install fetches a prebuilt binary, else builds it from
# source with python3, make and g++ (this stage only; the runtime stage gets the built module, no compiler).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/onnxruntime-install.mjs ./scripts/
COPY runtime ./runtime
COPY adapters ./adapters
COPY app ./app
# onnxruntime-node ships the native library of every platform (~290 MB); keep this one's only. The SBOM
# lists the production dependencies (npm >= 10: `npm sbom`), before any file is pruned.
RUN npm ci \
 && test -f dist/build.json \
 && test -f app/dist/index.html \
 && npm prune --omit=dev \
 && npm sbom --sbom-format cyclonedx --omit dev > sbom.cdx.json \
 && cd node_modules/onnxruntime-node/bin/napi-v6 \
 && rm -rf darwin win32 \
 && find linux -mindepth 1 -maxdepth 1 ! -name "$(node -p process.arch)" -exec rm -rf {} +

FROM ${NODE_IMAGE} AS runtime
# TMPDIR: temporary files go to /tmp; give it a tmpfs (or an emptyDir) when the root filesystem is
# read-only. ORT_DISABLE_TELEMETRY: ONNX Runtime 1.30 on Linux otherwise keeps a
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
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/sbom.cdx.json ./sbom.cdx.json
COPY package.json LICENSE ./
COPY bin ./bin
# The compiled runtime and the web app; no TypeScript sources (bin/clinfer.mjs runs dist/).
COPY --from=build /app/dist ./dist
COPY --from=build /app/app/dist ./app/dist
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
