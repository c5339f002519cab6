import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyId, readAuditPublicKey } from '../audit/checkpoint.js';
import { auditBundle, auditEventOf } from '../audit/fhir-audit-event.js';
import { segmentsInFolder } from '../audit/segment-files.js';
import { verifyAuditFiles } from '../audit/verify-audit-log.js';

export const AUDIT_USAGE = `usage: clinfer audit verify FILE|DIR... [--key PUBLIC.pem] [--open]
         checks the hash chain, seq numbers and (with --key) every checkpoint signature; a log closed
         cleanly ends with a shutdown checkpoint. Segments are given oldest first (a folder: its *.jsonl
         in segment order). --open: the log of a running server (an unsigned tail is expected).
         Exit 0 intact, 1 tampered (each problem named with its file, line and reason), 2 usage or I/O.
       clinfer audit keygen --out DIR
         writes DIR/audit-key.pem (private, 0600: auditKeyFile) and DIR/audit-key.pub.pem (for verify)
       clinfer audit export --fhir FILE|DIR... [--out FILE] [--ndjson] [--observer NAME]
         the entries as FHIR R4 AuditEvent resources (IHE BALP): a Bundle (collection), or NDJSON`;

type Out = { log: (line: string) => void; err: (line: string) => void };

/** `clinfer audit ...`: returns the exit code (0 ok, 1 tampered, 2 usage or I/O). */
export function auditCommand(args: string[], out: Out = { log: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') }): number {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: { key: { type: 'string' }, open: { type: 'boolean' }, out: { type: 'string' }, fhir: { type: 'boolean' }, ndjson: { type: 'boolean' }, observer: { type: 'string' } },
    });
  } catch (error) {
    out.err(`clinfer audit: ${(error as Error).message}\n${AUDIT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  try {
    switch (sub) {
      case 'verify': return positionals.length ? verify(positionals, values.key, values.open ?? false, out) : usage(out);
      case 'keygen': return values.out ? keygen(values.out, out) : usage(out);
      case 'export': return positionals.length && values.fhir ? exportFhir(positionals, values, out) : usage(out);
      default: return usage(out);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    out.err(`clinfer audit: ${code ? `${(error as NodeJS.ErrnoException).path ?? ''} ${code}`.trim() : (error as Error).message}`);
    return 2;
  }
}

function usage(out: Out): number {
  out.err(AUDIT_USAGE);
  return 2;
}

/** Files in chain order: each argument a file, or a folder standing for its segments. */
function expand(paths: string[]): string[] {
  return paths.flatMap((p) => (statSync(p).isDirectory() ? segmentsInFolder(p) : [p]));
}

function verify(paths: string[], keyFile: string | undefined, open: boolean, out: Out): number {
  const files = expand(paths);
  let key;
  if (keyFile) {
    try {
      key = readAuditPublicKey(readFileSync(keyFile, 'utf8'));
    } catch (error) {
      out.err(`clinfer audit: --key ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return 2;
    }
  }
  const result = verifyAuditFiles(files, { key, open });
  for (const p of result.problems.slice(0, 50)) out.log(`TAMPERED ${p.file} line ${p.line}: ${p.reason}`);
  if (result.problems.length > 50) out.log(`... and ${result.problems.length - 50} more`);
  for (const n of result.notes) out.log(`note: ${n}`);
  const scope = `${result.lines} lines in ${result.files} file${result.files === 1 ? '' : 's'}, ${result.checkpoints} checkpoint${result.checkpoints === 1 ? '' : 's'}`;
  if (result.ok) {
    out.log(`ok: ${scope}; the chain is intact${result.signaturesChecked ? `, every checkpoint signed by key ${keyId(key!)}` : ''}`);
    return 0;
  }
  out.log(`TAMPERED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${scope}`);
  return 1;
}

function keygen(dir: string, out: Out): number {
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = join(dir, 'audit-key.pem');
  const pub = join(dir, 'audit-key.pub.pem');
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  out.log(`wrote ${priv} (auditKeyFile; keep it on the server only) and ${pub} (for clinfer audit verify --key; keep a copy off the server); key id ${keyId(publicKey)}`);
  return 0;
}

function exportFhir(paths: string[], values: { out?: string | undefined; ndjson?: boolean | undefined; observer?: string | undefined }, out: Out): number {
  const observer = values.observer ?? hostname();
  const lines: Record<string, unknown>[] = [];
  for (const file of expand(paths)) {
    readFileSync(file, 'utf8').split('\n').forEach((row, i) => {
      if (row.length === 0) return;
      try {
        lines.push(JSON.parse(row) as Record<string, unknown>);
      } catch {
        throw new Error(`${file} line ${i + 1} is not JSON: run clinfer audit verify first`);
      }
    });
  }
  const text = values.ndjson
    ? lines.map((l) => auditEventOf(l, observer)).filter(Boolean).map((e) => JSON.stringify(e)).join('\n') + '\n'
    : JSON.stringify(auditBundle(lines, observer), null, 1) + '\n';
  if (values.out) {
    writeFileSync(values.out, text, { mode: 0o600 });
    out.err(`wrote ${values.out}`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
