import type { DicomInstanceInfo } from '../dicom-info.js';
import type { DicomElement, Fragment } from './data-set.js';
import { encapsulatedFrames } from './encapsulated-frames.js';
import { invalidDicom, invalidImage, noPixelData, unsupportedTransferSyntax } from './errors.js';
import type { Part10File } from './part10.js';
import { describeGeometry, nativeFrameBits, pixelModule, type PixelModule } from './pixel-module.js';
import { describeSopClass } from './sop-classes.js';
import { Tag } from './tags.js';
import { describeTransferSyntax, transferSyntaxEntry, type FrameCodec } from './transfer-syntaxes.js';

/** Everything needed to decode any frame of a file, checked once: codec, pixel module, where the frames are. */
export interface PixelSource {
  readonly file: Part10File;
  readonly module: PixelModule;
  readonly codec: FrameCodec;
  /** "1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))", for messages. */
  readonly transferSyntax: string;
  readonly pixelData: DicomElement;
  /** Encapsulated transfer syntaxes: the fragments of each frame. */
  readonly frames?: readonly (readonly Fragment[])[];
}

/**
 * Checks, in order, that there are pixels (NO_PIXEL_DATA, naming the kind of object), that the transfer
 * syntax can be decoded (UNSUPPORTED_TRANSFER_SYNTAX), that the pixel module is consistent, and that the
 * pixel data is laid out as the transfer syntax says. `beforeLayout` runs between the last two, where the
 * caller checks its limits against the header before anything large is read or allocated.
 */
export function pixelSource(file: Part10File, info: DicomInstanceInfo, beforeLayout: (module: PixelModule) => void): PixelSource {
  const { dataSet } = file;
  const pixelData = dataSet.elements.get(Tag.PixelData);
  if (!pixelData || !info.image) throw noPixelDataError(dataSet.elements.has(Tag.FloatPixelData) || dataSet.elements.has(Tag.DoubleFloatPixelData), info.sopClassUID);
  const entry = transferSyntaxEntry(file.transferSyntaxUID);
  const transferSyntax = describeTransferSyntax(file.transferSyntaxUID);
  if (!entry.codec) throw unsupportedTransferSyntax(`transfer syntax ${transferSyntax} is not supported`);
  const module = pixelModule(dataSet, info.image);
  beforeLayout(module);
  const base = { file, module, codec: entry.codec, transferSyntax, pixelData };
  if (entry.encapsulated) {
    if (!pixelData.encapsulated) throw invalidDicom(`transfer syntax ${transferSyntax} needs encapsulated PixelData, but PixelData has a defined length of ${pixelData.declaredLength} bytes`);
    return { ...base, frames: encapsulatedFrames(dataSet.bytes, pixelData.encapsulated, module.numberOfFrames, entry.codec) };
  }
  if (pixelData.encapsulated) throw invalidDicom(`PixelData is encapsulated, but transfer syntax ${transferSyntax} stores it native`);
  checkNativeLength(pixelData, module);
  return base;
}

function noPixelDataError(floatPixels: boolean, sopClassUID: string) {
  if (floatPixels) return invalidImage('the object holds Float Pixel Data (7fe0,0008) or Double Float Pixel Data (7fe0,0009), which this decoder does not read');
  const kind = describeSopClass(sopClassUID);
  const sopClass = sopClassUID ? ` (SOP class ${sopClassUID})` : '';
  return noPixelData(kind ? `no pixel data: this is ${kind}${sopClass}` : `no pixel data: the object has no PixelData (7fe0,0010)${sopClass}`);
}

/** Native pixel data must hold every frame; padding after them is allowed. */
function checkNativeLength(pixelData: DicomElement, module: PixelModule): void {
  const expected = Math.ceil((nativeFrameBits(module) * module.numberOfFrames) / 8);
  if (pixelData.length >= expected) return;
  const frames = module.numberOfFrames > 1 ? `${module.numberOfFrames} frames of ` : '';
  throw invalidDicom(`PixelData holds ${pixelData.length} bytes, ${expected} expected for ${frames}${describeGeometry(module)}`);
}
