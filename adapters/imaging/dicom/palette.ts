import type { DataSet } from './data-set.js';
import { invalidDicom, invalidImage } from './errors.js';
import type { SampleArray } from './samples.js';
import { describeTag, Tag } from './tags.js';
import { readUint16s } from './values.js';

/** A Palette Color LUT (PS3.3 C.7.6.3.1.5-6) as RGB triples on 0..255. */
export interface PaletteLut {
  readonly firstMapped: number;
  readonly entries: number;
  /** entries x 3, interleaved RGB. */
  readonly rgb: Float32Array;
}

const CHANNELS = [
  [Tag.RedPaletteColorLookupTableDescriptor, Tag.RedPaletteColorLookupTableData, 'Red'],
  [Tag.GreenPaletteColorLookupTableDescriptor, Tag.GreenPaletteColorLookupTableData, 'Green'],
  [Tag.BluePaletteColorLookupTableDescriptor, Tag.BluePaletteColorLookupTableData, 'Blue'],
] as const;

/** Reads the three LUTs; 16-bit entries are scaled to 0..255, 8-bit entries kept (one per byte, or one per 16-bit word). */
export function readPalette(dataSet: DataSet, signed: boolean): PaletteLut {
  if (dataSet.elements.has(Tag.SegmentedRedPaletteColorLookupTableData) && !dataSet.elements.has(Tag.RedPaletteColorLookupTableData)) {
    throw invalidImage('segmented Palette Color LUTs (0028,1221-1223) are not supported');
  }
  let layout: { entries: number; firstMapped: number } | undefined;
  let rgb = new Float32Array(0);
  CHANNELS.forEach(([descriptorTag, dataTag, name], channel) => {
    const descriptor = readUint16s(dataSet, descriptorTag);
    if (!descriptor || descriptor.length !== 3) throw invalidDicom(`PALETTE COLOR needs ${describeTag(descriptorTag)} with 3 values`);
    const [count, first, bits] = descriptor as [number, number, number];
    const entries = count === 0 ? 65536 : count;
    const firstMapped = signed && first >= 0x8000 ? first - 0x10000 : first;
    if (!layout) {
      layout = { entries, firstMapped };
      rgb = new Float32Array(entries * 3);
    } else if (layout.entries !== entries || layout.firstMapped !== firstMapped) {
      throw invalidDicom(`the ${name} palette descriptor (${entries} entries from ${firstMapped}) differs from the Red one (${layout.entries} from ${layout.firstMapped})`);
    }
    if (bits !== 8 && bits !== 16) throw invalidDicom(`${describeTag(descriptorTag)} gives ${bits} bits per entry, expected 8 or 16`);
    const values = paletteEntries(dataSet, dataTag, entries, bits, name);
    for (let entry = 0; entry < entries; entry++) rgb[entry * 3 + channel] = values[entry]!;
  });
  return { ...layout!, rgb };
}

function paletteEntries(dataSet: DataSet, dataTag: number, entries: number, bits: 8 | 16, name: string): Float32Array {
  const element = dataSet.elements.get(dataTag);
  if (!element) throw invalidDicom(`PALETTE COLOR needs ${name} Palette Color Lookup Table Data ${describeTag(dataTag)}`);
  const out = new Float32Array(entries);
  if (bits === 8 && element.length === entries) {
    for (let entry = 0; entry < entries; entry++) out[entry] = dataSet.bytes[element.offset + entry]!;
    return out;
  }
  const words = readUint16s(dataSet, dataTag) ?? [];
  if (words.length < entries) throw invalidDicom(`${name} Palette Color Lookup Table Data holds ${words.length} entries, the descriptor says ${entries}`);
  for (let entry = 0; entry < entries; entry++) {
    const word = words[entry]!;
    out[entry] = bits === 16 ? (word * 255) / 65535 : word > 255 ? word >> 8 : word;
  }
  return out;
}

/** Indices to RGB on 0..255; indices below the first mapped value take the first entry, above the last the last. */
export function applyPalette(samples: SampleArray, palette: PaletteLut): Float32Array {
  const out = new Float32Array(samples.length * 3);
  const last = palette.entries - 1;
  for (let index = 0; index < samples.length; index++) {
    const position = samples[index]! - palette.firstMapped;
    const entry = position < 0 ? 0 : position > last ? last : position;
    out[index * 3] = palette.rgb[entry * 3]!;
    out[index * 3 + 1] = palette.rgb[entry * 3 + 1]!;
    out[index * 3 + 2] = palette.rgb[entry * 3 + 2]!;
  }
  return out;
}
