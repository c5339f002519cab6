import type { WindowSpec } from '../image-spec.js';
import { rasterImage, type RasterImage } from '../raster.js';
import { colorToRgb } from './color-samples.js';
import type { DataSet } from './data-set.js';
import { monochromeToDisplay } from './display-lut.js';
import { modalityTransform } from './modality-lut.js';
import { applyPalette, readPalette, type PaletteLut } from './palette.js';
import type { FrameSamples } from './samples.js';
import { declaredWindow } from './voi.js';

/**
 * The display pipeline for one decoded frame (PS3.3 C.11): monochrome frames go through the modality
 * LUT, the VOI window onto 0..255 and, for MONOCHROME1, inversion; PALETTE COLOR through the palette;
 * RGB and YBR keep their colours on 0..255 (no windowing).
 */
export function frameToRaster(frame: FrameSamples, dataSet: DataSet, window: WindowSpec, palette?: PaletteLut): RasterImage {
  const { width, height } = frame;
  switch (frame.colorSpace) {
    case 'RGB':
    case 'YBR_FULL':
      return rasterImage(width, height, 3, colorToRgb(frame.samples, frame.colorSpace, frame.bitsStored));
    case 'PALETTE COLOR':
      return rasterImage(width, height, 3, applyPalette(frame.samples, palette ?? readPalette(dataSet, frame.signed)));
    default: {
      const transform = modalityTransform(dataSet, frame.frameIndex, frame.signed);
      const voi = declaredWindow(window, dataSet, frame.frameIndex);
      return rasterImage(width, height, 1, monochromeToDisplay(frame.samples, frame, transform, voi, frame.colorSpace === 'MONOCHROME1'));
    }
  }
}
