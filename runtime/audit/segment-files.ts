import { appendFileSync, closeSync, existsSync, fstatSync, ftruncateSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/**
 * Segment naming: the log being written keeps the configured name (audit.jsonl); a rotated segment is
 * renamed to audit.000001.jsonl, audit.000002.jsonl, ... in the order written, so a name sort (or a
 * shell glob) lists a folder's segments in chain order with the live file last.
 */
export function segmentName(path: string, n: number): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.${String(n).padStart(6, '0')}${ext}`);
}

/** Numbers of the rotated segments of `path` that exist, ascending. */
export function rotatedSegments(path: string): number[] {
  const ext = extname(path);
  const stem = basename(path, ext);
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{6,})${escape(ext)}$`);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names.map((n) => pattern.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
}

/** The files of one log in chain order: its rotated segments, then the live file (when it exists). */
export function segmentsOf(path: string): string[] {
  return [...rotatedSegments(path).map((n) => segmentName(path, n)), ...(existsSync(path) ? [path] : [])];
}

/**
 * A folder's audit files in chain order: every *.jsonl, rotated segments (name.NNNNNN.jsonl) before the
 * live file of the same name. Throws when the folder holds the segments of more than one log.
 */
export function segmentsInFolder(dir: string): string[] {
  const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl') && statSync(join(dir, n)).isFile());
  const stems = new Set(files.map((n) => n.replace(/(\.\d{6,})?\.jsonl$/, '')));
  if (stems.size > 1) throw new Error(`${dir} holds the segments of ${stems.size} logs (${[...stems].slice(0, 4).join(', ')}): name the files of one`);
  const order = (n: string) => /\.(\d{6,})\.jsonl$/.exec(n)?.[1];
  return files.sort((a, b) => {
    const x = order(a);
    const y = order(b);
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    return Number(x) - Number(y);
  }).map((n) => join(dir, n));
}

export interface TailState {
  /** The last whole line, when there is one. */
  readonly lastLine: string | undefined;
  /** Bytes of an unterminated last line that were cut off (and copied to `<path>.torn`), if any. */
  readonly tornBytes: number;
}

/**
 * Reads the last whole line of a log and repairs a torn write: a last line without its newline (the
 * process died mid-write) is copied to `<path>.torn` and cut off, so the chain continues from the last
 * whole line and the next line is never merged with the torn one.
 */
export function recoverTail(path: string): TailState {
  if (!existsSync(path) || !statSync(path).isFile()) return { lastLine: undefined, tornBytes: 0 };
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 1024 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const end = buf.lastIndexOf(0x0a);
    let tornBytes = 0;
    if (length > 0 && end !== length - 1) {
      const torn = buf.subarray(end + 1);
      appendFileSync(`${path}.torn`, Buffer.concat([torn, Buffer.from('\n')]), { mode: 0o600 });
      ftruncateSync(fd, size - torn.length);
      tornBytes = torn.length;
    }
    const whole = end < 0 ? '' : buf.subarray(0, end).toString('utf8');
    const lastLine = whole.slice(whole.lastIndexOf('\n') + 1);
    return { lastLine: lastLine.length ? lastLine : undefined, tornBytes };
  } finally {
    closeSync(fd);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
