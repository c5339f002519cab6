import { expect } from 'vitest';

/** The largest difference between two JSON values' numbers; throws when their shapes or other values differ. */
export function maxNumberDiff(a: unknown, b: unknown, path = '$'): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, `${path}.length`).toBe(b.length);
    return Math.max(0, ...a.map((v, i) => maxNumberDiff(v, b[i], `${path}[${i}]`)));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), `${path} keys`).toEqual(Object.keys(b).sort());
    return Math.max(0, ...Object.keys(a).map((k) => maxNumberDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)));
  }
  expect(a, path).toEqual(b);
  return 0;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}
