// Type declarations for the codec packages, which ship none. Each default export is an Emscripten
// module factory (MODULARIZE=1); jpeg-lossless-decoder-js exports its Decoder class.

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (moduleArg: object) => Promise<Record<string, unknown>>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (moduleArg: object) => Promise<Record<string, unknown>>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (moduleArg: object) => Promise<Record<string, unknown>>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (moduleArg: object) => Promise<Record<string, unknown>>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor();
    /** numBytes: bytes per output sample (1 or 2). Returns the samples, components interleaved. */
    decode(buffer: ArrayBufferLike, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
    readonly numComp: number;
    readonly xDim: number;
    readonly yDim: number;
    readonly precision: number | undefined;
  }
}
