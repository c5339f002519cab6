import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDicom, decodeFrameSamples } from '../../../adapters/imaging/dicom/index.js';
import type { WindowSpec } from '../../../adapters/imaging/image-spec.js';
import { requirePeer } from '../../helpers/peers.js';

/**
 * Cross-check against an independent decoder, DCMTK (apt package dcmtk), when it is installed:
 * decompressed by dcmdjpeg / dcmdjpls / dcmdrle (or rewritten by dcmconv) to explicit VR little endian,
 * its raw PixelData (dumped by dcmdump +W and read here without the adapter) must equal the adapter's
 * stored samples; and dcm2pnm's 8-bit rendering (modality LUT, window, MONOCHROME1, palette, YBR) must
 * equal the adapter's raster rounded to integers, within 1.
 */

const corpus = fileURLToPath(new URL('../../fixtures/dicom/', import.meta.url));

function installed(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const dcmtk = ['dcmdjpeg', 'dcmdjpls', 'dcmdrle', 'dcmconv', 'dcmdump', 'dcm2pnm'].every(installed);
const work = dcmtk ? mkdtempSync(join(tmpdir(), 'clinfer-dcmtk-')) : '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(tool: string, args: string[]): string {
  return execFileSync(tool, args, { stdio: 'pipe', timeout: 60_000 }).toString('latin1');
}

/** The frames of a native explicit VR little endian file as stored values, read from dcmdump's raw pixel dump. */
function dcmtkFrames(file: string): { frames: number[][]; photometric: string } {
  const dump = run('dcmdump', ['+W', work, file]);
  const attribute = (tag: string) => new RegExp(`^\\(${tag}\\) \\w\\w (?:\\[([^\\]]*)\\]|(\\d+))`, 'm').exec(dump);
  const number = (tag: string, fallback?: number) => {
    const match = attribute(tag);
    if (!match) {
      if (fallback === undefined) throw new Error(`dcmdump shows no ${tag}`);
      return fallback;
    }
    return Number(match[1] ?? match[2]);
  };
  const rows = number('0028,0010');
  const columns = number('0028,0011');
  const samples = number('0028,0002');
  const bitsAllocated = number('0028,0100');
  const bitsStored = number('0028,0101');
  const signed = number('0028,0103') === 1;
  const planar = number('0028,0006', 0);
  const frameCount = number('0028,0008', 1);
  const photometric = attribute('0028,0004')![1]!;
  const raw = readFileSync(join(work, `${basename(file)}.0.raw`));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const perFrame = rows * columns * samples;
  const frames: number[][] = [];
  for (let frame = 0; frame < frameCount; frame++) {
    const values: number[] = [];
    for (let index = 0; index < perFrame; index++) {
      const position = frame * perFrame + index;
      let value: number;
      if (bitsAllocated === 1) value = (raw[position >> 3]! >> (position & 7)) & 1;
      else if (bitsAllocated === 8) value = raw[position]!;
      else if (bitsAllocated === 16) value = view.getUint16(position * 2, true);
      else value = view.getUint32(position * 4, true);
      value = bitsStored === 32 ? value : value % 2 ** bitsStored;
      if (signed && value >= 2 ** (bitsStored - 1)) value -= 2 ** bitsStored;
      values.push(value);
    }
    frames.push(samples === 3 && planar === 1 ? interleave(values, rows * columns) : values);
  }
  return { frames, photometric };
}

function interleave(planes: number[], pixels: number): number[] {
  return Array.from({ length: pixels * 3 }, (_, index) => planes[(index % 3) * pixels + Math.floor(index / 3)]!);
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index]! - b[index]!));
  return max;
}

// [file, DCMTK tool, max difference]: 0 for lossless, and for lossy 8-bit JPEG (both use libjpeg's
// integer IDCT); 1 where the adapter uses the vendored pure-JS IDCT (12-bit, RGB without transform).
const decompressions = [
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', 'dcmdjpeg', 0],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm', 'dcmdjpeg', 1],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm', 'dcmdjpeg', 1],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm', 'dcmdjpeg', 1],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm', 'dcmdjpeg', 0],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm', 'dcmdjpeg', 0],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm', 'dcmdjpeg', 1],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm', 'dcmdjpeg', 0],
  ['dicomParser/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm', 'dcmdjpeg', 0],
  ['pydicom/JPGExtended.dcm', 'dcmdjpeg', 1],
  ['pydicom/SC_rgb_dcmtk_+eb+cr.dcm', 'dcmdjpeg', 0],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+n1.dcm', 'dcmdjpeg', 0],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+s2.dcm', 'dcmdjpeg', 0],
  ['pydicom/SC_rgb_jpeg_lossy_gdcm.dcm', 'dcmdjpeg', 0],
  ['pydicom/SC_jpeg_no_color_transform.dcm', 'dcmdjpeg', 1],
  ['pydicom/SC_jpeg_no_color_transform_2.dcm', 'dcmdjpeg', 0],
  ['pydicom/SC_rgb_jpeg_gdcm.dcm', 'dcmdjpeg', 0],
  ['pydicom/examples_ybr_color.dcm', 'dcmdjpeg', 0],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm', 'dcmdjpls', 0],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm', 'dcmdjpls', 0],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_ls.81.dcm', 'dcmdjpls', 0],
  ['pydicom/JPEGLSNearLossless_08.dcm', 'dcmdjpls', 0],
  ['pydicom/JPEGLSNearLossless_16.dcm', 'dcmdjpls', 0],
  ['pydicom/SC_rgb_jls_lossy_line.dcm', 'dcmdjpls', 0],
  ['pydicom/SC_rgb_jls_lossy_sample.dcm', 'dcmdjpls', 0],
  ['cornerstoneWADOImageLoader/CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm', 'dcmdrle', 0],
  ['cornerstoneWADOImageLoader/no-pixel-spacing.dcm', 'dcmdrle', 0],
  ['pydicom/SC_rgb_rle_32bit_2frame.dcm', 'dcmdrle', 0],
  ['pydicom/rtdose_rle.dcm', 'dcmdrle', 0],
  // Native encodings rewritten as explicit VR little endian. (Not rtdose_expb.dcm: its 32-bit samples
  // are stored as 32-bit big-endian words, which DCMTK, reading OW as 16-bit words, does not expect.)
  ['cornerstoneWADOImageLoader/CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm', 'dcmconv', 0],
  ['cornerstoneWADOImageLoader/CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm', 'dcmconv', 0],
  ['pydicom/image_dfl.dcm', 'dcmconv', 0],
  ['pydicom/ExplVR_BigEnd.dcm', 'dcmconv', 0],
  ['pydicom/SC_rgb_small_odd_big_endian.dcm', 'dcmconv', 0],
  ['pydicom/liver_expb_1frame.dcm', 'dcmconv', 0],
  ['pydicom/MR_small_bigendian.dcm', 'dcmconv', 0],
  ['dicomParser/CT1_UNC.implicit_little_endian.dcm', 'dcmconv', 0],
] as const;

