import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { runs } from '../../fuzz/runs.js';
import { mulberry32 as random } from '../../../runtime/util/seeded-random.js';

/**
 * Robustness: random byte mutations and truncations of real files of every codec family either decode
 * or are refused with an ImagingInputError; nothing else is thrown and nothing hangs. The decodes run in
 * a worker thread with a watchdog, because a decoder stuck in a synchronous (or WebAssembly) loop would
 * never let a timer in the test's own thread fire. The generous bound (20 s a case) only catches hangs;
 * speed is the benchmarks' business.
 */

const CASES = runs(200);
const HANG_MS = 20_000;

const seeds = [
  'pydicom/CT_small.dcm', // native, explicit VR LE
  'pydicom/MR_small_bigendian.dcm', // native, explicit VR BE
  'pydicom/MR_small_implicit.dcm', // native, implicit VR
  'pydicom/image_dfl.dcm', // deflated
  'pydicom/MR_small_RLE.dcm', // RLE
  'pydicom/SC_rgb_small_odd_jpeg.dcm', // JPEG baseline, libjpeg-turbo
  'pydicom/JPGExtended.dcm', // JPEG extended 12-bit, pure-JS decoder
  'pydicom/SC_rgb_jpeg_gdcm.dcm', // JPEG lossless
  'pydicom/MR_small_jpeg_ls_lossless.dcm', // JPEG-LS
  'pydicom/MR_small_jp2klossless.dcm', // JPEG 2000
  'pydicom/examples_palette.dcm', // palette colour
  'dicomParser/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm', // enhanced multi-frame, fragments without offset table
] as const;


/** Flips bytes, overwrites a run with 0xff or 0x00, inserts bytes or truncates; biased to the header and the codestream start. */
function mutate(source: Uint8Array, caseNumber: number): { bytes: Uint8Array; what: string } {
  const next = random(caseNumber * 7919 + 17);
  const pick = (limit: number) => Math.floor(next() * limit);
  const near = () => (next() < 0.6 ? 132 + pick(Math.min(1200, source.length - 132)) : pick(source.length));
  const kind = caseNumber % 5;
  if (kind === 0) {
    const at = 132 + pick(source.length - 132);
    return { bytes: source.slice(0, at), what: `truncated at ${at}` };
  }
  const bytes = source.slice();
  if (kind === 1) {
    const count = 1 + pick(12);
    const offsets = Array.from({ length: count }, near);
    for (const offset of offsets) bytes[offset] = pick(256);
    return { bytes, what: `random bytes at ${offsets.join(',')}` };
  }
  if (kind === 2) {
    const at = near();
    const fill = next() < 0.5 ? 0xff : 0x00;
    bytes.fill(fill, at, at + 1 + pick(16));
    return { bytes, what: `run of 0x${fill.toString(16)} at ${at}` };
  }
  if (kind === 3) {
    const at = near();
    const inserted = Uint8Array.from({ length: 1 + pick(9) }, () => pick(256));
    const out = new Uint8Array(bytes.length + inserted.length);
    out.set(bytes.subarray(0, at));
    out.set(inserted, at);
    out.set(bytes.subarray(at), at + inserted.length);
    return { bytes: out, what: `${inserted.length} bytes inserted at ${at}` };
  }
  // A length field made huge: the 4 bytes after a random even offset in the header.
  const at = 132 + 2 * pick(Math.min(600, (source.length - 136) / 2));
  new DataView(bytes.buffer).setUint32(at, 0xfffffff0 - pick(1024), true);
  return { bytes, what: `huge 32-bit value at ${at}` };
}

interface Reply {
  readonly id: number;
  readonly outcome: 'decoded' | 'refused' | 'threw';
  readonly detail: string;
}

const here = fileURLToPath(import.meta.url);
const adapter = fileURLToPath(new URL('../../../adapters/imaging/dicom/index.ts', import.meta.url));
// tsx's ESM API (its CommonJS twin registers hooks relative to itself and fails inside an eval worker).
const tsxApi = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;

// The worker loads the TypeScript adapter through tsx, decodes each input it is sent and answers how it ended.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const ready = import(${JSON.stringify(tsxApi)}).then(({ register }) => {
  register();
  return import(pathToFileURL(${JSON.stringify(adapter)}).href);
});
parentPort.on('message', async ({ id, bytes }) => {
  const adapter = await ready;
  try {
    const { frames } = await adapter.decodeDicom(bytes, { window: 'file', frames: 'all', limits: { maxDecodedBytes: 256 * 1024 * 1024 } });
    const finite = frames.every((frame) => frame.data.every((value) => Number.isFinite(value)));
    parentPort.postMessage({ id, outcome: finite ? 'decoded' : 'threw', detail: finite ? frames.length + ' frame(s)' : 'non-finite raster values' });
  } catch (error) {
    const refused = error && error.name === 'ImagingInputError' && typeof error.code === 'string';
    parentPort.postMessage({ id, outcome: refused ? 'refused' : 'threw', detail: refused ? error.code + ': ' + error.message : String(error && error.stack || error) });
  }
});
`;

/** One worker, one case at a time; a case that outlives the watchdog fails the test and takes the worker down. */
class FuzzWorker {
  #worker: Worker | undefined;
  #pending: { id: number; resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;

  decode(id: number, bytes: Uint8Array): Promise<Reply> {
    const worker = this.#start();
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        void this.stop();
        reject(new Error(`case ${id} did not finish within ${HANG_MS} ms`));
      }, HANG_MS);
      this.#pending = {
        id,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      worker.postMessage({ id, bytes });
    });
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerSource, { eval: true });
    worker.on('message', (reply: Reply) => {
      if (reply.id !== this.#pending?.id) return;
      const pending = this.#pending;
      this.#pending = undefined;
      pending.resolve(reply);
    });
    worker.on('error', (error) => {
      this.#worker = undefined;
      this.#pending?.reject(error);
      this.#pending = undefined;
    });
    this.#worker = worker;
    return worker;
  }
}

const fuzzWorker = new FuzzWorker();
afterAll(() => fuzzWorker.stop());

describe('DICOM decoding of mutated files', () => {
  const sources = seeds.map((path) => new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${path}`, import.meta.url))));

  it(`${CASES} mutations either decode or are refused with an ImagingInputError, and none hangs`, async () => {
    const outcomes = { decoded: 0, refused: 0 };
    const failures: string[] = [];
    for (let caseNumber = 0; caseNumber < CASES; caseNumber++) {
      const seed = caseNumber % seeds.length;
      const { bytes, what } = mutate(sources[seed]!, caseNumber);
      const reply = await fuzzWorker.decode(caseNumber, bytes);
      if (reply.outcome === 'threw') failures.push(`case ${caseNumber} (${seeds[seed]}, ${what}): ${reply.detail}`);
      else outcomes[reply.outcome] += 1;
    }
    expect(failures).toEqual([]);
    // Both outcomes occur: the mutations reach past the header checks into the codecs.
    expect(outcomes.decoded).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(50);
  }, CASES * HANG_MS);
});
