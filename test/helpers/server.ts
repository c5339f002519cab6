import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig } from '../../runtime/config/load-config.js';
import type { ConfigInput } from '../../runtime/config/config-schema.js';
import { startServer, type ClinferServer } from '../../runtime/server.js';
import { createLogger } from '../../runtime/log/logger.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const FIXTURES = join(ROOT, 'test/fixtures');
export const THIRD_PARTY = join(FIXTURES, 'third-party');
export const DEMO_MODELS = join(ROOT, 'models');

/** A throw-away model repository; `add` copies a file into <model>/<version>/. */
export class TempRepository {
  readonly root = mkdtempSync(join(tmpdir(), 'clinfer-repo-'));

  add(model: string, version: string, files: Record<string, string | Buffer | { copy: string }>): this {
    const dir = join(this.root, model, version);
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      if (typeof content === 'string' || Buffer.isBuffer(content)) writeFileSync(join(dir, name), content);
      else cpSync(content.copy, join(dir, name));
    }
    return this;
  }

  /** Writes a file at a path relative to the repository root (e.g. '<model>/model.json'). */
  write(path: string, content: string): this {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return this;
  }

  mkdir(path: string): this {
    mkdirSync(join(this.root, path), { recursive: true });
    return this;
  }

  addDemo(model: string): this {
    cpSync(join(DEMO_MODELS, model), join(this.root, model), { recursive: true });
    return this;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export async function startTestServer(models: string, overrides: Partial<ConfigInput> = {}, logLines?: string[]): Promise<ClinferServer> {
  // A DICOM inbox and outbox of its own (they only come into being when the DICOM node is configured).
  const scratch = mkdtempSync(join(tmpdir(), 'clinfer-dicom-'));
  const config = parseConfig({
    models, host: '127.0.0.1', port: 0, grpcPort: 0, workers: 2, logLevel: logLines ? 'debug' : 'silent',
    inboxDir: join(scratch, 'inbox'), outboxDir: join(scratch, 'outbox'), ...overrides,
  });
  return startServer(config, logLines ? { log: createLogger(config.logLevel, (line) => logLines.push(line)) } : {});
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

export async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}
