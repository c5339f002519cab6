import charls from '@cornerstonejs/codec-charls/decodewasm?url';
import libjpegTurbo from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import openjpeg from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import openjph from '@cornerstonejs/codec-openjph/wasm?url';
import { configureCodecs, WASM_FILES } from '../../../adapters/imaging/dicom/index.js';

const urls: Record<string, string> = {
  [WASM_FILES['libjpeg-turbo']]: libjpegTurbo,
  [WASM_FILES.charls]: charls,
  [WASM_FILES.openjpeg]: openjpeg,
  [WASM_FILES.openjph]: openjph,
};

/**
 * Points the shared WASM codecs (adapters/imaging/dicom/codecs.ts) at the copies Vite put in the build.
 * Each is fetched only when a file needs it (a JPEG, or a DICOM of that transfer syntax).
 */
export function useBundledCodecs(): void {
  configureCodecs({ locateWasm: (file) => urls[file] ?? file });
}
