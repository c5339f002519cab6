import type { DecodedFrame } from './codec-output.js';
import { decodedFrame, decodeWithWasm } from './codec-wasm.js';
import type { CodestreamHeader } from './codestream-header.js';
import JpegImage from './vendor/jpeg-image.js';

/**
 * ISO 10918 DCT frames (baseline, extended, spectral selection, progressive). 8-bit frames go to
 * libjpeg-turbo; 12-bit frames, which it cannot decode, to the vendored pure-JS decoder.
 *
 * Colour: libjpeg converts three components from YCbCr to RGB unless the stream says it is RGB (Adobe
 * APP14 transform 0, or component ids 'R','G','B'); with a JFIF marker or ids 1,2,3 it converts. When the
 * DICOM header says RGB but libjpeg would convert (a stream stored in RGB without saying so), the frame is
 * decoded without conversion instead, so colours are never converted twice or wrongly.
 */
export async function decodeJpegDct(frame: Uint8Array, header: CodestreamHeader, storedAsRgb: boolean): Promise<DecodedFrame> {
  if (header.precision > 8) return decodeWithJpegImage(frame, header, false);
  const converts = header.components === 3 && libjpegConvertsColor(header);
  if (converts && storedAsRgb) return decodeWithJpegImage(frame, header, false);
  const result = await decodeWithWasm('libjpeg-turbo', 'JPEGDecoder', frame, () => undefined);
  return decodedFrame(result, converts);
}

/** libjpeg's colour-space guess for three components (jdapimin.c default_decompress_parms). */
export function libjpegConvertsColor(header: CodestreamHeader): boolean {
  if (header.jfif) return true;
  if (header.adobeTransform !== undefined) return header.adobeTransform !== 0;
  const [first, second, third] = header.componentIds ?? [];
  return !(first === 0x52 && second === 0x47 && third === 0x42);
}

function decodeWithJpegImage(frame: Uint8Array, header: CodestreamHeader, colorTransform: boolean): DecodedFrame {
  const image = new JpegImage();
  image.parse(frame);
  image.colorTransform = colorTransform;
  const wide = header.precision > 8;
  const data = wide ? image.getData16(image.width, image.height) : image.getData(image.width, image.height);
  return {
    width: image.width,
    height: image.height,
    components: image.components.length,
    bitsPerSample: header.precision,
    data,
    colorTransformed: false,
  };
}
