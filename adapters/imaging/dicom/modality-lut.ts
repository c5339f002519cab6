import type { DataSet } from './data-set.js';
import { invalidDicom } from './errors.js';
import { frameAttributeSource } from './functional-groups.js';
import type { SampleArray } from './samples.js';
import { describeTag, Tag } from './tags.js';
import { readDecimal, readItems, readUint16s } from './values.js';

/** The modality LUT of one frame (PS3.3 C.11.1): a rescale, or a lookup table. */
export type ModalityTransform =
  | { readonly kind: 'rescale'; readonly slope: number; readonly intercept: number }
  | { readonly kind: 'table'; readonly firstMapped: number; readonly values: Float32Array };

/**
 * A Modality LUT Sequence (one item, up to 16-bit entries) replaces the rescale; otherwise Rescale
 * Slope/Intercept apply, from the frame's Pixel Value Transformation functional group in enhanced
 * objects, else the top level, else identity.
 */
export function modalityTransform(dataSet: DataSet, frameIndex: number, signed: boolean): ModalityTransform {
  const lut = readItems(dataSet, Tag.ModalityLUTSequence)[0];
  if (lut) return modalityTable(lut, signed);
  const slopeSource = frameAttributeSource(dataSet, Tag.PixelValueTransformationSequence, Tag.RescaleSlope, frameIndex);
  const interceptSource = frameAttributeSource(dataSet, Tag.PixelValueTransformationSequence, Tag.RescaleIntercept, frameIndex);
  const slope = readDecimal(slopeSource, Tag.RescaleSlope) ?? 1;
  const intercept = readDecimal(interceptSource, Tag.RescaleIntercept) ?? 0;
  if (slope === 0 || !Number.isFinite(slope) || !Number.isFinite(intercept)) {
    throw invalidDicom(`${describeTag(Tag.RescaleSlope)} ${slope} and ${describeTag(Tag.RescaleIntercept)} ${intercept} do not make a usable rescale`);
  }
  return { kind: 'rescale', slope, intercept };
}

function modalityTable(item: DataSet, signed: boolean): ModalityTransform {
  const descriptor = readUint16s(item, Tag.LUTDescriptor);
  if (!descriptor || descriptor.length !== 3) throw invalidDicom(`the Modality LUT Sequence item needs a ${describeTag(Tag.LUTDescriptor)} of 3 values`);
  const [count, first, bits] = descriptor as [number, number, number];
  const entries = count === 0 ? 65536 : count;
  const data = readUint16s(item, Tag.LUTData);
  if (!data || data.length < entries) throw invalidDicom(`the Modality LUT holds ${data?.length ?? 0} entries, its descriptor says ${entries}`);
  if (bits < 8 || bits > 16) throw invalidDicom(`the Modality LUT descriptor gives ${bits} bits per entry, expected 8 to 16`);
  // The first mapped value is signed (SS) when the pixels are (PS3.3 C.11.1.1.1).
  const firstMapped = signed && first >= 0x8000 ? first - 0x10000 : first;
  return { kind: 'table', firstMapped, values: Float32Array.from(data.slice(0, entries)) };
}

/** Modality values of a monochrome frame (Hounsfield units for CT). */
export function applyModality(samples: SampleArray, transform: ModalityTransform): Float32Array {
  const out = new Float32Array(samples.length);
  if (transform.kind === 'rescale') {
    const { slope, intercept } = transform;
    for (let index = 0; index < samples.length; index++) out[index] = samples[index]! * slope + intercept;
    return out;
  }
  const { firstMapped, values } = transform;
  const last = values.length - 1;
  for (let index = 0; index < samples.length; index++) {
    const position = samples[index]! - firstMapped;
    out[index] = values[position < 0 ? 0 : position > last ? last : position]!;
  }
  return out;
}
