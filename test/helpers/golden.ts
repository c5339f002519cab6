import { readFileSync } from 'node:fs';

/** A golden tensor stored as <name>.json ({name, datatype, shape}) plus <name>.bin (raw little-endian). */
export function readGolden(pathWithoutExtension: string): { name: string; datatype: string; shape: number[]; data: Float32Array } {
  const meta = JSON.parse(readFileSync(`${pathWithoutExtension}.json`, 'utf8'));
  const bytes = readFileSync(`${pathWithoutExtension}.bin`);
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { ...meta, data };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
