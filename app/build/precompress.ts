import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** What is worth compressing: text and WebAssembly (PNG, JPEG and the like are compressed already). */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|wasm|json|svg|txt|map)$/;
const MIN_BYTES = 1024;
/** Brotli's best (11) takes minutes on ONNX Runtime's 14 and 27 MB binaries; 9 is a few seconds, 15 % larger. */
const LARGE_BYTES = 1 << 20;
/** Compressed copies by content hash, so a rebuild does not compress ONNX Runtime's binaries again. */
const CACHE_DIR = new URL('../../node_modules/.cache/clinfer-precompress/', import.meta.url);

/**
 * Writes a brotli (.br) and a gzip (.gz) copy beside each compressible file of the build, when smaller;
 * clinfer's /app route (runtime/http/routes/web-app.ts) serves them with Content-Encoding to the
 * browsers that accept them. Compressed here once, at build time: nothing is compressed per request.
 */
export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'clinfer-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    writeBundle: {
      order: 'post',
      sequential: true,
      async handler(_options, bundle) {
        const names = Object.keys(bundle).filter((name) => COMPRESSIBLE.test(name));
        await Promise.all(names.map(async (name) => {
          const path = join(outDir, name);
          const source = readFileSync(path);
          if (source.length < MIN_BYTES) return;
          const [br, gz] = await Promise.all([compressed(source, 'br'), compressed(source, 'gz')]);
          if (br.length < source.length) writeFileSync(`${path}.br`, br);
          if (gz.length < source.length) writeFileSync(`${path}.gz`, gz);
        }));
      },
    },
  };
}

async function compressed(source: Buffer, kind: 'br' | 'gz'): Promise<Buffer> {
  const quality = source.length > LARGE_BYTES ? 9 : constants.BROTLI_MAX_QUALITY;
  const key = `${createHash('sha256').update(source).digest('hex')}.${kind === 'br' ? `q${quality}.br` : 'l9.gz'}`;
  const cached = new URL(key, CACHE_DIR);
  try {
    return readFileSync(cached);
  } catch {
    // Not compressed before: compress it now.
  }
  const result = kind === 'br'
    ? await brotli(source, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: source.length,
      },
    })
    : await gzipAsync(source, { level: 9 });
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(cached, result);
  } catch {
    // A read-only node_modules: the next build compresses again, nothing else is lost.
  }
  return result;
}
