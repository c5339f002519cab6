import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProviders } from '../../../runtime/config/default-providers.js';
import { loadConfig } from '../../../runtime/config/load-config.js';

const file = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'clinfer-cfg-')), 'clinfer.json');
  writeFileSync(path, content);
  return path;
};

describe('loadConfig', () => {
  it('fills the documented defaults and freezes the result', () => {
    const c = loadConfig();
    expect(c).toMatchObject({ models: './models', host: '127.0.0.1', port: 8080, intraOpThreads: 1 });
    // The default providers depend on whether this machine has the CUDA provider library: ['cpu'] or
    // ['cuda', 'cpu'] (both cases are pinned with a temporary folder in test/integration/kserve-layout.test.ts).
    expect(c.providers).toEqual(defaultProviders());
    expect(c.workers).toBeGreaterThanOrEqual(1);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.providers)).toBe(true);
  });

  it('layers file < environment < flags', () => {
    const path = file(JSON.stringify({ port: 9000, host: '0.0.0.0', models: '/file' }));
    const c = loadConfig({ file: path, env: { CLINFER_PORT: '9100', CLINFER_MODELS: '/env', CLINFER_PROVIDERS: 'cuda, cpu' }, flags: { models: '/flag' } });
    expect(c).toMatchObject({ port: 9100, host: '0.0.0.0', models: '/flag', providers: ['cuda', 'cpu'] });
  });

  it.each([
    [{ env: { CLINFER_PORT: '80a' } }, /field 'port'/],
    [{ env: { CLINFER_PORT: '70000' } }, /field 'port'/],
    [{ env: { CLINFER_PROVIDERS: 'gpu' } }, /field 'providers.0'/],
    [{ file: '/nonexistent/clinfer.json' }, /config file \/nonexistent\/clinfer.json cannot be read/],
  ])('names the field or file that is wrong (%#)', (sources, message) => {
    expect(() => loadConfig(sources)).toThrow(message);
  });

  it('refuses unknown keys and non-object files', () => {
    expect(() => loadConfig({ file: file('{"prot": 1}') })).toThrow(/prot/);
    expect(() => loadConfig({ file: file('[1]') })).toThrow(/is not a JSON object/);
  });
});
