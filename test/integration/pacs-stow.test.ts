import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PacsError } from '../../runtime/pacs/pacs-error.js';
import { readPart10 } from '../../runtime/pacs/part10.js';
import { sendStowRs } from '../../runtime/pacs/stow-client.js';
import { freePort } from '../helpers/dcmtk.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const CT = new Uint8Array(readFileSync(join(FIXTURES, 'CT_small.dcm')));
const SR = new Uint8Array(readFileSync(join(FIXTURES, 'test-SR.dcm')));
const CT_UID = readPart10(CT).sopInstanceUid;
const SR_UID = readPart10(SR).sopInstanceUid;

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A STOW-RS stub on node:http: records each request, answers with whatever the test sets. */
let answer: (res: ServerResponse) => void = (res) => res.end();
const requests: Recorded[] = [];
let server: Server;
let baseUrl: string;

const item = (uid: string, extra: Record<string, unknown> = {}) => ({
  '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
  '00081155': { vr: 'UI', Value: [uid] },
  ...extra,
});
const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/dicom+json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  requests.length = 0;
});

/** Splits a multipart body into its parts' headers and bytes. */
function parts(body: Buffer, boundary: string): { headers: string; content: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const out: { headers: string; content: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  for (;;) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(at + delimiter.length + 2, next - 2); // skip CRLF after the delimiter, before the next
    const split = part.indexOf('\r\n\r\n');
    out.push({ headers: part.subarray(0, split).toString('latin1'), content: part.subarray(split + 4) });
    at = next;
  }
  expect(body.subarray(at).toString('latin1')).toBe(`--${boundary}--\r\n`);
  return out;
}

