import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCommand } from '../../runtime/cli/validate-command.js';
import { parseConfig } from '../../runtime/config/load-config.js';
import type { ClinferServer } from '../../runtime/server.js';
import type { ValidationReport } from '../../runtime/validation/report.js';
import { FIXTURES, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * The promotion gate: under promotionPolicy.requireValidationReport a candidate becomes the serving version
 * only with a local validation report (clinfer validate, real ONNX Runtime) signed by a trusted site key, for
 * the candidate's bundle digest, whose verdict is as_declared. Reports are made here with the validate code.
 */
const MODEL = 'heart-disease-risk';
const repo = new TempRepository().addDemo(MODEL);
const bundleFile = (v: string) => join(repo.root, MODEL, v, 'bundle.json');
cpSync(join(repo.root, MODEL, '1'), join(repo.root, MODEL, '2'), { recursive: true });
// Version 2: the same model, another bundle.json, so another bundle digest than version 1.
writeFileSync(bundleFile('2'), JSON.stringify({ ...JSON.parse(readFileSync(bundleFile('1'), 'utf8')), version: '2' }));
writeFileSync(join(repo.root, MODEL, 'model.json'), JSON.stringify({ version_policy: { specific: ['1'] } }));

const CSV = readFileSync(join(FIXTURES, 'uci-heart/uci_heart_disease_4sites_920rows.csv'), 'utf8').trim().split('\n');
const dir = mkdtempSync(join(tmpdir(), 'clinfer-promote-'));
const keys = (name: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, `${name}.key`), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, `${name}.pub`), publicKey.export({ type: 'spki', format: 'pem' }));
};
keys('site');
keys('stranger');
const auditLog = join(dir, 'audit.jsonl');

async function validate(site: 'cleveland' | 'va', version: string, key: string): Promise<ValidationReport> {
  const data = join(dir, `${site}.csv`);
  writeFileSync(data, [CSV[0], ...CSV.slice(1).filter((l) => l.endsWith(`,${site}`))].join('\n') + '\n');
  const out = join(dir, `${site}-${version}-${key}`);
  const err: string[] = [];
  const code = await validateCommand([
    '--models', repo.root, '--model', MODEL, '--version', version, '--data', data, '--label', 'target', '--site', site,
    '--missing-code', 'chol=0', '--missing-code', 'trestbps=0', '--key', join(dir, `${key}.key`), '--out', out,
  ], { log: () => undefined, err: (l) => err.push(l), progress: () => undefined });
  expect(code, err.join('\n')).toBe(0);
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
}

let server: ClinferServer;
const reports: Record<string, ValidationReport> = {};
const promote = (body?: unknown) => postJson(`${server.url}/v2/repository/models/${MODEL}/candidate/promote`, body ?? {});
const servingVersion = async () => (await postJson(`${server.url}/v2/models/${MODEL}/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [[63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6]] }] })).json.model_version;
const auditEntries = () => readFileSync(auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.action === 'promote');

beforeAll(async () => {
  reports.good = await validate('cleveland', '2', 'site');
  reports.otherDigest = await validate('cleveland', '1', 'site');
  reports.failing = await validate('va', '2', 'site');
  reports.stranger = await validate('cleveland', '2', 'stranger');
  server = await startTestServer(repo.root, { auditLog, promotionPolicy: { requireValidationReport: true, trustedSiteKeys: [join(dir, 'site.pub')] } });
  const attached = await postJson(`${server.url}/v2/repository/models/${MODEL}/candidate`, { version: '2', mode: 'shadow' });
  expect(attached.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await server?.close();
  repo.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('promotion gate', () => {
  it('the reports made for the test are what each case needs', () => {
    expect(reports.good!.declared.verdict).toBe('as_declared');
    expect(reports.failing!.declared.verdict).toBe('below_declared');
    expect(reports.otherDigest!.bundle.digest).not.toBe(reports.good!.bundle.digest);
  });

  it('refuses a candidate without a report, saying what is missing', async () => {
    const r = await promote();
    expect(r.status).toBe(412);
    expect(r.json).toMatchObject({ code: 'VALIDATION_REQUIRED', error: expect.stringMatching(new RegExp(`version 2 needs a passing local validation report .*bundle digest ${reports.good!.bundle.digest}`)) });
    expect(await servingVersion()).toBe('1');
  });

  it.each([
    ['a report of another bundle digest', () => reports.otherDigest, /validates bundle digest .* \(heart-disease-risk 1\), not the candidate/],
    ['a report changed after signing', () => ({ ...reports.good!, overall: { ...reports.good!.overall, n: reports.good!.overall.n! + 1 } }), /changed after it was signed/],
    ['a report signed by a key that is not trusted', () => reports.stranger, /does not verify under any of the given keys/],
    ['a report whose verdict is below declared', () => reports.failing, /verdict is below_declared \(below declared: roc_auc/],
    ['something that is not a report', () => ({ format: 'x' }), /is not a clinfer-validation-report\/1 document/],
  ])('refuses %s', async (_, report, message) => {
    const r = await promote({ report: report() });
    expect(r.status).toBe(412);
    expect(r.json).toMatchObject({ code: 'VALIDATION_REQUIRED', error: expect.stringMatching(message) });
    expect(await servingVersion()).toBe('1');
  });

  it('accepts a passing report signed by a trusted site for the candidate: version 2 serves, pinned; the shadow ends', async () => {
    const r = await promote({ report: reports.good });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ name: MODEL, version: '2', state: 'READY', bundle_digest: reports.good!.bundle.digest, validation_report: { site: 'cleveland', data_sha256: reports.good!.data.sha256 } });
    expect(await servingVersion()).toBe('2');
    const index = (await postJson(`${server.url}/v2/repository/index`, {})).json as Array<{ name: string; version: string; state: string }>;
    expect(index.filter((e) => e.name === MODEL).map((e) => [e.version, e.state])).toEqual([['1', 'UNAVAILABLE'], ['2', 'READY']]);
    const again = await promote({ report: reports.good });
    expect(again.status).toBe(400);
    expect(again.json.error).toMatch(/has no candidate to promote/);
  });

  it('audits every attempt: refusals with their code, the promotion with the report it rested on', () => {
    const entries = auditEntries();
    expect(entries.map((e) => e.outcome)).toEqual([...Array(6).fill('VALIDATION_REQUIRED'), 'success', 'INVALID_REQUEST']);
    const ok = entries[6];
    expect(ok).toMatchObject({ model: MODEL, version: '2', bundle_digest: reports.good!.bundle.digest, report_site: 'cleveland', report_data_sha256: reports.good!.data.sha256, report_key_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('a policy that requires a report needs trusted site keys (config refused at start)', () => {
    expect(() => parseConfig({ models: repo.root, promotionPolicy: { requireValidationReport: true } })).toThrow(/promotionPolicy\.trustedSiteKeys/);
  });
});
