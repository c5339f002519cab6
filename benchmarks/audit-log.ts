/**
 * The audit log's cost: entries made durable per second (a signed checkpoint every 100, keyed HMAC of a
 * 1 KiB input), with `--window` appends in flight at a time (as many requests waiting on their lines:
 * group commit writes them with one durable write, O_DSYNC) and with one at a time (one durable write per
 * line); main-thread CPU per entry (what the event loop pays, from /proc/self/task/<pid>/schedstat) and the whole
 * process's (with libuv's pool threads doing the durable writes); bytes per entry; and `verify` (chain and every signature) lines per second. The HTTP cost, audit
 * on against off, is benchmarks/audit-http.ts.
 *
 * `--input-bytes` sets the size of the input whose HMAC each entry carries (1024 by default; in shared
 * memory, as request bodies are). Each entry is written as countRequest writes it: the input digested by
 * AuditLog.digestInput (on the digest thread from 64 KiB), then appended; `--inline` hands append the
 * input instead, which digests it on the event loop, as every input was before.
 *
 *   node --import tsx benchmarks/audit-log.ts [--entries 100000] [--window 64] [--serial 2000] [--input-bytes 1024] [--inline]
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../runtime/audit/audit-log.js';
import { AuditSecret } from '../runtime/audit/audit-secret.js';
import { loadAuditSigner } from '../runtime/audit/checkpoint.js';
import { verifyAuditFiles } from '../runtime/audit/verify-audit-log.js';
import { createLogger } from '../runtime/log/logger.js';

const at = process.argv.indexOf('--entries');
const entries = at > 0 ? Number(process.argv[at + 1]) : 100_000;
const option = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const window = option('--window', 64);
const serial = option('--serial', 2000);
const dir = mkdtempSync(join(tmpdir(), 'clinfer-audit-bench-'));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
const path = join(dir, 'audit.jsonl');
const log = new AuditLog({
  path, secret: new AuditSecret(randomBytes(32)), signer: loadAuditSigner(join(dir, 'key.pem')), checkpointEvery: 100,
  failurePolicy: 'refuse', accessDeniedPerMinute: 60, log: createLogger('silent'),
});
// In shared memory, as the body reader places a request body with a Content-Length.
const input = new Uint8Array(new SharedArrayBuffer(option('--input-bytes', 1024)));
input.set(randomBytes(input.byteLength));
const INLINE = process.argv.includes('--inline');
const record = (i: number, secret: { input?: Uint8Array; inputHmac?: string }) => ({ action: 'predict' as const, caller: 'pacs-router', model: 'heart-disease-risk', version: '1', bundle_digest: 'ab'.repeat(32), outcome: 'success', latency_ms: 3.1, secret: { ...secret, requestId: `r-${i}` } });
/** As countRequest writes an entry: the input digested by AuditLog.digestInput (off the event loop when large); `--inline`: by append, on the event loop. */
const entry = async (i: number) => log.append(record(i, INLINE ? { input } : { inputHmac: await log.digestInput(input) }));
/** CPU time of this process's main thread in µs (Linux; NaN elsewhere). */
const mainCpuUs = () => {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return Number.NaN;
  }
};
let started = performance.now();
for (let i = 0; i < serial; i++) await entry(i);
const serialSeconds = (performance.now() - started) / 1000;
started = performance.now();
const cpuStarted = mainCpuUs();
const processStarted = process.cpuUsage();
for (let i = 0; i < entries; i += window) await Promise.all(Array.from({ length: Math.min(window, entries - i) }, (_, k) => entry(i + k)));
await log.close();
const appendSeconds = (performance.now() - started) / 1000;
const mainUsPerEntry = (mainCpuUs() - cpuStarted) / entries;
const processUsed = process.cpuUsage(processStarted);
const processUsPerEntry = (processUsed.user + processUsed.system) / entries;
const bytes = statSync(path).size;
started = performance.now();
const result = verifyAuditFiles([path], { key: publicKey });
const verifySeconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({
  entries, window, input_bytes: input.length, input_digested: INLINE ? 'inline' : 'digestInput', ok: result.ok, checkpoints: result.checkpoints,
  serial_per_second: Math.round(serial / serialSeconds), serial_us_per_entry: Math.round((serialSeconds / serial) * 1e6),
  append_per_second: Math.round(entries / appendSeconds), append_us_per_entry: Math.round((appendSeconds / entries) * 1e6 * 10) / 10,
  main_thread_cpu_us_per_entry: Math.round(mainUsPerEntry * 10) / 10, process_cpu_us_per_entry: Math.round(processUsPerEntry * 10) / 10,
  bytes_per_line: Math.round(bytes / result.lines), verify_lines_per_second: Math.round(result.lines / verifySeconds),
}));
rmSync(dir, { recursive: true });
