/**
 * Closed-loop HTTP load generator, run as a child process of benchmarks/run.ts so that its JavaScript
 * does not share an event loop with the server under test (it still shares the machine's cores).
 *
 * C clients each send a request, wait for the whole response, and send the next one, for the job's
 * measured time (answers in flight at the end are awaited). Connections are kept alive: one per client.
 */
import { Agent, request as httpRequest } from 'node:http';
import { closedLoop } from './closed-loop.js';
import type { LoadFailure, LoadGo, LoadJob, LoadResult, LoadWarm, ResponseCheck } from './protocol.js';

interface Reply {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

type Send = () => Promise<Reply>;

function httpSender(job: LoadJob, agent: Agent): Send {
  const url = new URL(job.url);
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  const headers = { ...job.headers, 'content-length': String(body.byteLength) };
  return () =>
    new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers, timeout: job.requestTimeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = res.headers;
            resolve({
              status: res.statusCode ?? 0,
              headers: { 'inference-header-content-length': h['inference-header-content-length'] as string | undefined },
              body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response within ${job.requestTimeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}

function fetchSender(job: LoadJob): Send {
  // Node's fetch is undici: keep-alive, one pooled connection per concurrent request to the origin.
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  return async () => {
    const res = await fetch(job.url, { method: 'POST', headers: job.headers, body, signal: AbortSignal.timeout(job.requestTimeoutMs) });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: { 'inference-header-content-length': res.headers.get('inference-header-content-length') ?? undefined }, body: buf };
  };
}

/** Throws unless the reply is a 200 carrying what the check expects (output, element or record count). */
function verify(reply: Reply, check: ResponseCheck): void {
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body.subarray(0, 300).toString('utf8')}`);
  switch (check.format) {
    case 'binary': {
      const headerLength = reply.headers['inference-header-content-length'];
      if (headerLength === undefined) throw new Error('binary response without Inference-Header-Content-Length');
      const n = Number(headerLength);
      const header = JSON.parse(reply.body.subarray(0, n).toString('utf8'));
      const out = header.outputs?.find((o: { name: string }) => o.name === check.output);
      const size = out?.parameters?.binary_data_size;
      if (size !== check.elements * 4 || reply.body.byteLength - n !== size) {
        throw new Error(`binary output '${check.output}' carries ${reply.body.byteLength - n} bytes (header says ${size}), expected ${check.elements * 4}`);
      }
      return;
    }
    case 'json': {
      const json = JSON.parse(reply.body.toString('utf8'));
      const out = json.outputs?.find((o: { name: string }) => o.name === check.output);
      const data: unknown[] | undefined = out?.data;
      const elements = Array.isArray(data) ? data.flat(Infinity).length : -1;
      if (elements !== check.elements) throw new Error(`output '${check.output}' holds ${elements} elements, expected ${check.elements}`);
      return;
    }
    case 'predict': {
      const json = JSON.parse(reply.body.toString('utf8'));
      const predictions: { probability?: unknown }[] | undefined = json.predictions;
      if (!Array.isArray(predictions) || predictions.length !== check.predictions || !predictions.every((p) => typeof p.probability === 'number')) {
        throw new Error(`expected ${check.predictions} predictions with a probability: ${reply.body.subarray(0, 300).toString('utf8')}`);
      }
      return;
    }
    case 'fhir': {
      const json = JSON.parse(reply.body.toString('utf8'));
      const assessments = (json.entry ?? []).filter((e: { resource?: { resourceType?: string } }) => e.resource?.resourceType === 'RiskAssessment');
      if (json.resourceType !== 'Bundle' || assessments.length !== check.riskAssessments) {
        throw new Error(`expected a Bundle with ${check.riskAssessments} RiskAssessment(s): ${reply.body.subarray(0, 300).toString('utf8')}`);
      }
      return;
    }
  }
}

/** Resolves when run.ts answers 'go' to this job's 'warm' (it snapshots metrics and CPU in between). */
function waitForGo(id: number): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (msg: LoadJob | LoadGo) => {
      if (msg.type === 'go' && msg.id === id) {
        process.off('message', onMessage);
        resolve();
      }
    };
    process.on('message', onMessage);
  });
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.url);
  if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
    throw new Error(`refusing to load ${job.url}: the benchmark only targets loopback`);
  }
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency, maxFreeSockets: job.concurrency });
  try {
    const send = job.client === 'fetch' ? fetchSender(job) : httpSender(job, agent);
    const ok = async () => {
      const reply = await send();
      if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body.subarray(0, 300).toString('utf8')}`);
    };
    // One checked request first: a misconfigured target fails loudly instead of timing its errors.
    verify(await send(), job.check);
    if (job.warmupSeconds > 0) {
      const warm = await closedLoop(ok, job.concurrency, job.warmupSeconds);
      if (warm.errors > 0) throw new Error(`warm-up: ${warm.errors} errors, first: ${warm.firstError}`);
    }
    const go = waitForGo(job.id);
    process.send!({ type: 'warm', id: job.id } satisfies LoadWarm);
    await go;
    const cpu0 = process.cpuUsage();
    const run = await closedLoop(ok, job.concurrency, job.seconds);
    const cpu = process.cpuUsage(cpu0);
    verify(await send(), job.check);
    return {
      type: 'result', id: job.id, latenciesMs: run.latencies, wallMs: run.wallMs, errors: run.errors,
      firstError: run.firstError, cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    agent.destroy();
  }
}

process.on('message', (msg: LoadJob | LoadGo) => {
  if (msg.type !== 'run') return;
  runJob(msg).then(
    (result) => process.send!(result),
    (error: unknown) => process.send!({ type: 'failure', id: msg.id, message: error instanceof Error ? error.message : String(error) } satisfies LoadFailure),
  );
});
process.on('disconnect', () => process.exit(0));
