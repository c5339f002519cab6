import type { DicomInstanceInfo } from '../dicom-info.js';

/**
 * The patient geometry a SEG can carry when every segmented frame comes from a single-frame image of one frame
 * of reference, with one orientation and one pixel spacing (a CT or MR series). Multi-frame sources carry one
 * position per frame that DicomInstanceInfo does not hold, and projection images (CR, DX) have none: their SEG
 * references the source frames without patient geometry.
 */
export interface PlaneGeometry {
  readonly frameOfReferenceUID: string;
  readonly orientation: readonly [number, number, number, number, number, number];
  readonly pixelSpacing: readonly [number, number];
  readonly sliceThickness: number | undefined;
  /** Per source index: Image Position (Patient). */
  readonly positionOf: (sourceIndex: number) => readonly [number, number, number];
  /** Per source index: 1-based rank of the slice along the normal, for Dimension Index Values. */
  readonly sliceIndexOf: (sourceIndex: number) => number;
}

const sameNumbers = (a: readonly number[], b: readonly number[], tolerance: number) =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= tolerance);

export function planeGeometry(sources: readonly DicomInstanceInfo[], used: readonly number[]): PlaneGeometry | undefined {
  const images = used.map((i) => sources[i]!.image);
  const first = images[0];
  if (!first?.frameOfReferenceUID || !first.imageOrientationPatient || !first.pixelSpacing) return undefined;
  for (const image of images) {
    if (!image || image.numberOfFrames !== 1 || !image.imagePositionPatient) return undefined;
    if (image.frameOfReferenceUID !== first.frameOfReferenceUID) return undefined;
    if (!image.imageOrientationPatient || !sameNumbers(image.imageOrientationPatient, first.imageOrientationPatient, 1e-4)) return undefined;
    if (!image.pixelSpacing || !sameNumbers(image.pixelSpacing, first.pixelSpacing, 1e-4)) return undefined;
  }
  const [rx, ry, rz, cx, cy, cz] = first.imageOrientationPatient;
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx] as const;
  const positionOf = (i: number) => sources[i]!.image!.imagePositionPatient!;
  const distanceOf = (i: number) => {
    const p = positionOf(i);
    return p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
  };
  // Slices closer than 1 µm along the normal are the same slice.
  const distances = [...new Set(used.map((i) => Math.round(distanceOf(i) * 1000)))].sort((a, b) => a - b);
  return {
    frameOfReferenceUID: first.frameOfReferenceUID,
    orientation: first.imageOrientationPatient,
    pixelSpacing: first.pixelSpacing,
    sliceThickness: first.sliceThickness,
    positionOf,
    sliceIndexOf: (i) => distances.indexOf(Math.round(distanceOf(i) * 1000)) + 1,
  };
}
