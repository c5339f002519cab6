import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpack } from '../../runtime/bundle/tar.js';
import { bundleDigest, fileDigests } from '../../runtime/bundle/signature.js';
import { bundleCommand } from '../../runtime/cli/bundle-command.js';
import { parseConfig } from '../../runtime/config/load-config.js';
import { createReplayPolicy } from '../../runtime/repository/replay-policy.js';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';

/**
 * A signed bundle cannot come back once withdrawn (revocation list, minimum version, superseded), and
 * deploys leave nothing behind: no staging folder after a crash, no empty model folder after a failure,
 * no absolute server path in what callers read, a tar entry named '.' refused as a bad bundle.
 */
const work = mkdtempSync(join(tmpdir(), 'clinfer-replay-'));
const keys = generateKeyPairSync('ed25519');
writeFileSync(join(work, 'signer.key'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(work, 'signer.pub'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
const cli = (...args: string[]) => bundleCommand(args, { log: () => undefined, err: () => undefined });

/** The heart-disease demo bundle as `name`/`version`, signed; `edit` changes bundle.json before signing. */
async function bundleDir(name: string, version: string, edit: (b: any) => any = (b) => b): Promise<string> {
  const dir = join(work, `${name}-${version}-${Math.random().toString(36).slice(2)}`);
  cpSync(join(DEMO_MODELS, 'heart-disease-risk/1'), dir, { recursive: true });
  const b = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify(edit({ ...b, name, version, cds_hooks: undefined })));
  expect(await cli('sign', dir, '--key', join(work, 'signer.key'))).toBe(0);
  return dir;
}
/** A signed bundle whose bundle.json was changed after signing. */
async function tampered(name: string, version: string): Promise<string> {
  const dir = await bundleDir(name, version);
  writeFileSync(join(dir, 'bundle.json'), `${readFileSync(join(dir, 'bundle.json'), 'utf8')}\n`);
  return dir;
}
async function packed(dir: string): Promise<Buffer> {
  const out = join(work, `${Math.random().toString(36).slice(2)}.tar.gz`);
  expect(await cli('pack', dir, '--out', out)).toBe(0);
  return readFileSync(out);
}

let server: ClinferServer;
let repo: string;
let revokedDir: string;
const put = async (name: string, version: string, body: Buffer) => {
  const res = await fetch(`${server.url}/v2/repository/models/${name}/versions/${version}`, { method: 'PUT', body, headers: { 'content-type': 'application/gzip' } });
  return { status: res.status, json: (await res.json()) as any };
};
const index = async () => (await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST' })).json()) as { name: string; version: string; state: string; reason: string }[];

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'clinfer-replay-repo-'));
  cpSync(await bundleDir('heart', '3'), join(repo, 'heart', '3'), { recursive: true });
  // Below the minimum version, already on disk: never served again.
  cpSync(await bundleDir('legacy', '1'), join(repo, 'legacy', '1'), { recursive: true });
  // A version folder that does not parse: its reason must not show where the repository lives.
  mkdirSync(join(repo, 'broken', '1'), { recursive: true });
  writeFileSync(join(repo, 'broken', '1', 'bundle.json'), '{ not json');
  // What a crash mid-deploy and mid-delete leave behind.
  mkdirSync(join(repo, '.staging-0b1c2d3e', 'x'), { recursive: true });
  mkdirSync(join(repo, '.trash-4f5a6b7c'));
  revokedDir = await bundleDir('heart', '7');
  server = await startTestServer(repo, {
    trustedKeys: [join(work, 'signer.pub')],
    revokedBundleDigests: [bundleDigest(await fileDigests(revokedDir))],
    bundleMinVersions: { legacy: 3 },
    refuseSupersededBundles: true,
  });
});
afterAll(async () => {
  await server?.close();
});

