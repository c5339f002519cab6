import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleDigest, fileDigests, signManifest, verifyFolder } from '../../../runtime/bundle/signature.js';
import { loadConfig, parseConfig } from '../../../runtime/config/load-config.js';
import { signingKeys } from '../../../runtime/config/trusted-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'clinfer-keys-'));
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ed25519 = generateKeyPairSync('ed25519');
const good = write('signer.pub', ed25519.publicKey.export({ type: 'spki', format: 'pem' }).toString());
const rsa = write('rsa.pub', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
const garbage = write('garbage.pub', 'not a key');
const missing = join(dir, 'missing.pub');

describe('trustedKeys, read when the configuration is loaded', () => {
  it('holds the key itself, frozen, and it verifies what the private key signed', async () => {
    const config = parseConfig({ trustedKeys: [good] });
    expect(config.trustedKeys).toEqual([{ file: good, publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') }]);
    expect(Object.isFrozen(config.trustedKeys[0])).toBe(true);
    const bundle = mkdtempSync(join(tmpdir(), 'clinfer-signed-'));
    writeFileSync(join(bundle, 'model.onnx'), 'bytes');
    const doc = signManifest('m', '1', await fileDigests(bundle), ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    writeFileSync(join(bundle, 'signature.json'), JSON.stringify(doc));
    await expect(verifyFolder(bundle, signingKeys(config.trustedKeys), { name: 'm', version: '1' })).resolves.toMatchObject({ keyId: doc.key_id });
  });

  it("covers a file named '__proto__' like any other, and names a signed 'toString' that is missing", async () => {
    // Before: out['__proto__'] = sha set a prototype, so that file was in neither the signature nor the digest.
    const bundle = mkdtempSync(join(tmpdir(), 'clinfer-signed-'));
    writeFileSync(join(bundle, 'model.onnx'), 'bytes');
    writeFileSync(join(bundle, '__proto__'), 'signed content');
    const files = await fileDigests(bundle);
    expect(Object.keys(files)).toEqual(['__proto__', 'model.onnx']);
    const privateKey = ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(bundle, 'signature.json'), JSON.stringify(signManifest('m', '1', files, privateKey)));
    const trusted = signingKeys(parseConfig({ trustedKeys: [good] }).trustedKeys);
    const signed = await verifyFolder(bundle, trusted, { name: 'm', version: '1' });
    writeFileSync(join(bundle, '__proto__'), 'changed after signing');
    await expect(verifyFolder(bundle, trusted, { name: 'm', version: '1' })).rejects.toThrow(/file '__proto__' has sha256 [0-9a-f]{64}, the signature covers/);
    expect(bundleDigest(await fileDigests(bundle))).not.toBe(signed.digest);
    writeFileSync(join(bundle, 'signature.json'), JSON.stringify(signManifest('m', '1', { ...(await fileDigests(bundle)), toString: 'a'.repeat(64) }, privateKey)));
    await expect(verifyFolder(bundle, trusted, { name: 'm', version: '1' })).rejects.toThrow(/signed file 'toString' is missing/);
  });

  it.each([
    [missing, /is not a readable PEM public key \(ENOENT\)/],
    [garbage, /is not a readable PEM public key/],
    [rsa, /is a rsa key; bundles are signed with Ed25519/],
  ])('a bad key file is a config error naming the file and its source (%s)', (file, reason) => {
    const attempt = () => loadConfig({ env: { CLINFER_TRUSTED_KEYS: `${good},${file}` } });
    expect(attempt).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(attempt).toThrow(`configuration field 'trustedKeys.1' (env CLINFER_TRUSTED_KEYS): ${file}`);
    expect(attempt).toThrow(reason);
  });

  it('lists every bad key file with the other problems at once', () => {
    expect(() => loadConfig({ env: { CLINFER_TRUSTED_KEYS: `${missing},${rsa}` }, flags: { port: '80a' } })).toThrow(
      /3 configuration problems:[^]*field 'port' \(flag --port\)[^]*field 'trustedKeys\.0' \(env CLINFER_TRUSTED_KEYS\): [^ ]*missing\.pub[^]*field 'trustedKeys\.1' \(env CLINFER_TRUSTED_KEYS\): [^ ]*rsa\.pub/,
    );
  });
});
