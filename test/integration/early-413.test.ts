import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * A body over the limit is answered 413 as soon as its size is known: from Content-Length before a byte
 * of it is read, or (chunked) once the bytes read pass the limit; the server never waits for the rest.
 */
const repo = new TempRepository().add('heart', '1', { 'model.onnx': { copy: join(DEMO_MODELS, 'heart-disease-risk', '1', 'model.onnx') } });
let server: ClinferServer;
beforeAll(async () => {
  server = await startTestServer(repo.root, { maxBodyBytes: 1024 * 1024, maxBundleBytes: 1024 * 1024 });
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

/** Sends `head` (and then `chunks`, one per 20 ms, while the connection lasts) and gives what came back before the socket closed or 5 s passed. */
function exchange(head: string, chunks: Buffer[] = []): Promise<{ answer: string; chunksSent: number }> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => { clearInterval(timer); socket.destroy(); resolve({ answer, chunksSent: sent }); };
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n\r\n') && /"code"/.test(answer)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(head);
    timer = setInterval(() => { if (sent < chunks.length && !socket.destroyed) socket.write(chunks[sent++]!); }, 20);
    setTimeout(finish, 5000);
  });
}

describe('413 before the body is read', () => {
  it('infer: a Content-Length over the limit is answered 413 BODY_TOO_LARGE with no body byte sent', async () => {
    const { answer } = await exchange(`POST /v2/models/heart/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 ** 3}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/"code":"BODY_TOO_LARGE"/);
  });

  it('deploy: a bundle whose Content-Length passes maxBundleBytes is answered 413 with no body byte sent', async () => {
    const { answer } = await exchange(`PUT /v2/repository/models/m/versions/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/gzip\r\nContent-Length: ${512 * 1024 ** 2}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/"code":"BODY_TOO_LARGE"/);
  });

  it('deploy, chunked: answered 413 once the bytes read pass the limit, before the sender is done', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const chunks = Array.from({ length: 40 }, () => Buffer.concat([Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    const { answer, chunksSent } = await exchange('PUT /v2/repository/models/m/versions/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/gzip\r\nTransfer-Encoding: chunked\r\n\r\n', chunks);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    // 1 MiB is passed by the 5th chunk of 256 KiB; the answer came long before the 40th (10 MiB).
    expect(chunksSent).toBeLessThan(40);
  });
});
