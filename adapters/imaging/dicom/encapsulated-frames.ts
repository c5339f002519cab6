import type { Fragment } from './data-set.js';
import { invalidDicom } from './errors.js';
import type { FrameCodec } from './transfer-syntaxes.js';

/**
 * Which fragments make up which frame (PS3.5 A.4). In order of trust: a single frame takes every
 * fragment; a Basic Offset Table gives each frame's first fragment; one fragment per frame needs no
 * table; otherwise a new frame starts at each fragment that opens a new codestream (JPEG SOI,
 * JPEG 2000 SOC or JP2 signature), as dicomParser and pydicom do for files without a table.
 */
export function encapsulatedFrames(
  bytes: Uint8Array, encapsulated: { readonly basicOffsetTable: Fragment; readonly fragments: readonly Fragment[] }, numberOfFrames: number, codec: FrameCodec,
): Fragment[][] {
  const { fragments } = encapsulated;
  if (fragments.length === 0) throw invalidDicom('encapsulated PixelData holds no fragments');
  if (numberOfFrames === 1) return [[...fragments]];
  const fromTable = byOffsetTable(bytes, encapsulated, numberOfFrames);
  if (Array.isArray(fromTable)) return fromTable;
  if (fragments.length === numberOfFrames) return fragments.map((fragment) => [fragment]);
  const byMarker = codec === 'rle' || codec === 'encapsulated-native' ? undefined : byCodestreamStart(bytes, fragments, codec);
  if (byMarker?.length === numberOfFrames) return byMarker;
  const table = fromTable ? ` (${fromTable.problem})` : '';
  throw invalidDicom(`encapsulated PixelData holds ${fragments.length} fragments for ${numberOfFrames} frames; neither the Basic Offset Table${table} nor the codestream markers tell which fragments belong to which frame`);
}

/**
 * Offsets are from the first fragment's item tag; each must point at an item boundary, in increasing
 * order. An unusable table is reported (and the other ways tried), not trusted.
 */
function byOffsetTable(
  bytes: Uint8Array, encapsulated: { readonly basicOffsetTable: Fragment; readonly fragments: readonly Fragment[] }, numberOfFrames: number,
): Fragment[][] | { problem: string } | undefined {
  const table = encapsulated.basicOffsetTable;
  if (table.length === 0) return undefined;
  if (table.length !== numberOfFrames * 4) return { problem: `it holds ${Math.floor(table.length / 4)} offsets` };
  const view = new DataView(bytes.buffer, bytes.byteOffset + table.offset, table.length);
  const base = encapsulated.fragments[0]!.offset - 8;
  const starts = new Map<number, number>(encapsulated.fragments.map((fragment, index) => [fragment.offset - 8 - base, index]));
  const firstFragments = Array.from({ length: numberOfFrames }, (_, frame) => starts.get(view.getUint32(frame * 4, true)) ?? -1);
  if (firstFragments.includes(-1)) return { problem: 'an offset does not point at a fragment' };
  if (firstFragments[0] !== 0 || firstFragments.some((index, frame) => frame > 0 && index <= firstFragments[frame - 1]!)) {
    return { problem: 'its offsets do not increase from the first fragment' };
  }
  return firstFragments.map((first, frame) => encapsulated.fragments.slice(first, firstFragments[frame + 1] ?? encapsulated.fragments.length));
}

function byCodestreamStart(bytes: Uint8Array, fragments: readonly Fragment[], codec: FrameCodec): Fragment[][] {
  const frames: Fragment[][] = [];
  for (const fragment of fragments) {
    const opens = startsCodestream(bytes.subarray(fragment.offset, fragment.offset + Math.min(fragment.length, 12)), codec);
    if (opens || frames.length === 0) frames.push([fragment]);
    else frames[frames.length - 1]!.push(fragment);
  }
  return frames;
}

function startsCodestream(head: Uint8Array, codec: FrameCodec): boolean {
  if (codec === 'jpeg-2000' || codec === 'htj2k') {
    const soc = head[0] === 0xff && head[1] === 0x4f && head[2] === 0xff && head[3] === 0x51;
    const jp2 = head[4] === 0x6a && head[5] === 0x50 && head[6] === 0x20 && head[7] === 0x20;
    return soc || jp2;
  }
  return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

/** The bytes of one frame: its fragments joined (a view when it is a single fragment). */
export function joinFragments(bytes: Uint8Array, fragments: readonly Fragment[]): Uint8Array {
  if (fragments.length === 1) return bytes.subarray(fragments[0]!.offset, fragments[0]!.offset + fragments[0]!.length);
  const out = new Uint8Array(fragments.reduce((sum, fragment) => sum + fragment.length, 0));
  let position = 0;
  for (const fragment of fragments) {
    out.set(bytes.subarray(fragment.offset, fragment.offset + fragment.length), position);
    position += fragment.length;
  }
  return out;
}
