/** Types for the vendored jpgjs / pdf.js JPEG decoder (jpeg-image.js). */
declare class JpegImage {
  /** Parses and decodes the whole JPEG stream; throws a string on a malformed stream. */
  parse(data: Uint8Array): void;
  width: number;
  height: number;
  components: unknown[];
  /** For three components: false keeps the samples as stored (no YCbCr to RGB), unless an Adobe marker asks for a transform. */
  colorTransform?: boolean;
  /** Single-component samples at the stream's precision (up to 16 bits). */
  getData16(width: number, height: number): Uint16Array;
  /** 8-bit samples, components interleaved (values of a >8-bit stream are scaled to 0..255). */
  getData(width: number, height: number): Uint8Array;
}
export default JpegImage;
