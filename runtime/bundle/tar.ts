import { constants } from 'node:buffer';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { refuse, TarReader, UnpackLimitError, type TarFile } from './tar-reader.js';

export type { TarFile } from './tar-reader.js';

/**
 * The few tar features a bundle needs, written out so that what is accepted is exactly what is checked:
 * regular files in one folder, nothing else. `pack` is reproducible (sorted names, fixed mode, owner
 * and time, gzip without a timestamp): the same files give the same bytes.
 */
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
  /** At most this many times the archive's size unpacked, once past RATIO_FREE_BYTES (unset: no ratio limit). */
  readonly maxRatio?: number | undefined;
}

/** Below this, any compression ratio is accepted (small models of zeros compress a thousandfold). */
export const RATIO_FREE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a .tar.gz bundle in one go (the CLI, on the operator's own files): the checks of TarReader, and
 * more than `maxTotalBytes` unpacked refused (a gzip bomb stops at the limit).
 */
export function unpack(archive: Buffer, limits: UnpackLimits): TarFile[] {
  const budget = budgetOf(archive, limits);
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: Math.min(budget.bytes + slack(limits), constants.MAX_LENGTH) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ERR_BUFFER_TOO_LARGE' ? budget.refusal : 'is not a gzip-compressed tar file');
  }
  const reader = new TarReader({ maxFiles: limits.maxFiles, maxBytes: budget.bytes });
  try {
    reader.push(tar);
  } catch (error) {
    throw error instanceof UnpackLimitError ? refuse(budget.refusal) : error;
  }
  return reader.finish();
}

/**
 * Reads a .tar.gz bundle as it decompresses (deployments through the API): zlib works on the thread pool,
 * each decompressed chunk is checked and copied as it comes, so neither a large bundle nor a gzip bomb
 * holds the event loop; decompression stops at the first refusal, at the end-of-archive block, or at the
 * limits (`maxTotalBytes`, and `maxRatio` times the archive's size): a 1 MB bomb costs a bounded amount.
 */
export function unpackStream(archive: Buffer, limits: UnpackLimits): Promise<TarFile[]> {
  const budget = budgetOf(archive, limits);
  const cap = budget.bytes + slack(limits);
  const reader = new TarReader({ maxFiles: limits.maxFiles, maxBytes: budget.bytes });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  return new Promise<TarFile[]>((resolve, reject) => {
    let produced = 0;
    let settled = false;
    const settle = (outcome: () => TarFile[]) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      try {
        resolve(outcome());
      } catch (error) {
        reject(error instanceof UnpackLimitError ? refuse(budget.refusal) : error);
      }
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      produced += chunk.byteLength;
      try {
        reader.push(chunk);
      } catch (error) {
        return settle(() => { throw error; });
      }
      if (reader.ended) return settle(() => reader.finish());
      if (produced > cap) settle(() => { throw new UnpackLimitError(); });
    });
    gunzip.on('error', () => settle(() => { throw refuse('is not a gzip-compressed tar file'); }));
    gunzip.on('end', () => settle(() => reader.finish()));
    gunzip.end(archive);
  });
}

/** How many bytes the files may hold, and the refusal that names the limit reached. */
function budgetOf(archive: Buffer, limits: UnpackLimits): { bytes: number; refusal: string } {
  const byRatio = limits.maxRatio === undefined ? Infinity : Math.max(RATIO_FREE_BYTES, Math.floor(archive.byteLength * limits.maxRatio));
  if (byRatio < limits.maxTotalBytes) {
    return { bytes: byRatio, refusal: `unpacks to more than ${limits.maxRatio} times its ${archive.byteLength} bytes (maxBundleUnpackRatio); a gzip bomb, or a bundle to pack less compressible` };
  }
  return { bytes: limits.maxTotalBytes, refusal: `unpacks to more than ${limits.maxTotalBytes} bytes` };
}

/** Tar headers and padding on top of the files' bytes. */
const slack = (limits: UnpackLimits) => (limits.maxFiles + 2) * 2 * BLOCK;
