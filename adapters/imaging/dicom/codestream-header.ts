/**
 * What a compressed frame says about itself, read from its header before any codec runs: size, sample
 * precision and component count. The decoder compares them with the DICOM header, so a codestream that
 * claims more pixels than the (limit-checked) header is refused before a codec allocates for it.
 */
export interface CodestreamHeader {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** Bits per sample. */
  readonly precision: number;
  /** JPEG only: the start-of-frame marker (0xffc0 baseline, 0xffc1 extended, 0xffc2 progressive, 0xffc3 lossless, 0xfff7 JPEG-LS). */
  readonly marker?: number;
  /** JPEG only: the component identifiers, and the APP14 Adobe transform flag or JFIF APP0 when present. */
  readonly componentIds?: readonly number[];
  readonly adobeTransform?: number;
  readonly jfif?: boolean;
  /** JPEG 2000 only: whether component 0 is signed, and whether the COD marker applies the multi-component transform. */
  readonly signed?: boolean;
  readonly multiComponentTransform?: boolean;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);

/** Walks ISO 10918 / 14495 marker segments up to the start of frame. Undefined when there is none. */
export function readJpegHeader(data: Uint8Array): CodestreamHeader | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let position = 2;
  let adobeTransform: number | undefined;
  let jfif = false;
  while (position + 4 <= data.length) {
    if (data[position] !== 0xff) return undefined;
    const marker = data[position + 1]!;
    if (marker === 0xff) {
      position += 1; // fill byte
      continue;
    }
    const length = (data[position + 2]! << 8) | data[position + 3]!;
    if (length < 2) return undefined;
    const body = position + 4;
    if (SOF_MARKERS.has(marker)) {
      if (body + 6 > data.length) return undefined;
      const components = data[body + 5]!;
      const componentIds = Array.from({ length: components }, (_, index) => data[body + 6 + index * 3] ?? 0);
      return {
        precision: data[body]!,
        height: (data[body + 1]! << 8) | data[body + 2]!,
        width: (data[body + 3]! << 8) | data[body + 4]!,
        components,
        marker: 0xff00 | marker,
        componentIds,
        adobeTransform,
        jfif,
      };
    }
    if (marker === 0xe0 && String.fromCharCode(...data.subarray(body, body + 4)) === 'JFIF') jfif = true;
    if (marker === 0xee && String.fromCharCode(...data.subarray(body, body + 5)) === 'Adobe') adobeTransform = data[body + 11];
    position += 2 + length;
  }
  return undefined;
}

/** Reads the SIZ marker of a JPEG 2000 codestream, inside a JP2 file when there is one. */
export function readJ2kHeader(data: Uint8Array): CodestreamHeader | undefined {
  const start = codestreamStart(data);
  if (start === undefined || start + 42 > data.length) return undefined;
  const view = new DataView(data.buffer, data.byteOffset + start, data.length - start);
  if (view.getUint16(0) !== 0xff4f || view.getUint16(2) !== 0xff51) return undefined;
  const xSize = view.getUint32(8);
  const ySize = view.getUint32(12);
  const xOffset = view.getUint32(16);
  const yOffset = view.getUint32(20);
  const components = view.getUint16(40);
  if (start + 43 > data.length) return undefined;
  const depth = view.getUint8(42);
  const sizEnd = 4 + view.getUint16(4);
  return {
    width: xSize - xOffset,
    height: ySize - yOffset,
    components,
    precision: (depth & 0x7f) + 1,
    signed: (depth & 0x80) !== 0,
    multiComponentTransform: readMct(view, sizEnd),
  };
}

/** The MCT byte of the main-header COD marker (ISO 15444-1 A.6.1), found by walking the marker segments after SIZ. */
function readMct(view: DataView, start: number): boolean {
  let position = start;
  for (let markers = 0; markers < 256 && position + 4 <= view.byteLength; markers++) {
    const marker = view.getUint16(position);
    if (marker === 0xff90 || marker === 0xff93) return false; // SOT/SOD: main header ended without COD
    if (marker === 0xff52) return position + 9 <= view.byteLength && view.getUint8(position + 8) === 1;
    const length = view.getUint16(position + 2);
    if ((marker & 0xff00) !== 0xff00 || length < 2) return false;
    position += 2 + length;
  }
  return false;
}

/** A raw codestream starts with SOC; a JP2 file holds it in its 'jp2c' box. */
function codestreamStart(data: Uint8Array): number | undefined {
  if (data[0] === 0xff && data[1] === 0x4f) return 0;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  let position = 0;
  for (let boxes = 0; boxes < 64 && position + 8 <= data.length; boxes++) {
    const length = view.getUint32(position);
    const type = String.fromCharCode(...data.subarray(position + 4, position + 8));
    if (type === 'jp2c') return position + 8;
    if (length < 8) return undefined;
    position += length;
  }
  return undefined;
}
