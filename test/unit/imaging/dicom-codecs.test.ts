import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { configureCodecs, decodeFrameSamples, WASM_FILES } from '../../../adapters/imaging/dicom/index.js';

/**
 * The codec loader's hook for bundles: configureCodecs({ locateWasm }) decides where each .wasm comes
 * from. Here it points at the files in node_modules, as a browser app would point at its served copies.
 * (Its own file, so no other test has loaded a codec in this process yet.)
 */

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${path}`, import.meta.url)));
const require = createRequire(import.meta.url);

describe('configureCodecs', () => {
  it('asks locateWasm for each codec file on first use, and decodes with it', async () => {
    const asked: string[] = [];
    const paths: Record<string, string> = {
      [WASM_FILES.charls]: require.resolve('@cornerstonejs/codec-charls/decodewasm'),
      [WASM_FILES.openjpeg]: require.resolve('@cornerstonejs/codec-openjpeg/decodewasm'),
    };
    configureCodecs({
      locateWasm: (file) => {
        asked.push(file);
        return paths[file]!;
      },
    });
    try {
      const reference = await decodeFrameSamples(fixture('pydicom/MR_small.dcm'));
      const jpegLs = await decodeFrameSamples(fixture('pydicom/MR_small_jpeg_ls_lossless.dcm'));
      const jpeg2000 = await decodeFrameSamples(fixture('pydicom/MR_small_jp2klossless.dcm'));
      expect(Array.from(jpegLs.samples)).toEqual(Array.from(reference.samples));
      expect(Array.from(jpeg2000.samples)).toEqual(Array.from(reference.samples));
      await decodeFrameSamples(fixture('pydicom/MR_small_jpeg_ls_lossless.dcm'));
      expect(asked).toEqual(['charlswasm_decode.wasm', 'openjpegwasm_decode.wasm']);
    } finally {
      configureCodecs({});
    }
  });
});
