import { ImagingInputError } from '../raster.js';
import { storedValues, toContainer, type Container } from './bits.js';
import { decodeJpeg2000 } from './codec-jpeg-2000.js';
import { decodeJpegDct } from './codec-jpeg-dct.js';
import { decodeJpegLossless } from './codec-jpeg-lossless.js';
import { decodeJpegLs } from './codec-jpeg-ls.js';
import type { DecodedFrame } from './codec-output.js';
import { readJ2kHeader, readJpegHeader, type CodestreamHeader } from './codestream-header.js';
import { joinFragments } from './encapsulated-frames.js';
import { describeThrown, invalidDicom } from './errors.js';
import { nativeFrameWords } from './native-frame.js';
import type { PixelModule } from './pixel-module.js';
import type { PixelSource } from './pixel-source.js';
import { decodeRleFrame } from './rle.js';
import type { FrameSamples, SampleColorSpace } from './samples.js';

/** Decodes frame `frameIndex` (0-based) of a checked pixel source into stored sample values. */
export async function decodeSourceFrame(source: PixelSource, frameIndex: number): Promise<FrameSamples> {
  const { module } = source;
  const { words, colorSpace } = await frameWords(source, frameIndex);
  return {
    frameIndex,
    width: module.columns,
    height: module.rows,
    samplesPerPixel: module.samplesPerPixel,
    samples: storedValues(words, module),
    colorSpace,
    bitsStored: module.bitsStored,
    signed: module.signed,
  };
}

async function frameWords(source: PixelSource, frameIndex: number): Promise<{ words: Container; colorSpace: SampleColorSpace }> {
  const { module, file, pixelData } = source;
  const stored = storedColorSpace(module);
  if (source.codec === 'native') {
    const native = { bytes: file.dataSet.bytes, offset: pixelData.offset, length: pixelData.length, littleEndian: file.dataSet.littleEndian, vr: pixelData.vr };
    return { words: nativeFrameWords(native, module, frameIndex), colorSpace: stored };
  }
  const frame = joinFragments(file.dataSet.bytes, source.frames![frameIndex]!);
  const frameNumber = frameIndex + 1;
  if (source.codec === 'encapsulated-native') {
    const expected = Math.ceil((module.rows * module.columns * module.samplesPerPixel * module.bitsAllocated) / 8);
    if (frame.length < expected) throw invalidDicom(`frame ${frameNumber} holds ${frame.length} bytes, ${expected} expected`);
    return { words: nativeFrameWords({ bytes: frame, offset: 0, length: frame.length, littleEndian: true, vr: 'OB' }, module, 0), colorSpace: stored };
  }
  if (source.codec === 'rle') return { words: decodeRleFrame(frame, module, frameNumber), colorSpace: stored };
  const decoded = await runCodec(source, frame, frameNumber);
  return { words: checkedWords(decoded, source, frameNumber), colorSpace: decoded.colorTransformed ? 'RGB' : stored };
}

/** The colour space of samples as stored: YBR_FULL_422 is expanded to YBR_FULL; RCT/ICT are undone by the codec. */
function storedColorSpace(module: PixelModule): SampleColorSpace {
  switch (module.photometric) {
    case 'YBR_FULL':
    case 'YBR_FULL_422':
      return 'YBR_FULL';
    case 'YBR_RCT':
    case 'YBR_ICT':
      return 'RGB';
    default:
      return module.photometric;
  }
}

/**
 * Reads the codestream header, compares it with the DICOM header (so a frame never decodes to more
 * pixels than the limits admitted), runs the codec and turns any codec failure into INVALID_DICOM
 * naming the transfer syntax and the frame.
 */
async function runCodec(source: PixelSource, frame: Uint8Array, frameNumber: number): Promise<DecodedFrame> {
  const { module, codec, transferSyntax } = source;
  const j2k = codec === 'jpeg-2000' || codec === 'htj2k';
  const header = j2k ? readJ2kHeader(frame) : readJpegHeader(frame);
  const where = `frame ${frameNumber} (transfer syntax ${transferSyntax})`;
  if (!header) throw invalidDicom(`${where}: no ${j2k ? 'JPEG 2000 SIZ' : 'JPEG start-of-frame'} marker in the ${frame.length}-byte codestream`);
  checkHeader(header, module, where);
  try {
    switch (codec) {
      case 'jpeg-dct':
        return await decodeJpegDct(frame, header, module.photometric === 'RGB');
      case 'jpeg-lossless':
        return decodeJpegLossless(frame, header);
      case 'jpeg-ls':
        return await decodeJpegLs(frame);
      default:
        return await decodeJpeg2000(frame, codec === 'htj2k', header.multiComponentTransform ?? false);
    }
  } catch (thrown) {
    if (thrown instanceof ImagingInputError) throw thrown;
    throw invalidDicom(`${where} could not be decoded: ${describeThrown(thrown)}`);
  }
}

function checkHeader(header: CodestreamHeader, module: PixelModule, where: string): void {
  if (header.width !== module.columns || header.height !== module.rows) {
    throw invalidDicom(`${where}: the codestream is ${header.width}x${header.height}, the DICOM header says ${module.columns}x${module.rows}`);
  }
  if (header.components !== module.samplesPerPixel) {
    throw invalidDicom(`${where}: the codestream has ${header.components} components, SamplesPerPixel is ${module.samplesPerPixel}`);
  }
  if (header.precision > module.bitsAllocated) {
    throw invalidDicom(`${where}: the codestream has ${header.precision}-bit samples, BitsAllocated is ${module.bitsAllocated}`);
  }
}

/** The codec's samples as words of BitsAllocated width, after checking they are what the header promised. */
function checkedWords(decoded: DecodedFrame, source: PixelSource, frameNumber: number): Container {
  const { module, transferSyntax } = source;
  const where = `frame ${frameNumber} (transfer syntax ${transferSyntax})`;
  const expected = module.rows * module.columns * module.samplesPerPixel;
  if (decoded.width !== module.columns || decoded.height !== module.rows || decoded.components !== module.samplesPerPixel || decoded.data.length < expected) {
    throw invalidDicom(`${where} decoded to ${decoded.width}x${decoded.height}x${decoded.components} (${decoded.data.length} samples), expected ${module.columns}x${module.rows}x${module.samplesPerPixel}`);
  }
  const data = decoded.data.length > expected ? decoded.data.subarray(0, expected) : decoded.data;
  const words = toContainer(data, module.bitsAllocated);
  if (!words) throw invalidDicom(`${where} decoded to ${decoded.bitsPerSample}-bit samples, BitsAllocated is ${module.bitsAllocated}`);
  return words;
}
