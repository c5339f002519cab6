import { classifyImages, type ImagePredictResponse } from '../../../adapters/imaging/image-prediction.js';
import type { ImageSpec } from '../../../adapters/imaging/image-spec.js';
import { imagesToTensor, type ImageTensor } from '../../../adapters/imaging/to-tensor.js';
import type { Language } from '../../../adapters/tabular/language.js';
import type { LoadedModel } from '../bundle/loaded-model.js';
import { decodeForModel } from '../decode/decode-image.js';
import type { ImageFormat } from '../decode/sniff.js';
import { runFloat } from './ort-runtime.js';

export interface ImageRun {
  readonly response: ImagePredictResponse;
  /** The model's input, to show the image as the model sees it. */
  readonly tensor: ImageTensor;
  readonly decodeMs: number;
  readonly inferenceMs: number;
}

/**
 * An image file through the model, answered as the server's image predict answers: the same decoders'
 * numbers, the same adapters/imaging preprocessing, the same classification reading.
 */
export async function predictImage(model: LoadedModel & { kind: { type: 'image'; spec: ImageSpec } }, bytes: Uint8Array, format: ImageFormat, language: Language): Promise<ImageRun> {
  const spec = model.kind.spec;
  const started = performance.now();
  const { images, sources } = await decodeForModel(bytes, format, spec);
  const tensor = imagesToTensor(images, spec);
  const decodeMs = performance.now() - started;
  const output = await runFloat(model.runtime, model.session, spec.input, tensor.data, tensor.shape, model.output);
  const inferenceMs = performance.now() - started - decodeMs;
  const post = model.bundle.postprocessing ?? { kind: 'none' };
  const rows = spec.frames === 'volume' ? [sources[0] ?? { index: 0 }] : sources;
  const response: ImagePredictResponse = {
    model_name: model.name,
    model_version: model.version,
    model_digest: model.digest,
    language,
    predictions: classifyImages(post.kind, output, rows, model.bundle.labels ?? [], language),
  };
  return { response, tensor, decodeMs, inferenceMs };
}
