import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditLog } from '../../runtime/audit/audit-log.js';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, ROOT, startTestServer } from '../helpers/server.js';

/** Traceability: every prediction and deployment in a tamper-evident log, with caller, model, digests. */
const dir = mkdtempSync(join(tmpdir(), 'clinfer-audit-'));
const logFile = join(dir, 'audit.jsonl');
const KEY = 'clk_pacs_for_audit';
let server: ClinferServer;
const body = JSON.stringify({ id: 'study-7', inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6] }] });

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS, { auditLog: logFile, apiKeys: [{ name: 'pacs-router', sha256: createHash('sha256').update(KEY).digest('hex'), scopes: ['infer', 'admin'] }] });
});
afterAll(() => server?.close());

const lines = () => readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('the audit log', () => {
  it('records each prediction with caller, model, version, bundle digest and input digest, never the input', async () => {
    const ok = await fetch(`${server.url}/v2/models/heart-disease-risk/infer`, { method: 'POST', body, headers: { authorization: `Bearer ${KEY}` } });
    const answer = (await ok.json()) as any;
    await fetch(`${server.url}/v2/models/heart-disease-risk/infer`, { method: 'POST', body: '{"inputs": []}', headers: { authorization: `Bearer ${KEY}` } });
    await fetch(`${server.url}/v1/models/heart-disease-risk/predict`, { method: 'POST', body: JSON.stringify({ records: [{ age: 50 }] }), headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } });
    await fetch(`${server.url}/v2/repository/models/chest-xray-pneumonia/load`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    const [predict, refused, records, load] = lines();
    expect(predict).toMatchObject({
      seq: 1, action: 'predict', caller: 'pacs-router', model: 'heart-disease-risk', version: '1', request_id: 'study-7', outcome: 'success',
      bundle_digest: answer.parameters.bundle_digest, input_digest: createHash('sha256').update(body).digest('hex'),
    });
    expect(predict.latency_ms).toBeGreaterThan(0);
    expect(refused).toMatchObject({ action: 'predict', outcome: 'INVALID_REQUEST' });
    expect(records).toMatchObject({ action: 'predict', model: 'heart-disease-risk', outcome: 'success' });
    expect(load).toMatchObject({ action: 'load', caller: 'pacs-router', model: 'chest-xray-pneumonia', outcome: 'success' });
    // The input values must not appear. Digests, times and latencies may hold any digits by chance: leave them out.
    const chance = new Set(['time', 'latency_ms', 'bundle_digest', 'input_digest', 'prev', 'hash']);
    const rest = lines().map((line) => Object.fromEntries(Object.entries(line).filter(([k]) => !chance.has(k))));
    expect(JSON.stringify(rest)).not.toMatch(/233|2\.3|145/);
    expect(verifyAuditLog(logFile)).toEqual({ ok: true, lines: 4 });
  });

  it('continues the chain across a restart, and `clinfer audit verify` finds an edited or removed line', () => {
    new AuditLog(logFile).append({ action: 'predict', caller: 'x', model: 'm', version: '1', outcome: 'success' });
    const cli = () => { try { return { code: 0, out: execFileSync(process.execPath, [join(ROOT, 'bin/clinfer.mjs'), 'audit', 'verify', logFile], { encoding: 'utf8' }) }; } catch (e: any) { return { code: e.status as number, out: String(e.stdout) }; } };
    expect(cli()).toEqual({ code: 0, out: 'ok: 5 lines, the chain is intact\n' });
    const original = readFileSync(logFile, 'utf8');
    writeFileSync(logFile, original.replace('"caller":"pacs-router","model":"heart-disease-risk","version":"1","bundle_digest"', '"caller":"someone-else","model":"heart-disease-risk","version":"1","bundle_digest"'));
    expect(cli()).toEqual({ code: 1, out: expect.stringMatching(/^BROKEN at line 1 of 5: hash does not match the line content/) });
    const rows = original.trim().split('\n');
    writeFileSync(logFile, [...rows.slice(0, 2), ...rows.slice(3)].join('\n') + '\n');
    expect(cli()).toEqual({ code: 1, out: expect.stringMatching(/^BROKEN at line 3 of 4: prev does not match/) });
  });
});
