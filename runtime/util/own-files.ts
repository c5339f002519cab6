import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Where clinfer's own files are. clinfer runs either compiled (`npm run build` writes dist/runtime/...,
 * dist/adapters/...: what `npm start`, the CLI and the images run) or from its TypeScript sources through
 * tsx (the tests; development with CLINFER_FROM_SOURCE=1, see bin/clinfer.mjs). A process runs one tree,
 * so this module's own file name says which one for every module.
 */
export const RUNS_COMPILED: boolean = import.meta.url.endsWith('.js');

/** The package root (package.json, app/dist/): runtime/util/ from source, dist/runtime/util/ compiled. */
export const PACKAGE_ROOT: URL = new URL(RUNS_COMPILED ? '../../../' : '../../', import.meta.url);

/**
 * The module `name` (no extension) in the folder of the module at `from` (its import.meta.url), to start
 * as a worker thread or child process: `name.js` compiled, `name.ts` from source.
 */
export function siblingModule(from: string, name: string): URL {
  return new URL(`./${name}${RUNS_COMPILED ? '.js' : '.ts'}`, from);
}

/**
 * The execArgv of a worker thread or child process that runs clinfer modules: nothing compiled; from
 * source, tsx's loader (resolved only then: tsx is a development dependency, absent from the images).
 */
export function moduleExecArgv(): string[] {
  return RUNS_COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}
