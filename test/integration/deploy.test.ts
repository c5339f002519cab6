import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCommand } from '../../runtime/cli/bundle-command.js';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';

/**
 * MLOps: sign and verify, trusted keys at load, uploads that are atomic and checked, a hot swap under
 * continuous load that loses nothing, rollback and deletion.
 */
const work = mkdtempSync(join(tmpdir(), 'clinfer-deploy-'));
const keys = generateKeyPairSync('ed25519');
writeFileSync(join(work, 'signer.key'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(work, 'signer.pub'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
const other = generateKeyPairSync('ed25519');
writeFileSync(join(work, 'other.key'), other.privateKey.export({ type: 'pkcs8', format: 'pem' }));

const quiet = { log: () => undefined, err: (l: string) => lines.push(l) };
const lines: string[] = [];
const cli = (...args: string[]) => bundleCommand(args, quiet);

/** A copy of the heart-disease demo bundle renamed `name`/`version`, signed with `key`. */
async function bundleDir(name: string, version: string, key: string | undefined): Promise<string> {
  const dir = join(work, `${name}-${version}-${Math.random().toString(36).slice(2)}`);
  cpSync(join(DEMO_MODELS, 'heart-disease-risk/1'), dir, { recursive: true });
  const b = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ ...b, name, version, cds_hooks: undefined }));
  if (key) expect(await cli('sign', dir, '--key', key)).toBe(0);
  return dir;
}
async function packed(dir: string): Promise<Buffer> {
  const out = join(work, `${Math.random().toString(36).slice(2)}.tar.gz`);
  expect(await cli('pack', dir, '--out', out)).toBe(0);
  return readFileSync(out);
}

describe('sign and verify', () => {
  it('round-trips, and a one-byte change in any file fails verification', async () => {
    const dir = await bundleDir('heart', '1', join(work, 'signer.key'));
    expect(await cli('verify', dir, '--key', join(work, 'signer.pub'))).toBe(0);
    for (const file of ['bundle.json', 'model.onnx', 'signature.json']) {
      const copy = join(work, `tamper-${file}`);
      cpSync(dir, copy, { recursive: true });
      const bytes = readFileSync(join(copy, file));
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(join(copy, file), bytes);
      lines.length = 0;
      expect(await cli('verify', copy, '--key', join(work, 'signer.pub')), file).toBe(1);
      expect(lines.join('\n'), file).toMatch(file === 'signature.json' ? /not valid JSON|does not verify|signature covers/ : new RegExp(`file '${file.replace('.', '\\.')}' has sha256`));
    }
    const extra = join(work, 'extra');
    cpSync(dir, extra, { recursive: true });
    writeFileSync(join(extra, 'notes.txt'), 'added after signing');
    expect(await cli('verify', extra, '--key', join(work, 'signer.pub'))).toBe(1);
  });

  it('packs reproducibly: the same folder gives the same bytes', async () => {
    const dir = await bundleDir('heart', '1', join(work, 'signer.key'));
    expect(Buffer.compare(await packed(dir), await packed(dir))).toBe(0);
  });
});