requirePeer('dcmtk', dcmtk);

describe('DCMTK cross-check: stored samples', () => {
  it.each(decompressions)('%s (%s) matches within %i', async (file, tool, tolerance) => {
    const output = join(work, `${basename(file)}.${tool}.dcm`);
    run(tool, [...(tool === 'dcmconv' ? ['+te'] : []), join(corpus, file), output]);
    const reference = dcmtkFrames(output);
    const bytes = new Uint8Array(readFileSync(join(corpus, file)));
    for (const [frame, expected] of reference.frames.entries()) {
      const decoded = await decodeFrameSamples(bytes, frame);
      expect(decoded.colorSpace).toBe(reference.photometric);
      expect(maxDifference(decoded.samples, expected), `frame ${frame + 1}`).toBeLessThanOrEqual(tolerance);
    }
  });
});

/** Reads a binary PGM (P5) or PPM (P6). */
function readPnm(path: string): { width: number; height: number; data: Uint8Array } {
  const bytes = readFileSync(path);
  const header = /^P[56]\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(bytes.subarray(0, 200).toString('latin1'));
  if (!header) throw new Error(`${path} is not a binary PNM`);
  return { width: Number(header[1]), height: Number(header[2]), data: new Uint8Array(bytes.subarray(header[0].length)) };
}

// [file, dcm2pnm arguments, the same window for the adapter]
const renderings: ReadonlyArray<readonly [string, readonly string[], WindowSpec]> = [
  ['pydicom/CT_small.dcm', ['+Ww', '40', '400'], { center: 40, width: 400 }],
  ['pydicom/CT_small.dcm', ['+Wm'], 'minmax'],
  ['cornerstoneWADOImageLoader/CTImage.dcm', ['+Wi', '1'], 'file'],
  ['pydicom/MR_small.dcm', ['+Wi', '1'], 'file'],
  ['pydicom/MR_small.dcm', ['+Ww', '600', '1'], { center: 600, width: 1 }],
  ['pydicom/dicomdir_cr_ct_mr/77654033_CR1_6154', ['+Wi', '1'], 'file'],
  ['pydicom/dicomdir_cr_ct_mr/77654033_CR1_6154', ['+Ww', '1500', '900'], { center: 1500, width: 900 }],
  ['pydicom/examples_overlay.dcm', ['+Wi', '1'], 'file'],
  ['pydicom/rtdose_1frame.dcm', ['+Wm'], 'minmax'],
  ['cornerstoneWADOImageLoader/US-YBR_FULL_422-EVRLE.dcm', [], 'file'],
  ['pydicom/SC_ybr_full_422_uncompressed.dcm', [], 'file'],
  ['pydicom/examples_palette.dcm', [], 'file'],
  ['cornerstoneWADOImageLoader/no-pixel-spacing.dcm', [], 'file'],
  ['pydicom/ExplVR_BigEnd.dcm', [], 'file'],
];

describe('DCMTK cross-check: rendering (dcm2pnm)', () => {
  it.each(renderings)('%s with %j', async (file, args, window) => {
    const output = join(work, `${basename(file)}.${renderings.findIndex((entry) => entry[0] === file && entry[1] === args)}.pnm`);
    // -O: no overlay planes burnt in; +op: 8-bit binary PGM/PPM.
    run('dcm2pnm', [...args, '-O', '+op', join(corpus, file), output]);
    const reference = readPnm(output);
    const [frame] = (await decodeDicom(new Uint8Array(readFileSync(join(corpus, file))), { window, frames: 'first' })).frames;
    expect([frame!.width, frame!.height]).toEqual([reference.width, reference.height]);
    expect(maxDifference(Array.from(frame!.data, Math.round), reference.data)).toBeLessThanOrEqual(1);
  });
});
