/** Where the benchmark finds the repository and tsx (the child processes and worker threads load .ts through it). */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCHMARKS = fileURLToPath(new URL('../', import.meta.url));
export const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const log = (line: string): void => void process.stderr.write(`${line}\n`);
