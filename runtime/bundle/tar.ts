import { constants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ClinferError } from '../errors/index.js';

/**
 * The few tar features a bundle needs, written out so that what is accepted is exactly what is checked:
 * regular files in one folder, nothing else. `pack` is reproducible (sorted names, fixed mode, owner
 * and time, gzip without a timestamp): the same files give the same bytes.
 */
export interface TarFile {
  readonly name: string;
  readonly data: Buffer;
}

const BLOCK = 512;

export function pack(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(file.name)) throw new Error(`cannot pack '${file.name}': bundle files are plain names in one folder`);
    const header = Buffer.alloc(BLOCK);
    header.write(file.name, 0, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${file.data.byteLength.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    const sum = header.reduce((a, b) => a + b, 0);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(header, file.data, Buffer.alloc((BLOCK - (file.data.byteLength % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

export interface UnpackLimits {
  readonly maxTotalBytes: number;
  readonly maxFiles: number;
}

const refuse = (message: string) => new ClinferError('BUNDLE_INVALID', `bundle archive: ${message}`);

/**
 * Reads a .tar.gz bundle. Refused, before anything is written: links, devices and every entry that is
 * not a regular file (directories are skipped), names with '..', absolute names or sub-folders, more than
 * `maxFiles` files, more than `maxTotalBytes` unpacked (a gzip bomb stops at the limit), bad checksums.
 */
export function unpack(archive: Buffer, limits: UnpackLimits): TarFile[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: Math.min(limits.maxTotalBytes + 64 * BLOCK, constants.MAX_LENGTH) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ERR_BUFFER_TOO_LARGE' ? `unpacks to more than ${limits.maxTotalBytes} bytes` : 'is not a gzip-compressed tar file');
  }
  const files: TarFile[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.byteLength) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const stored = parseOctal(header.subarray(148, 156));
    const computed = header.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    if (stored !== computed) throw refuse(`entry at byte ${offset} has a bad header checksum`);
    const rawName = cString(header.subarray(0, 100));
    const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header.subarray(345, 500)) : '';
    const fullName = prefix ? `${prefix}/${rawName}` : rawName;
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156]!);
    offset += BLOCK;
    if (!Number.isSafeInteger(size) || size < 0 || offset + size > tar.byteLength) throw refuse(`entry '${safe(fullName)}' is truncated`);
    const name = fullName.replace(/^(\.\/)+/, '');
    if (fullName.startsWith('/') || fullName.split('/').includes('..')) throw refuse(`entry '${safe(fullName)}' points outside the bundle`);
    if (type === '5') {
      if (name !== '' && name !== '.' && name !== './') throw refuse(`entry '${safe(fullName)}' is a sub-folder; a bundle is one flat folder`);
    } else if (type === '0' || type === '\0') {
      if (name.includes('/') || name === '') throw refuse(`entry '${safe(fullName)}' is inside a sub-folder; a bundle is one flat folder`);
      if (/^\.+$/.test(name)) throw refuse(`entry '${safe(fullName)}' is not a file name`);
      if (files.some((f) => f.name === name)) throw refuse(`entry '${safe(name)}' appears twice`);
      if (files.length >= limits.maxFiles) throw refuse(`holds more than ${limits.maxFiles} files`);
      files.push({ name, data: Buffer.from(tar.subarray(offset, offset + size)) });
    } else {
      throw refuse(`entry '${safe(fullName)}' is a ${type === '1' ? 'hard link' : type === '2' ? 'symbolic link' : `type '${safe(type)}' entry`}; only regular files are accepted`);
    }
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  if (files.length === 0) throw refuse('holds no file');
  return files;
}

function parseOctal(field: Buffer): number {
  const text = cString(field).trim();
  return text === '' ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : Number.NaN;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

const safe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
