import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configRules, configSchema } from '../../../runtime/config/config-schema.js';
import { loadConfig, parseConfig } from '../../../runtime/config/load-config.js';
import { isClinferError } from '../../../runtime/errors/index.js';

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'clinfer-cfg-')), 'clinfer.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
};

/** The refusal's lines, one per problem (a single problem is the message itself). */
const problems = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (!isClinferError(error) || error.code !== 'CONFIG_INVALID') throw error;
    const lines = error.message.split('\n');
    return lines.length === 1 ? lines : lines.slice(1).map((l) => l.trim());
  }
  throw new Error('the configuration was accepted');
};

describe('configuration problems', () => {
  it('lists every field problem at once, each with the setting and where its value came from', () => {
    const path = file({ maxBodyBytes: 'big', prot: 1, dicomScp: { aeTitle: 'A\\B' } });
    const found = problems(() => loadConfig({ file: path, env: { CLINFER_PORT: '70000', CLINFER_PROVIDERS: 'gpu' }, flags: { workers: 'four' } }));
    expect(found).toHaveLength(6);
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^configuration field 'port' \(env CLINFER_PORT\): /),
      expect.stringMatching(/^configuration field 'providers\.0' \(env CLINFER_PROVIDERS\): /),
      expect.stringMatching(/^configuration field 'workers' \(flag --workers\): .*expected number/),
      expect.stringMatching(new RegExp(`^configuration field 'maxBodyBytes' \\(config file ${path}\\): `)),
      expect.stringMatching(new RegExp(`^configuration field 'prot' \\(config file ${path}\\): not a setting`)),
      expect.stringMatching(new RegExp(`^configuration field 'dicomScp\\.aeTitle' \\(config file ${path}\\): `)),
    ]));
  });

  it('names the layer that won: a flag over the environment over the file', () => {
    const path = file({ port: 'file' });
    expect(problems(() => loadConfig({ file: path, env: { CLINFER_PORT: 'env' }, flags: { port: 'flag' } }))).toEqual([expect.stringMatching(/^configuration field 'port' \(flag --port\): /)]);
    expect(problems(() => loadConfig({ file: path, env: { CLINFER_PORT: 'env' } }))).toEqual([expect.stringMatching(/^configuration field 'port' \(env CLINFER_PORT\): /)]);
    expect(problems(() => loadConfig({ file: path }))).toEqual([expect.stringMatching(/^configuration field 'port' \(config file .*\): /)]);
  });

  it('lists every broken cross-field rule, not only the first', () => {
    const input = {
      cdsHooksJwksFile: '/etc/clinfer/ehr-jwks.json',
      tlsCertFile: '/etc/clinfer/cert.pem',
      apiKeys: [{ name: 'a', sha256: 'a'.repeat(64), scopes: ['infer'] }, { name: 'a', sha256: 'b'.repeat(64), scopes: ['infer'] }],
    };
    expect(configRules(configSchema.parse(input)).map(([field]) => field)).toEqual(['cdsHooksIssuers', 'publicUrl', 'tlsKeyFile', 'apiKeys']);
    const found = problems(() => parseConfig(input));
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(/^configuration field 'cdsHooksIssuers': list the accepted token issuers/);
    expect(found[3]).toMatch(/^configuration field 'apiKeys': two keys have the same name/);
  });

  it('names the source of a cross-field problem, or none for a setting left at its default', () => {
    const found = problems(() => loadConfig({ env: { CLINFER_CDS_HOOKS_JWKS_FILE: '/etc/jwks.json', CLINFER_TLS_CERT_FILE: '/etc/cert.pem' } }));
    expect(found).toEqual([
      expect.stringMatching(/^configuration field 'cdsHooksIssuers': /),
      expect.stringMatching(/^configuration field 'publicUrl': /),
      expect.stringMatching(/^configuration field 'tlsKeyFile': TLS needs both/),
    ]);
    const fromFile = file({ oidc: [{ issuer: 'https://a.example', jwksFile: '/a.json' }, { issuer: 'https://a.example', jwksFile: '/b.json' }] });
    expect(problems(() => loadConfig({ file: fromFile }))).toEqual([expect.stringMatching(/^configuration field 'oidc' \(config file .*\): two entries have the same issuer$/)]);
  });

  it('says how many problems there are when there are several', () => {
    expect(() => loadConfig({ env: { CLINFER_PORT: 'x', CLINFER_WORKERS: 'y' } })).toThrow(/^2 configuration problems:\n  configuration field/);
  });
});

describe('configuration problems from files the environment names', () => {
  it('lists an unreadable CLINFER_API_KEYS_FILE with the other problems, not alone', () => {
    const found = problems(() => loadConfig({ env: { CLINFER_API_KEYS_FILE: '/nonexistent/keys.json', CLINFER_PORT: 'x' } }));
    expect(found).toEqual([
      expect.stringMatching(/^configuration field 'apiKeys' \(env CLINFER_API_KEYS_FILE\): \/nonexistent\/keys\.json is not a readable JSON file/),
      expect.stringMatching(/^configuration field 'port' \(env CLINFER_PORT\): /),
    ]);
  });

  it('names the config file, not the environment, for a setting only the file gives', () => {
    const path = file({ oidc: [{ issuer: 'https://a.example', jwksFile: '/a.json' }, { issuer: 'https://a.example', jwksFile: '/b.json' }], apiKeys: 'none' });
    expect(problems(() => loadConfig({ file: path, env: {} }))).toEqual([expect.stringMatching(/^configuration field 'apiKeys' \(config file .*\): /)]);
  });
});
