import { describe, expect, it } from 'vitest';
import { preferredProvider } from '../../../app/src/inference/preferred-provider.js';
import { bundleSchema } from '../../../runtime/bundle/bundle-schema.js';
import { readFileSync } from 'node:fs';

/** Which ONNX Runtime Web build the page asks for: the user's ?ep= first, then the bundle's web.execution_provider. */
describe('the web app asks for WebGPU only when the user or the bundle does', () => {
  it('takes the URL over the bundle, the bundle over nothing, and nothing as WASM', () => {
    expect(preferredProvider(undefined, undefined)).toBeUndefined();
    expect(preferredProvider(undefined, 'webgpu')).toBe('webgpu');
    expect(preferredProvider(undefined, 'wasm')).toBe('wasm');
    expect(preferredProvider('wasm', 'webgpu')).toBe('wasm');
    expect(preferredProvider('webgpu', undefined)).toBe('webgpu');
  });

  it('ignores a value the schema would not have let through', () => {
    expect(preferredProvider(undefined, 'cuda')).toBeUndefined();
    expect(preferredProvider(undefined, 42)).toBeUndefined();
  });
});

describe('bundle.json web.execution_provider', () => {
  const demo = JSON.parse(readFileSync(new URL('../../../models/chest-xray-pneumonia/1/bundle.json', import.meta.url), 'utf8'));

  it('is optional, and accepts wasm and webgpu', () => {
    expect(bundleSchema.safeParse(demo).success).toBe(true);
    for (const ep of ['wasm', 'webgpu']) {
      const parsed = bundleSchema.safeParse({ ...demo, web: { execution_provider: ep } });
      expect(parsed.success).toBe(true);
      expect(parsed.data?.web?.execution_provider).toBe(ep);
    }
  });

  it('refuses another provider or an unknown key, naming the field', () => {
    const bad = bundleSchema.safeParse({ ...demo, web: { execution_provider: 'cuda' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['web', 'execution_provider']);
    const extra = bundleSchema.safeParse({ ...demo, web: { execution_provider: 'wasm', threads: 4 } });
    expect(extra.success).toBe(false);
    expect(extra.error?.issues[0]?.path).toEqual(['web']);
  });
});
