import type { ImageSource } from '../../../adapters/imaging/image-prediction.js';
import type { ImageSpec } from '../../../adapters/imaging/image-spec.js';
import type { RasterImage } from '../../../adapters/imaging/raster.js';
import { decodeDicom } from '../../../adapters/imaging/dicom/index.js';
import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';

export interface DecodedDicom {
  readonly images: RasterImage[];
  readonly sources: ImageSource[];
  /** The header, read here and never sent (the scope check and the header panel use it). */
  readonly info: DicomInstanceInfo;
}

/**
 * A DICOM file through the server's own decoder (adapters/imaging/dicom, bundled): the frames the
 * bundle asks for, windowed to 0..255, and per prediction the same source the server reports
 * (1-based frame for multi-frame objects, the instance's UIDs). runtime/imaging/prepare-image.ts and
 * runtime/predict/image-predictor.ts do the same on the server.
 */
export async function decodeDicomForModel(bytes: Uint8Array, spec: ImageSpec): Promise<DecodedDicom> {
  const { info, frames } = await decodeDicom(bytes, { window: spec.window, frames: spec.frames === 'first' ? 'first' : 'all' });
  const multiFrame = (info.image?.numberOfFrames ?? 1) > 1;
  const rows = spec.frames === 'volume' ? [undefined] : frames.map((_, i) => (multiFrame ? i + 1 : undefined));
  const uids = { sop_instance_uid: info.sopInstanceUID, series_instance_uid: info.seriesInstanceUID, study_instance_uid: info.studyInstanceUID };
  return { info, images: frames, sources: rows.map((frame) => ({ index: 0, ...(frame !== undefined ? { frame } : {}), ...uids })) };
}
