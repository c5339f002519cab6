// clinfer under test in its own process, as production runs it: the compiled JavaScript in dist/
// (`npm run build`; benchmarks/run.ts builds it at the start of a run), plain node, no tsx. With
// CLINFER_BENCH_FROM_SOURCE=1 (`npm run bench -- --from-source`, started under tsx) the TypeScript sources
// instead. Same IPC protocol as server-child.ts (protocol.ts), which serves the naive server and the HTTP
// floor. On 'stop' it closes the server and exits normally, which is when `node --cpu-prof` writes the profile.
const root = process.env.CLINFER_BENCH_FROM_SOURCE === '1' ? '../runtime' : '../dist/runtime';
const { parseConfig } = await import(`${root}/config/load-config.js`);
const { startServer } = await import(`${root}/server.js`);

process.env.ORT_DISABLE_TELEMETRY ??= '1';
let close;

function send(msg) {
  if (process.connected) process.send(msg);
}

async function start(spec) {
  if (spec.kind !== 'clinfer') throw new Error(`clinfer-child.mjs serves clinfer only, not '${spec.kind}'`);
  const server = await startServer(parseConfig(spec.config));
  close = () => server.close();
  for (const model of spec.readyModels) {
    const res = await fetch(`${server.url}/v2/models/${model}/ready`);
    if (res.status !== 200) {
      const meta = await fetch(`${server.url}/v2/models/${model}`).then((r) => r.text()).catch(() => '');
      throw new Error(`model ${model} is not ready (HTTP ${res.status}): ${meta.slice(0, 400)}`);
    }
  }
  send({ type: 'ready', url: server.url });
}

async function stop(code) {
  await close?.().catch(() => undefined);
  send({ type: 'stopped' });
  process.exit(code);
}

process.on('message', (msg) => {
  if (msg.type === 'start') {
    start(msg.spec).catch((error) => {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      void stop(1);
    });
  } else if (msg.type === 'stop') {
    void stop(0);
  }
});
process.on('disconnect', () => void stop(0));
