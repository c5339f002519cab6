import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody } from '../helpers/binary.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';

/**
 * runtime/http/infer-fast-path.ts hands POST /v2/models/{m}[/versions/{v}]/infer to its route without
 * express's router. The same request with a query string goes through the router (the fast path takes
 * none): both must answer the same bytes, status and headers in the same order, success or error.
 */
let server: ClinferServer;
const ORIGIN = 'https://viewer.example';

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS, { corsOrigins: [ORIGIN] });
});
afterAll(() => server?.close());

interface Answer {
  status: number;
  /** Header names and values in the order sent, without Date (the clock moves between the two). */
  headers: string[];
  body: Buffer;
}

function post(path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(body.byteLength) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]!.toLowerCase() !== 'date') headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Counts the calls of express's router (the app's and the route table's). */
function spyOnRouter() {
  return vi.spyOn(express.Router.prototype as { handle: (...args: unknown[]) => unknown }, 'handle');
}

/** The answer of the fast path and of the router to the same request; checks which one served each. */
async function bothWays(path: string, body: Buffer, headers: Record<string, string>): Promise<{ fast: Answer; routed: Answer }> {
  const routerHandle = spyOnRouter();
  try {
    const fast = await post(path, body, headers);
    expect(routerHandle).not.toHaveBeenCalled();
    const routed = await post(`${path}?via=router`, body, headers);
    expect(routerHandle).toHaveBeenCalled();
    return { fast, routed };
  } finally {
    routerHandle.mockRestore();
  }
}

const features = new Float32Array([63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6]);
const request13 = binaryBody(
  { id: 'r-1', inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', parameters: { binary_data_size: 52 } }], outputs: [{ name: 'probability', parameters: { binary_data: true } }] },
  features,
);
const binaryHeaders = (headerLength: number) => ({
  'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength), 'x-request-id': 'fast-path-test',
});

describe('the infer fast path', () => {
  it('answers a binary request as the router does: same status, headers in order, bytes', async () => {
    const { fast, routed } = await bothWays('/v2/models/heart-disease-risk/infer', request13.body, binaryHeaders(request13.headerLength));
    expect(fast.status).toBe(200);
    expect(fast).toEqual(routed);
  });

  it('leaves to the router what it does not serve: CORS, a compressed body', async () => {
    const routerHandle = spyOnRouter();
    try {
      const cors = await post('/v2/models/heart-disease-risk/infer', request13.body, { ...binaryHeaders(request13.headerLength), origin: ORIGIN });
      expect(cors.status).toBe(200);
      expect(cors.headers).toContain(`Access-Control-Allow-Origin: ${ORIGIN}`);
      expect(routerHandle).toHaveBeenCalled();
      routerHandle.mockClear();
      const gzipped = await post('/v2/models/heart-disease-risk/infer', gzipSync(request13.body), { ...binaryHeaders(request13.headerLength), 'content-encoding': 'gzip' });
      expect(gzipped.status).toBe(200);
      expect(routerHandle).toHaveBeenCalled();
    } finally {
      routerHandle.mockRestore();
    }
  });

  it('answers credentials as the router does: none (401), a key without the scope (403), the right one', async () => {
    const sha = (key: string) => createHash('sha256').update(key).digest('hex');
    const open = server;
    server = await startTestServer(DEMO_MODELS, {
      apiKeys: [{ name: 'pacs', sha256: sha('clk_fast_infer'), scopes: ['infer'] }, { name: 'prometheus', sha256: sha('clk_fast_metrics'), scopes: ['metrics'] }],
    });
    try {
      const path = '/v2/models/heart-disease-risk/infer';
      const headers = binaryHeaders(request13.headerLength);
      const none = await bothWays(path, request13.body, headers);
      expect(none.fast.status).toBe(401);
      expect(none.fast).toEqual(none.routed);
      const metrics = await bothWays(path, request13.body, { ...headers, authorization: 'Bearer clk_fast_metrics' });
      expect(metrics.fast.status).toBe(403);
      expect(metrics.fast).toEqual(metrics.routed);
      const infer = await bothWays(path, request13.body, { ...headers, authorization: 'Bearer clk_fast_infer' });
      expect(infer.fast.status).toBe(200);
      expect(infer.fast).toEqual(infer.routed);
    } finally {
      await server.close();
      server = open;
    }
  });

  it('serves the versioned path the same way', async () => {
    const { fast, routed } = await bothWays('/v2/models/heart-disease-risk/versions/1/infer', request13.body, binaryHeaders(request13.headerLength));
    expect(fast.status).toBe(200);
    expect(fast).toEqual(routed);
  });

  it('answers errors as the router does: unknown model, malformed body, JSON', async () => {
    const unknown = await bothWays('/v2/models/no-such-model/infer', request13.body, binaryHeaders(request13.headerLength));
    expect(unknown.fast.status).toBe(404);
    expect(unknown.fast).toEqual(unknown.routed);

    const short = binaryBody({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', parameters: { binary_data_size: 52 } }] }, new Uint8Array(40));
    const malformed = await bothWays('/v2/models/heart-disease-risk/infer', short.body, binaryHeaders(short.headerLength));
    expect(malformed.fast.status).toBe(400);
    expect(malformed.fast).toEqual(malformed.routed);

    const json = await bothWays('/v2/models/heart-disease-risk/infer', Buffer.from('{"inputs": ['), { 'content-type': 'application/json', 'x-request-id': 'fast-path-test' });
    expect(json.fast.status).toBe(400);
    expect(json.fast).toEqual(json.routed);
  });
});