describe('a server with trusted keys and a deploy credential', () => {
  let server: ClinferServer;
  let repo: string;
  const deployKey = 'clk_deploy_for_tests';
  const inferKey = 'clk_infer_for_tests';
  const sha = (k: string) => createHash('sha256').update(k).digest('hex');
  const auth = (k: string) => ({ authorization: `Bearer ${k}` });
  const put = (name: string, version: string, body: Buffer, key = deployKey) =>
    fetch(`${server.url}/v2/repository/models/${name}/versions/${version}`, { method: 'PUT', body, headers: { ...auth(key), 'content-type': 'application/gzip' } });
  const infer = (name: string) => fetch(`${server.url}/v2/models/${name}/infer`, {
    method: 'POST', headers: auth(inferKey),
    body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6] }] }),
  });
  const index = async () => (await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST', headers: auth(deployKey) })).json()) as { name: string; version: string; state: string; reason: string }[];

  beforeAll(async () => {
    repo = mkdtempSync(join(tmpdir(), 'clinfer-repo-'));
    cpSync(await bundleDir('heart', '1', join(work, 'signer.key')), join(repo, 'heart', '1'), { recursive: true });
    cpSync(await bundleDir('unsigned', '1', undefined), join(repo, 'unsigned', '1'), { recursive: true });
    cpSync(await bundleDir('foreign', '1', join(work, 'other.key')), join(repo, 'foreign', '1'), { recursive: true });
    server = await startTestServer(repo, {
      trustedKeys: [join(work, 'signer.pub')],
      apiKeys: [{ name: 'ci-pipeline', sha256: sha(deployKey), scopes: ['deploy', 'admin'] }, { name: 'pacs', sha256: sha(inferKey), scopes: ['infer'] }],
    });
  });
  afterAll(() => server?.close());

  it('serves only bundles signed by a trusted key', async () => {
    const entries = await index();
    expect(entries.find((e) => e.name === 'heart')?.state).toBe('READY');
    expect(entries.find((e) => e.name === 'unsigned')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/not signed/) });
    expect(entries.find((e) => e.name === 'foreign')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/does not verify under any trusted key/) });
  });

  it('refuses uploads without the deploy scope, unsigned, truncated or with unsafe entries, leaving nothing on disk', async () => {
    const good = await packed(await bundleDir('heart', '2', join(work, 'signer.key')));
    expect((await put('heart', '2', good, inferKey)).status).toBe(403);
    const unsigned = await put('heart', '2', await packed(await bundleDir('heart', '2', undefined)));
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as any).error).toMatch(/not signed/);
    const cut = await put('heart', '2', good.subarray(0, Math.floor(good.length / 2)));
    expect(cut.status).toBe(400);
    expect(((await cut.json()) as any).error).toMatch(/bundle archive: is not a gzip-compressed tar file/);
    const evil = Buffer.alloc(1024);
    evil.write('../escape.txt', 0);
    evil.write('0000644\0', 100); evil.write('00000000000\0', 124); evil.write('00000000000\0', 136); evil.write('0', 156); evil.write('ustar\0', 257);
    evil.write('        ', 148);
    evil.write(`${evil.subarray(0, 512).reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
    const unsafe = await put('heart', '2', gzipSync(Buffer.concat([evil, Buffer.alloc(1024)])));
    expect(unsafe.status).toBe(400);
    expect(((await unsafe.json()) as any).error).toMatch(/points outside the bundle/);
    expect(existsSync(join(repo, 'heart', '2'))).toBe(false);
    expect(readdirSync(repo).filter((f) => f.startsWith('.'))).toEqual([]);
    expect((await infer('heart')).status).toBe(200);
  });

  it('refuses a signed bundle that cannot load, removes it, and keeps the old version serving', async () => {
    const dir = await bundleDir('heart', '2', undefined);
    const b = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
    // Valid schema and sha256, but the declared input contradicts the graph: it can never serve.
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ ...b, inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 12] }] }));
    expect(await cli('sign', dir, '--key', join(work, 'signer.key'))).toBe(0);
    const res = await put('heart', '2', await packed(dir));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/did not load: .*(warm-up run failed: Got invalid dimensions for input: features|dimension 1 is 12)/);
    expect(existsSync(join(repo, 'heart', '2'))).toBe(false);
    expect(((await (await infer('heart')).json()) as any).model_version).toBe('1');
  });

  it('hot-swaps to a new version under continuous load without failing a request', async () => {
    const bundle = await packed(await bundleDir('heart', '2', join(work, 'signer.key')));
    const versions: string[] = [];
    const failures: number[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const res = await infer('heart');
        if (res.status !== 200) failures.push(res.status);
        versions.push(((await res.json()) as any).model_version);
      }
    };
    const clients = Array.from({ length: 24 }, client);
    await new Promise((r) => setTimeout(r, 300));
    const before = versions.length;
    const deployed = await put('heart', '2', bundle);
    const during = versions.length - before;
    expect(deployed.status).toBe(201);
    expect(await deployed.json()).toMatchObject({ name: 'heart', version: '2', state: 'READY', bundle_digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Keep the load on until a few thousand requests have crossed the swap.
    for (let i = 0; i < 450 && versions.length < before + 3000; i++) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(during).toBeGreaterThan(100);
    expect(versions.length).toBeGreaterThanOrEqual(before + 3000);
    expect(versions).toContain('1');
    expect(versions.at(-1)).toBe('2');
    const entries = (await index()).filter((e) => e.name === 'heart').map((e) => [e.version, e.state]);
    expect(entries).toEqual([['1', 'UNAVAILABLE'], ['2', 'READY']]);
    expect((await put('heart', '2', bundle)).status).toBe(409);
  });

  it('rolls back to the previous version in one call, and deletes a version', async () => {
    const res = await fetch(`${server.url}/v2/repository/models/heart/rollback`, { method: 'POST', headers: auth(deployKey) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'heart', version: '1', state: 'READY' });
    expect(((await (await infer('heart')).json()) as any).model_version).toBe('1');
    expect((await fetch(`${server.url}/v2/repository/models/heart/versions/2`, { method: 'DELETE', headers: auth(deployKey) })).status).toBe(200);
    expect(existsSync(join(repo, 'heart', '2'))).toBe(false);
    expect((await index()).filter((e) => e.name === 'heart').map((e) => e.version)).toEqual(['1']);
    expect((await fetch(`${server.url}/v2/repository/models/heart/versions/9`, { method: 'DELETE', headers: auth(deployKey) })).status).toBe(404);
  });
});
