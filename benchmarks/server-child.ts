/**
 * A server under test in its own process (started by benchmarks/run.ts): the naive express server, the
 * HTTP floor (fixed answer, no inference) or the thread floor (thread-floor-server.ts); clinfer runs in
 * clinfer-child.mjs. Its own process means its CPU
 * time, and its main thread's, can be read from /proc, and that it can be started under `node --cpu-prof`:
 * on 'stop' it closes the server and exits normally, which is when Node writes the profile.
 */
import { startHttpFloorServer, startNaiveServer } from './naive-server.js';
import type { FromServer, ServerSpec, ToServer } from './protocol.js';
import { IMAGE_MODELS, MNIST } from './run/models.js';
import { TSX } from './run/paths.js';
import { startThreadFloorServer } from './thread-floor-server.js';

let close: (() => Promise<void>) | undefined;

function send(msg: FromServer): void {
  if (process.connected) process.send!(msg);
}

async function start(spec: ServerSpec): Promise<void> {
  if (spec.kind === 'floor') {
    const floor = await startHttpFloorServer(spec.output, spec.elements);
    close = () => floor.close();
    send({ type: 'ready', url: floor.url });
    return;
  }
  if (spec.kind === 'naive') {
    const naive = await startNaiveServer(spec.modelPath);
    close = () => naive.close();
    send({ type: 'ready', url: naive.url });
    return;
  }
  if (spec.kind === 'thread-floor') {
    const model = [...IMAGE_MODELS, MNIST].find((m) => m.name === spec.model);
    if (!model) throw new Error(`thread floor: no model '${spec.model}' in benchmarks/run/models.ts`);
    const floor = await startThreadFloorServer(model, spec.threads, TSX);
    close = () => floor.close();
    send({ type: 'ready', url: floor.url });
    return;
  }
  throw new Error('server-child.ts serves the naive server and the HTTP and thread floors; clinfer runs in clinfer-child.mjs');
}

async function stop(code: number): Promise<never> {
  await close?.().catch(() => undefined);
  send({ type: 'stopped' });
  // A normal exit: --cpu-prof writes the main thread's profile now.
  process.exit(code);
}

process.on('message', (msg: ToServer) => {
  if (msg.type === 'start') {
    start(msg.spec).catch((error: unknown) => {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      void stop(1);
    });
  } else if (msg.type === 'stop') {
    void stop(0);
  }
});
process.on('disconnect', () => void stop(0));