describe('STOW-RS client', () => {
  it('POSTs {baseUrl}/studies as multipart/related application/dicom, with the given headers, one part per instance', async () => {
    answer = json(200, { '00081199': { vr: 'SQ', Value: [item(CT_UID), item(SR_UID)] } });
    const report = await sendStowRs([CT, SR], { baseUrl, headers: { Authorization: 'Bearer secret-token' }, timeoutMs: 5000 });
    expect(report.outcomes).toEqual([
      { index: 0, sopInstanceUid: CT_UID, ok: true },
      { index: 1, sopInstanceUid: SR_UID, ok: true },
    ]);
    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/dicom-web/studies');
    expect(request!.headers.authorization).toBe('Bearer secret-token');
    expect(request!.headers.accept).toBe('application/dicom+json');
    const contentType = request!.headers['content-type']!;
    expect(contentType).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
    const boundary = /boundary=([^;]+)/.exec(contentType)![1]!;
    const sent = parts(request!.body, boundary);
    expect(sent.map((p) => p.headers)).toEqual(['Content-Type: application/dicom', 'Content-Type: application/dicom']);
    expect(sent[0]!.content.equals(Buffer.from(CT))).toBe(true);
    expect(sent[1]!.content.equals(Buffer.from(SR))).toBe(true);
  });

  it('reads 202 with FailedSOPSequence (FailureReason) and ReferencedSOPSequence (WarningReason) per instance', async () => {
    answer = json(202, {
      '00081198': { vr: 'SQ', Value: [item(SR_UID, { '00081197': { vr: 'US', Value: [0xa700] } })] },
      '00081199': { vr: 'SQ', Value: [item(CT_UID, { '00081196': { vr: 'US', Value: [0xb000] } })] },
    });
    const report = await sendStowRs([CT, SR], { baseUrl, timeoutMs: 5000 });
    expect(report.outcomes[0]).toEqual({ index: 0, sopInstanceUid: CT_UID, ok: true, status: 0xb000 });
    expect(report.outcomes[1]).toMatchObject({ index: 1, sopInstanceUid: SR_UID, ok: false, status: 0xa700 });
    expect(report.outcomes[1]!.reason).toMatch(/A700/);
  });

  it('counts an instance a 202 does not name as failed, and one a 200 does not name as stored', async () => {
    answer = json(202, { '00081199': { vr: 'SQ', Value: [item(CT_UID)] } });
    expect((await sendStowRs([CT, SR], { baseUrl, timeoutMs: 5000 })).outcomes.map((o) => o.ok)).toEqual([true, false]);
    answer = json(200, { '00081199': { vr: 'SQ', Value: [item(CT_UID)] } });
    expect((await sendStowRs([CT, SR], { baseUrl, timeoutMs: 5000 })).outcomes.map((o) => o.ok)).toEqual([true, true]);
  });

  it('reads 409 (nothing stored) and a response wrapped in an array', async () => {
    answer = json(409, [{ '00081198': { vr: 'SQ', Value: [item(CT_UID, { '00081197': { vr: 'US', Value: [0x0110] } })] } }]);
    const report = await sendStowRs([CT], { baseUrl, timeoutMs: 5000 });
    expect(report.outcomes).toEqual([{ index: 0, sopInstanceUid: CT_UID, ok: false, status: 0x0110, reason: 'STOW-RS: failure reason 0x0110' }]);
  });

  it('takes an empty 200 as all stored', async () => {
    answer = (res) => res.writeHead(200).end();
    expect((await sendStowRs([CT, SR], { baseUrl, timeoutMs: 5000 })).outcomes.every((o) => o.ok)).toBe(true);
  });

  it('rejects with PACS_STOW_HTTP on other statuses (401, 503)', async () => {
    for (const status of [401, 503]) {
      answer = (res) => res.writeHead(status).end('no');
      const error = await sendStowRs([CT], { baseUrl, timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PacsError);
      expect((error as PacsError).code).toBe('PACS_STOW_HTTP');
      expect((error as PacsError).message).toContain(String(status));
    }
  });

  it('rejects with PACS_STOW_RESPONSE_INVALID when a 202 body cannot be read', async () => {
    answer = (res) => res.writeHead(202, { 'content-type': 'application/dicom+json' }).end('<xml/>');
    expect(((await sendStowRs([CT], { baseUrl, timeoutMs: 5000 }).catch((e: unknown) => e)) as PacsError).code).toBe('PACS_STOW_RESPONSE_INVALID');
    answer = json(202, { '00081199': { vr: 'SQ', Value: [{ '00081150': { vr: 'UI', Value: ['1.2'] } }] } });
    expect(((await sendStowRs([CT], { baseUrl, timeoutMs: 5000 }).catch((e: unknown) => e)) as PacsError).code).toBe('PACS_STOW_RESPONSE_INVALID');
  });

  it('rejects with PACS_TIMEOUT when the server does not answer in time', async () => {
    answer = () => undefined; // never answers
    // The server never answers, so only the client's own timer can end the request: the code and the
    // configured 300 ms in the message say that timer fired (no stopwatch; a hang fails by the test timeout).
    const error = await sendStowRs([CT], { baseUrl, timeoutMs: 300 }).catch((e: unknown) => e);
    expect((error as PacsError).code).toBe('PACS_TIMEOUT');
    expect((error as PacsError).message).toMatch(/did not answer within 300 ms/);
    expect(((error as PacsError).cause as Error).name).toBe('TimeoutError');
  });

  it('rejects with PACS_NETWORK when nothing listens', async () => {
    const port = await freePort();
    const error = await sendStowRs([CT], { baseUrl: `http://127.0.0.1:${port}/dicom-web`, timeoutMs: 3000 }).catch((e: unknown) => e);
    expect((error as PacsError).code).toBe('PACS_NETWORK');
    expect((error as PacsError).message).toMatch(/ECONNREFUSED/);
  });

  it('rejects with PACS_INVALID_PART10 before sending anything that is not Part 10', async () => {
    const error = await sendStowRs([new Uint8Array(10)], { baseUrl, timeoutMs: 3000 }).catch((e: unknown) => e);
    expect((error as PacsError).code).toBe('PACS_INVALID_PART10');
    expect(requests).toHaveLength(0);
  });
});