describe('replay policy', () => {
  it('refuses a revoked signed bundle (409 BUNDLE_REVOKED) and leaves nothing on disk', async () => {
    const res = await put('heart', '7', await packed(revokedDir));
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('BUNDLE_REVOKED');
    expect(res.json.error).toMatch(/revokedBundleDigests/);
    expect(existsSync(join(repo, 'heart', '7'))).toBe(false);
    // The same content signed for another version number is another bundle: still accepted.
    expect((await put('heart', '8', await packed(await bundleDir('heart', '8')))).status).toBe(201);
  });

  it('refuses a version below bundleMinVersions, on deploy (409) and on disk (UNAVAILABLE)', async () => {
    const res = await put('legacy', '2', await packed(await bundleDir('legacy', '2')));
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('BUNDLE_SUPERSEDED');
    expect(existsSync(join(repo, 'legacy', '2'))).toBe(false);
    const entry = (await index()).find((e) => e.name === 'legacy' && e.version === '1');
    expect(entry).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/below the minimum version 3 \(bundleMinVersions\)/) });
    expect((await put('legacy', '3', await packed(await bundleDir('legacy', '3')))).status).toBe(201);
  });

  it('refuses to deploy a version lower than one on disk (refuseSupersededBundles)', async () => {
    const res = await put('heart', '4', await packed(await bundleDir('heart', '4')));
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('BUNDLE_SUPERSEDED');
    expect(res.json.error).toMatch(/already has version 8/);
    expect(existsSync(join(repo, 'heart', '4'))).toBe(false);
  });

  it('reads a revocation file, and refuses to start on a malformed line, naming the field and line', () => {
    const file = join(work, 'revoked.txt');
    writeFileSync(file, `# withdrawn 2026-11-02\n${'a'.repeat(64)}\n\n${'b'.repeat(64)}  # superseded\n`);
    const policy = createReplayPolicy(parseConfig({ revokedBundleDigestsFile: file }));
    expect(() => policy.check('m', '1', 'b'.repeat(64))).toThrow(/is revoked/);
    expect(() => policy.check('m', '1', 'c'.repeat(64))).not.toThrow();
    writeFileSync(file, `${'a'.repeat(64)}\nnot-a-digest\n`);
    expect(() => createReplayPolicy(parseConfig({ revokedBundleDigestsFile: file }))).toThrow(/'revokedBundleDigestsFile': .* line 2 is not a bundle digest/);
  });
});

describe('deploys leave nothing behind', () => {
  it('removes staging and trash folders left by a crash, at start', () => {
    expect(readdirSync(repo).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves no empty model folder after a failed first deploy', async () => {
    const res = await put('fresh', '1', await packed(await tampered('fresh', '1')));
    expect(res.status).toBe(400);
    expect(existsSync(join(repo, 'fresh'))).toBe(false);
    expect((await index()).find((e) => e.name === 'fresh')).toBeUndefined();
    // Checked and stored, but it cannot load (its declared input contradicts the graph): taken away again.
    const unloadable = await put('fresh', '1', await packed(await bundleDir('fresh', '1', (b) => ({ ...b, inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 12] }] }))));
    expect(unloadable.status).toBe(400);
    expect(existsSync(join(repo, 'fresh'))).toBe(false);
    expect((await index()).find((e) => e.name === 'fresh')).toBeUndefined();
  });

  it('names files relative to the repository, never by absolute server path', async () => {
    const bad = await put('heart', '9', await packed(await tampered('heart', '9')));
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^heart\/9: file 'bundle\.json' has sha256 [0-9a-f]{64}, the signature covers/);
    const everything = JSON.stringify(await index()) + bad.json.error;
    expect(everything).not.toContain(repo);
    expect(everything).not.toContain('.staging-');
    expect((await index()).find((e) => e.name === 'broken')?.reason).toMatch(/^broken\/1: the bundle is not signed/);
    const infer = await fetch(`${server.url}/v2/models/broken/infer`, { method: 'POST', body: '{"inputs": []}' });
    expect(await infer.text()).not.toContain(repo);
  });

  it("answers a tar entry named '.' with 400 BUNDLE_INVALID, not 500", async () => {
    const header = Buffer.alloc(512);
    header.write('.', 0);
    header.write('0000644\0', 100); header.write('00000000001\0', 124); header.write('00000000000\0', 136); header.write('0', 156); header.write('ustar\0', 257);
    header.write('        ', 148);
    header.write(`${header.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
    const archive = gzipSync(Buffer.concat([header, Buffer.from('x'), Buffer.alloc(511), Buffer.alloc(1024)]));
    expect(() => unpack(archive, { maxTotalBytes: 1 << 20, maxFiles: 8 })).toThrow(/entry '\.' is not a file name/);
    const res = await put('dot', '1', archive);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('BUNDLE_INVALID');
  });
});
