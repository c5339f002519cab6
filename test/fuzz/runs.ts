/**
 * Fuzz case counts: the CI size by default; `CLINFER_FUZZ_SCALE=20 npm run fuzz` (benchmarks/README.md)
 * runs the same properties twenty times longer.
 */
const scale = Math.max(1, Number(process.env.CLINFER_FUZZ_SCALE ?? 1) || 1);
export const runs = (ciSize: number): number => Math.round(ciSize * scale);
