export { readDicomHeader, readDicomInfo, type DicomHeader, type ReadDicomInfoOptions } from './read-dicom-info.js';
export type { HeaderLayout } from './header-layout.js';
export { decodeDicom, decodeFrameSamples, type DecodeDicomOptions, type DecodedDicom, type DecodeFrameSamplesOptions } from './decode-dicom.js';
export { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
export { configureCodecs, WASM_FILES, type CodecConfiguration } from './codecs.js';
export type { FrameSamples, SampleArray, SampleColorSpace } from './samples.js';
export { windowFunction, type VoiWindow } from './voi.js';
export { decodeWithWasm, type WasmDecodeResult } from './codec-wasm.js';
