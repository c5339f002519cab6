import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeDicom } from '../../adapters/imaging/dicom/index.js';
import { parseImageSpec, type ImageSpec } from '../../adapters/imaging/image-spec.js';
import { imagesToTensor, type ImageTensor } from '../../adapters/imaging/to-tensor.js';
import { classScores } from '../../adapters/prediction/classify.js';
import { decodeImage } from '../../runtime/imaging/decode-image.js';
import { DEMO_MODELS } from '../helpers/server.js';

/**
 * The server's side of the comparison, computed here: sharp's decode (runtime/imaging/decode-image.ts),
 * the shared preprocessing, and onnxruntime-node run directly on that tensor.
 */
export class NodeReference {
  readonly spec: ImageSpec;
  readonly #session: ort.InferenceSession;
  readonly #kind: string;
  readonly #output: string;

  private constructor(spec: ImageSpec, session: ort.InferenceSession, kind: string, output: string) {
    this.spec = spec;
    this.#session = session;
    this.#kind = kind;
    this.#output = output;
  }

  static async open(model: string): Promise<NodeReference> {
    const dir = join(DEMO_MODELS, model, '1');
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
    const spec = parseImageSpec(bundle.preprocessing, bundle.inputs[0]);
    const session = await ort.InferenceSession.create(join(dir, bundle.model.file), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    return new NodeReference(spec, session, bundle.postprocessing.kind, bundle.postprocessing.output);
  }

  async tensor(bytes: Uint8Array, format: 'png' | 'jpeg' | 'dicom'): Promise<ImageTensor> {
    if (format === 'dicom') return imagesToTensor((await decodeDicom(bytes, { window: this.spec.window, frames: 'first' })).frames, this.spec);
    return imagesToTensor([await decodeImage(bytes, format, 100_000_000)], this.spec);
  }

  async scores(tensor: ImageTensor): Promise<number[]> {
    const out = await this.#session.run({ [this.spec.input]: new ort.Tensor('float32', tensor.data, tensor.shape) });
    return classScores(this.#kind, out[this.#output]!.data as Float32Array);
  }

  /** Milliseconds per run (median of `runs`) for one tensor. */
  async timeRun(tensor: ImageTensor, runs: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await this.#session.run({ [this.spec.input]: new ort.Tensor('float32', tensor.data, tensor.shape) });
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  }

  close(): Promise<void> {
    return this.#session.release();
  }
}
