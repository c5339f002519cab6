/**
 * Peak RSS while a large signed bundle is verified (issue 12: signature checks must stream files).
 * Writes a bundle folder with a model file of CLINFER_RSS_MB MiB (default 300) of random bytes to a temp
 * folder, signs it, verifies it the way the repository does (verifyFolder, then readVersionFolder's
 * sha256 of the model), and prints the process's peak RSS before and after. The folder is deleted after.
 *   node --import tsx benchmarks/bundle-verify-rss.ts
 */
import { generateKeyPairSync, randomFillSync } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../runtime/bundle/read-bundle.js';
import { fileDigests, signManifest, verifyFolder, SIGNATURE_FILE } from '../runtime/bundle/signature.js';

const mb = Number(process.env.CLINFER_RSS_MB ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'clinfer-rss-'));
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
try {
  const fd = openSync(join(dir, 'model.onnx'), 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mb; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  writeFileSync(join(dir, 'bundle.json'), '{}');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const before = peakMb();
  const files = await fileDigests(dir);
  writeFileSync(join(dir, SIGNATURE_FILE), JSON.stringify(signManifest('m', '1', files, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)));
  await verifyFolder(dir, [publicKey], { name: 'm', version: '1' });
  await sha256File(join(dir, 'model.onnx'));
  console.log(JSON.stringify({ modelMiB: mb, peakRssBeforeMiB: before, peakRssAfterMiB: peakMb() }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
