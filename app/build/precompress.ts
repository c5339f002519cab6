import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants, gunzipSync, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** What is worth compressing: text and WebAssembly (PNG, JPEG and the like are compressed already). */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|wasm|json|svg|txt|map)$/;
const MIN_BYTES = 1024;
/**
 * Brotli's best (11) for small files; 9 above this size, where 11 costs seconds per build (minutes on
 * ONNX Runtime's 14 and 27 MB binaries) for copies 5 to 15 % smaller.
 */
const BEST_QUALITY_BYTES = 128 << 10;
/** Files above this size are kept in the cache below. */
const LARGE_BYTES = 1 << 20;
/**
 * Compressed copies of the large files (ONNX Runtime's binaries, the same from build to build) by content
 * hash, so a rebuild does not compress them again. Small files are compressed afresh: they are quick,
 * and their hashed names change with every build, so a cache of them would only grow.
 */
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
  const large = source.length > LARGE_BYTES;
  const quality = source.length > BEST_QUALITY_BYTES ? 9 : constants.BROTLI_MAX_QUALITY;
  const key = `${createHash('sha256').update(source).digest('hex')}.${kind === 'br' ? `q${quality}.br` : 'l9.gz'}`;
  const cached = new URL(key, CACHE_DIR);
  if (large) {
    try {
      const copy = readFileSync(cached);
      // A damaged cache entry must never reach a browser: it is used only if it decompresses to the source.
      if ((kind === 'br' ? brotliDecompressSync(copy) : gunzipSync(copy)).equals(source)) return copy;
    } catch {
      // Not compressed before (or damaged): compress it now.
    }
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
  if (!large) return result;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = new URL(`${key}.${process.pid}.partial`, CACHE_DIR);
    writeFileSync(partial, result);
    renameSync(partial, cached);
  } catch {
    // A read-only node_modules: the next build compresses again, nothing else is lost.
  }
  return result;
}
