/** Image container formats clinfer reads, told apart by their first bytes (not by what a header claims). */
export type ImageFormat = 'dicom' | 'png' | 'jpeg' | 'tiff' | 'webp';

export const MEDIA_TYPES: Readonly<Record<ImageFormat, string>> = {
  dicom: 'application/dicom',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
  webp: 'image/webp',
};

const startsWith = (bytes: Uint8Array, at: number, magic: readonly number[]) => magic.every((b, i) => bytes[at + i] === b);

export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 132 && startsWith(bytes, 128, [0x44, 0x49, 0x43, 0x4d])) return 'dicom';
  if (startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, 0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, 0, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, 0, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, 0, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, 8, [0x57, 0x45, 0x42, 0x50])) return 'webp';
  return undefined;
}

/** The format a media type names, or undefined when clinfer does not read it as an image. */
export function formatOfMediaType(mediaType: string): ImageFormat | undefined {
  const type = mediaType.split(';')[0]!.trim().toLowerCase();
  if (type === 'image/jpg') return 'jpeg';
  return (Object.keys(MEDIA_TYPES) as ImageFormat[]).find((f) => MEDIA_TYPES[f] === type);
}
