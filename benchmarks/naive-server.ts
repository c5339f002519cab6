/**
 * The "naive server": what someone would write in an afternoon to put an ONNX model behind HTTP.
 * Express 5, express.json(), one InferenceSession created with default options (ONNX Runtime picks
 * its own thread count) and run in the main thread, no batching, no workers. It speaks the same
 * OIP v2 JSON as clinfer so that both receive byte-identical requests.
 * (Its only concession is logSeverityLevel 3, to keep ONNX Runtime's graph warnings off the report.)
 * Also here: the HTTP floor, a server that answers without doing anything.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';

export interface NaiveServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startNaiveServer(modelPath: string): Promise<NaiveServer> {
  const session = await ort.InferenceSession.create(modelPath, { logSeverityLevel: 3 });
  const app = express();
  app.use(express.json({ limit: '100mb' }));

  app.post('/v2/models/:model/infer', async (req, res) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of req.body.inputs as { name: string; shape: number[]; data: unknown[] }[]) {
      feeds[input.name] = new ort.Tensor('float32', Float32Array.from(input.data.flat(Infinity) as number[]), input.shape);
    }
    const results = await session.run(feeds);
    res.json({
      model_name: req.params.model,
      outputs: Object.entries(results).map(([name, t]) => ({ name, datatype: 'FP32', shape: t.dims, data: Array.from(t.data as Float32Array) })),
    });
  });

  const server = createServer(app);
  return {
    url: await listenOnLoopback(server),
    async close() {
      await closeHttpServer(server);
      await session.release();
    },
  };
}

/**
 * The floor of the HTTP path: node:http, reads the whole body, answers a fixed OIP JSON response
 * (`elements` zeros in `output`) without parsing or inference. What the load generator, loopback and
 * Node's HTTP stack cost per request on this machine.
 */
export async function startHttpFloorServer(output: string, elements: number): Promise<NaiveServer> {
  const answer = Buffer.from(JSON.stringify({ model_name: 'floor', outputs: [{ name: output, datatype: 'FP32', shape: [1, elements], data: new Array(elements).fill(0) }] }));
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.byteLength });
      res.end(answer);
    });
  });
  return {
    url: await listenOnLoopback(server),
    close: () => closeHttpServer(server),
  };
}

/** Stops accepting, drops the keep-alive connections, and resolves once the server has closed. */
export async function closeHttpServer(server: Server): Promise<void> {
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections();
  await closed;
}

/** Listens on a free loopback port; resolves with the server's base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
