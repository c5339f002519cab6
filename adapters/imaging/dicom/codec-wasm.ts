import { discardCodec, loadCodec, type WasmCodecName } from './codecs.js';
import type { DecodedFrame } from './codec-output.js';

/** The embind decoder classes of the four modules share this shape. */
interface EmbindDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  delete(): void;
}

export interface WasmDecodeResult<Extra> {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly bitsPerSample: number;
  /** A copy out of the module's memory, which the next decode overwrites. */
  readonly bytes: Uint8Array;
  readonly extra: Extra;
}

/**
 * Runs one decode on a fresh decoder object (deleted afterwards, so nothing leaks in the module heap).
 * Errors come back as plain Errors with the codec's own message; a module that trapped or aborted is
 * discarded so the next decode starts from a new instance.
 */
export async function decodeWithWasm<Extra>(
  codec: WasmCodecName, decoderClass: string, encoded: Uint8Array, inspect: (decoder: EmbindDecoder & Record<string, unknown>) => Extra,
): Promise<WasmDecodeResult<Extra>> {
  const module = await loadCodec(codec);
  const Decoder = module[decoderClass] as new () => EmbindDecoder & Record<string, unknown>;
  let decoder: (EmbindDecoder & Record<string, unknown>) | undefined;
  try {
    decoder = new Decoder();
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, bytes, extra: inspect(decoder) };
  } catch (thrown) {
    if (typeof thrown !== 'number' && typeof thrown !== 'string') discardCodec(codec);
    throw new Error(codecMessage(module, thrown));
  } finally {
    try {
      decoder?.delete();
    } catch {
      // A decoder of an aborted module cannot be deleted; the module is discarded anyway.
    }
  }
}

/** C++ exceptions arrive as numbers (pointers); CharLS can turn them into text. */
function codecMessage(module: Record<string, unknown>, thrown: unknown): string {
  if (typeof thrown === 'number') {
    const describe = module.getExceptionMessage;
    if (typeof describe === 'function') {
      try {
        return String(describe.call(module, thrown));
      } catch {
        return `codec exception ${thrown}`;
      }
    }
    return `codec exception ${thrown}`;
  }
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** 8-bit samples as bytes, wider ones as 16-bit words (the codecs write native little-endian words). */
export function samplesOf(bytes: Uint8Array, bitsPerSample: number): Uint8Array | Uint16Array {
  if (bitsPerSample <= 8) return bytes;
  return new Uint16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2));
}

/** A WASM codec's result as the frame decoder takes it; `colorTransformed`: the codec delivered RGB from YCbCr/RCT/ICT. */
export function decodedFrame(result: WasmDecodeResult<unknown>, colorTransformed: boolean): DecodedFrame {
  return {
    width: result.width,
    height: result.height,
    components: result.components,
    bitsPerSample: result.bitsPerSample,
    data: samplesOf(result.bytes, result.bitsPerSample),
    colorTransformed,
  };
}
