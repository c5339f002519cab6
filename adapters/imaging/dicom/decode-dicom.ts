import type { DicomInstanceInfo } from '../dicom-info.js';
import type { WindowSpec } from '../image-spec.js';
import type { RasterImage } from '../raster.js';
import { imageTooLarge } from './errors.js';
import { decodeSourceFrame } from './frame-decoder.js';
import { part10FromLayout } from './header-layout.js';
import { instanceInfo } from './instance-info.js';
import { fillLimits, type DecodeLimits } from './limits.js';
import { readPalette } from './palette.js';
import { readPart10, type Part10File } from './part10.js';
import type { PixelModule } from './pixel-module.js';
import { pixelSource, type PixelSource } from './pixel-source.js';
import type { DicomHeader } from './read-dicom-info.js';
import type { FrameSamples } from './samples.js';
import { frameToRaster } from './to-raster.js';

export interface DecodeDicomOptions {
  readonly window: WindowSpec;
  readonly frames: 'first' | 'all';
  readonly limits?: Partial<DecodeLimits>;
  /** The header readDicomHeader read from these very bytes: used instead of parsing them again. */
  readonly header?: DicomHeader | undefined;
}

export interface DecodedDicom {
  readonly info: DicomInstanceInfo;
  readonly frames: RasterImage[];
}

/**
 * Decodes a DICOM Part 10 file into rasters on the display scale 0..255, one per decoded frame. Throws
 * ImagingInputError: INVALID_DICOM, UNSUPPORTED_TRANSFER_SYNTAX, NO_PIXEL_DATA, INVALID_IMAGE, or
 * IMAGE_TOO_LARGE when the header asks for more than the limits (checked before any pixel buffer exists).
 */
export async function decodeDicom(bytes: Uint8Array, options: DecodeDicomOptions): Promise<DecodedDicom> {
  const limits = fillLimits(options.limits);
  const { source, info } = openPixels(bytes, limits, options.frames === 'all' ? 'all' : 1, true, options.header);
  const count = options.frames === 'all' ? source.module.numberOfFrames : 1;
  const palette = source.module.photometric === 'PALETTE COLOR' ? readPalette(source.file.dataSet, source.module.signed) : undefined;
  const frames: RasterImage[] = [];
  for (let index = 0; index < count; index++) {
    const samples = await decodeSourceFrame(source, index);
    frames.push(frameToRaster(samples, source.file.dataSet, options.window, palette));
  }
  return { info, frames };
}

export interface DecodeFrameSamplesOptions {
  readonly limits?: Partial<DecodeLimits>;
}

/**
 * The stored sample values of one frame (0-based) before any LUT: for golden tests against other
 * decoders, and for callers that apply their own transforms.
 */
export async function decodeFrameSamples(bytes: Uint8Array, frameIndex = 0, options: DecodeFrameSamplesOptions = {}): Promise<FrameSamples> {
  const limits = fillLimits(options.limits);
  const { source } = openPixels(bytes, limits, 1, false);
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= source.module.numberOfFrames) {
    throw new RangeError(`frame index ${frameIndex} is outside 0..${source.module.numberOfFrames - 1}`);
  }
  return decodeSourceFrame(source, frameIndex);
}

function openPixels(bytes: Uint8Array, limits: DecodeLimits, frames: number | 'all', rasters: boolean, header?: DicomHeader): { source: PixelSource; info: DicomInstanceInfo } {
  const known: Part10File | undefined = header?.layout ? part10FromLayout(header.layout, bytes) : undefined;
  const file = known ?? readPart10(bytes, { maxInflatedBytes: limits.maxDecodedBytes });
  const info = known ? header!.info : instanceInfo(file);
  const source = pixelSource(file, info, (module) => checkLimits(module, frames === 'all' ? module.numberOfFrames : frames, limits, rasters));
  return { source, info };
}

/**
 * Refuses, from the header alone, a decode that would pass the limits: the frame count, the pixels of
 * one frame, and the bytes of the stored samples plus the Float32 rasters of every decoded frame.
 */
function checkLimits(module: PixelModule, frames: number, limits: DecodeLimits, rasters: boolean): void {
  if (frames > limits.maxFrames) throw imageTooLarge(`the image has ${frames} frames to decode, the limit is ${limits.maxFrames} (maxFrames)`);
  const pixels = module.rows * module.columns;
  if (pixels > limits.maxPixelsPerFrame) throw imageTooLarge(`a frame is ${module.columns}x${module.rows} = ${pixels} pixels, the limit is ${limits.maxPixelsPerFrame} (maxPixelsPerFrame)`);
  const sampleBytes = pixels * module.samplesPerPixel * Math.max(1, module.bitsAllocated / 8);
  const rasterChannels = module.samplesPerPixel === 3 || module.photometric === 'PALETTE COLOR' ? 3 : 1;
  const rasterBytes = rasters ? pixels * rasterChannels * Float32Array.BYTES_PER_ELEMENT : 0;
  const total = frames * (sampleBytes + rasterBytes);
  if (total > limits.maxDecodedBytes) throw imageTooLarge(`decoding ${frames} frame(s) of ${module.columns}x${module.rows} needs ${total} bytes, the limit is ${limits.maxDecodedBytes} (maxDecodedBytes)`);
}
