/** What a byte string holds, told apart by its first bytes (as the server's runtime/imaging/sniff-format.ts). */
export type ImageFormat = 'dicom' | 'png' | 'jpeg';

const startsWith = (bytes: Uint8Array, at: number, magic: readonly number[]) => magic.every((b, i) => bytes[at + i] === b);

export function sniffImage(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 132 && startsWith(bytes, 128, [0x44, 0x49, 0x43, 0x4d])) return 'dicom';
  if (startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, 0, [0xff, 0xd8, 0xff])) return 'jpeg';
  return undefined;
}

/** Largest image the page decodes (pixels): a bigger one is refused before its pixels are unpacked. */
export const MAX_IMAGE_PIXELS = 100_000_000;
