import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import { decodeDicom, type DicomHeader } from '../../adapters/imaging/dicom/index.js';
import type { ImageSpec } from '../../adapters/imaging/image-spec.js';
import { ImagingInputError } from '../../adapters/imaging/raster.js';
import { imagesToTensor } from '../../adapters/imaging/to-tensor.js';
import { decodeImage } from './decode-image.js';
import type { ImageFormat } from './sniff-format.js';

export interface ImagingLimits {
  /** Pixels per image or frame (rows x columns). */
  readonly maxImagePixels: number;
  /** Frames per DICOM instance. */
  readonly maxFrames: number;
  /** Bytes of decoded pixel data per instance (guards codec and deflate bombs). */
  readonly maxDecodedBytes: number;
}

export interface PrepareTask {
  readonly bytes: Uint8Array;
  readonly format: ImageFormat;
  readonly spec: ImageSpec;
  readonly limits: ImagingLimits;
  /** DICOM: the header the main thread read from these bytes (to route them), so this thread does not parse it again. */
  readonly header?: DicomHeader | undefined;
}

export type PrepareResult =
  | {
      readonly ok: true;
      readonly data: Float32Array;
      readonly shape: number[];
      /** Per batch row: the 1-based DICOM frame it came from (undefined for single images). */
      readonly frames: (number | undefined)[];
      readonly info: DicomInstanceInfo | undefined;
      /** The decoded image's size (a segmentation mask is given back at this size). */
      readonly width: number;
      readonly height: number;
    }
  | { readonly ok: false; readonly code: ImagingInputError['code']; readonly message: string };

/**
 * Decode + preprocess one image into the model's input rows. Runs in the imaging worker threads (off the
 * event loop). Input mistakes come back as a result, not a throw, so their code survives the thread hop.
 */
export async function prepareImage(task: PrepareTask): Promise<PrepareResult> {
  try {
    if (task.format === 'dicom') {
      const all = task.spec.frames !== 'first';
      const { info, frames } = await decodeDicom(task.bytes, {
        window: task.spec.window,
        frames: all ? 'all' : 'first',
        header: task.header,
        limits: { maxFrames: task.limits.maxFrames, maxPixelsPerFrame: task.limits.maxImagePixels, maxDecodedBytes: task.limits.maxDecodedBytes },
      });
      const tensor = imagesToTensor(frames, task.spec);
      const multiFrame = (info.image?.numberOfFrames ?? 1) > 1;
      const rows = task.spec.frames === 'volume' ? [undefined] : frames.map((_: unknown, i: number) => (multiFrame ? i + 1 : undefined));
      return { ok: true, data: tensor.data, shape: tensor.shape, frames: rows, info, width: frames[0]!.width, height: frames[0]!.height };
    }
    const image = await decodeImage(task.bytes, task.format, task.limits.maxImagePixels);
    const tensor = imagesToTensor([image], task.spec);
    return { ok: true, data: tensor.data, shape: tensor.shape, frames: [undefined], info: undefined, width: image.width, height: image.height };
  } catch (error) {
    if (error instanceof ImagingInputError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}
