import type { ImageSource } from '../../../adapters/imaging/image-prediction.js';
import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import type { ImageSpec } from '../../../adapters/imaging/image-spec.js';
import type { RasterImage } from '../../../adapters/imaging/raster.js';
import { decodeDicomForModel } from './dicom.js';
import { decodeJpeg } from './jpeg.js';
import { decodePng } from './png.js';
import type { ImageFormat } from './sniff.js';

export interface DecodedImages {
  /** One per batch row (or all of them as one volume), on the display scale 0..255. */
  readonly images: RasterImage[];
  /** What each prediction is about, as the server reports it. */
  readonly sources: ImageSource[];
  /** The DICOM header (undefined for PNG and JPEG, which have none). */
  readonly info?: DicomInstanceInfo;
}

/** Decodes a file into the images the model's preprocessing asks for (one decoder per format). */
export async function decodeForModel(bytes: Uint8Array, format: ImageFormat, spec: ImageSpec): Promise<DecodedImages> {
  if (format === 'dicom') return decodeDicomForModel(bytes, spec);
  const image = format === 'png' ? decodePng(bytes) : await decodeJpeg(bytes);
  return { images: [image], sources: [{ index: 0 }] };
}
