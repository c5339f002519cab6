import type { DicomInstanceInfo } from '../dicom-info.js';
import type { DataSet } from './data-set.js';
import { invalidDicom, invalidImage } from './errors.js';
import { describeTag, Tag } from './tags.js';
import { readUint16 } from './values.js';

/** Photometric interpretations this adapter turns into a raster. */
export type Photometric = 'MONOCHROME1' | 'MONOCHROME2' | 'PALETTE COLOR' | 'RGB' | 'YBR_FULL' | 'YBR_FULL_422' | 'YBR_RCT' | 'YBR_ICT';

const SAMPLES_FOR: Readonly<Record<Photometric, 1 | 3>> = {
  MONOCHROME1: 1,
  MONOCHROME2: 1,
  'PALETTE COLOR': 1,
  RGB: 3,
  YBR_FULL: 3,
  YBR_FULL_422: 3,
  YBR_RCT: 3,
  YBR_ICT: 3,
};

/** The Image Pixel module (PS3.3 C.7.6.3), checked for consistency, as the decoders need it. */
export interface PixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly numberOfFrames: number;
  readonly samplesPerPixel: 1 | 3;
  readonly photometric: Photometric;
  readonly bitsAllocated: 1 | 8 | 16 | 32;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly signed: boolean;
  /** 0: R1G1B1 R2G2B2 ...; 1: all R, then all G, then all B (native colour data only). */
  readonly planarConfiguration: 0 | 1;
}

/**
 * Validates the pixel description. INVALID_DICOM: the file contradicts the standard (BitsStored above
 * BitsAllocated, RGB with one sample). INVALID_IMAGE: a valid format this decoder does not produce an
 * image from (12-bit packed samples, retired CMYK).
 */
export function pixelModule(dataSet: DataSet, image: NonNullable<DicomInstanceInfo['image']>): PixelModule {
  const { rows, columns, samplesPerPixel, bitsAllocated, bitsStored, pixelRepresentation, numberOfFrames } = image;
  if (rows < 1 || columns < 1) throw invalidDicom(`the image is ${columns}x${rows} (Columns x Rows): both must be 1 or more`);
  const photometric = image.photometricInterpretation as Photometric;
  if (!Object.hasOwn(SAMPLES_FOR, photometric)) throw invalidImage(`PhotometricInterpretation (0028,0004) '${image.photometricInterpretation.slice(0, 20)}' is not supported (MONOCHROME1/2, PALETTE COLOR, RGB, YBR_FULL, YBR_FULL_422, YBR_RCT, YBR_ICT are)`);
  if (samplesPerPixel !== SAMPLES_FOR[photometric]) throw invalidDicom(`PhotometricInterpretation ${photometric} needs SamplesPerPixel (0028,0002) ${SAMPLES_FOR[photometric]}, the file has ${samplesPerPixel}`);
  if (bitsAllocated !== 1 && bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw invalidImage(`BitsAllocated (0028,0100) ${bitsAllocated} is not supported (1, 8, 16 and 32 are)`);
  }
  if (bitsAllocated === 1 && samplesPerPixel !== 1) throw invalidDicom('BitsAllocated (0028,0100) 1 is only valid for one sample per pixel');
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw invalidDicom(`BitsStored (0028,0101) is ${bitsStored}, expected 1 to BitsAllocated (${bitsAllocated})`);
  const highBit = readUint16(dataSet, Tag.HighBit) ?? bitsStored - 1;
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) throw invalidDicom(`${describeTag(Tag.HighBit)} is ${highBit}, expected ${bitsStored - 1} to ${bitsAllocated - 1} for BitsStored ${bitsStored}`);
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) throw invalidDicom(`PixelRepresentation (0028,0103) is ${pixelRepresentation}, expected 0 (unsigned) or 1 (signed)`);
  const planar = samplesPerPixel === 3 ? readUint16(dataSet, Tag.PlanarConfiguration) ?? 0 : 0;
  if (planar !== 0 && planar !== 1) throw invalidDicom(`PlanarConfiguration (0028,0006) is ${planar}, expected 0 or 1`);
  return {
    rows,
    columns,
    numberOfFrames,
    samplesPerPixel,
    photometric,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: pixelRepresentation === 1,
    planarConfiguration: planar,
  };
}

/** Stored bytes of one native frame: YBR_FULL_422 keeps two samples per pixel (Y Y Cb Cr per pixel pair). */
export function nativeFrameBits(module: PixelModule): number {
  const samples = module.photometric === 'YBR_FULL_422' ? 2 : module.samplesPerPixel;
  return module.rows * module.columns * samples * module.bitsAllocated;
}

/** "64x64x16 bits", "100x100x3x8 bits" */
export function describeGeometry(module: PixelModule): string {
  const samples = module.samplesPerPixel > 1 ? `x${module.samplesPerPixel}` : '';
  return `${module.columns}x${module.rows}${samples}x${module.bitsAllocated} bits`;
}
