import { classifyImages, segmentImages, type ImagePredictResponse } from '../../../adapters/imaging/image-prediction.js';
import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import type { ImageSpec } from '../../../adapters/imaging/image-spec.js';
import { checkInputScope, describeOutOfScope, parseInputScope, parseOutOfScopePolicy, scopeNotes, type ScopeCheck } from '../../../adapters/imaging/input-scope.js';
import { imagesToTensor, type ImageTensor } from '../../../adapters/imaging/to-tensor.js';
import type { Language } from '../../../adapters/tabular/language.js';
import type { LoadedModel } from '../bundle/loaded-model.js';
import { decodeForModel } from '../decode/decode-image.js';
import type { ImageFormat } from '../decode/sniff.js';
import { AppError } from '../errors.js';
import { runFloatTensor } from './ort-runtime.js';

export interface ImageRun {
  readonly response: ImagePredictResponse;
  /** The model's input, to show the image as the model sees it. */
  readonly tensor: ImageTensor;
  readonly decodeMs: number;
  readonly inferenceMs: number;
  /** The image against the bundle's input_scope (the server's check, adapters/imaging/input-scope.ts). */
  readonly scope: ScopeCheck;
  /** The DICOM header, read in this page (never sent); undefined for PNG and JPEG. */
  readonly info: DicomInstanceInfo | undefined;
}

const FORMAT_NAMES = { dicom: 'DICOM', png: 'PNG', jpeg: 'JPEG' } as const;

/** An out-of-scope image under the "refuse" policy: the server's 422 OUT_OF_SCOPE, word for word. */
export class OutOfScopeError extends AppError {
  constructor(readonly scope: ScopeCheck, readonly info: DicomInstanceInfo | undefined) {
    super('OUT_OF_SCOPE', describeOutOfScope(scope.outOfScope));
  }
}

/**
 * An image file through the model, answered as the server's image predict answers: the same decoders'
 * numbers, the same adapters/imaging preprocessing, the same classification reading.
 */
export async function predictImage(model: LoadedModel & { kind: { type: 'image'; spec: ImageSpec } }, bytes: Uint8Array, format: ImageFormat, language: Language): Promise<ImageRun> {
  const spec = model.kind.spec;
  const started = performance.now();
  const { images, sources, info } = await decodeForModel(bytes, format, spec);
  // As the server: checked on the decoded image, before the model runs.
  const scope = checkInputScope(parseInputScope(model.bundle.input_scope), { format: FORMAT_NAMES[format], info, width: images[0]!.width, height: images[0]!.height });
  if (parseOutOfScopePolicy(model.bundle.out_of_scope) === 'refuse' && scope.outOfScope.length > 0) throw new OutOfScopeError(scope, info);
  const tensor = imagesToTensor(images, spec);
  const decodeMs = performance.now() - started;
  const { data: output, dims } = await runFloatTensor(model.runtime, model.session, spec.input, tensor.data, tensor.shape, model.output);
  const inferenceMs = performance.now() - started - decodeMs;
  const post = (model.bundle.postprocessing ?? { kind: 'none' }) as { kind: string; threshold?: unknown };
  const rows = spec.frames === 'volume' ? [sources[0] ?? { index: 0 }] : sources;
  const labels = model.bundle.labels ?? [];
  // As the server: a segmentation mask comes back at each decoded image's size.
  const predictions = post.kind === 'segmentation'
    ? segmentImages(output, dims, rows.map((s, i) => ({ ...s, width: images[Math.min(i, images.length - 1)]!.width, height: images[Math.min(i, images.length - 1)]!.height })), labels, language, typeof post.threshold === 'number' ? post.threshold : 0.5)
    : classifyImages(post.kind, output, rows, labels, language);
  const response: ImagePredictResponse = { model_name: model.name, model_version: model.version, model_digest: model.digest, language, predictions, ...scopeNotes([scope]) };
  return { response, tensor, decodeMs, inferenceMs, scope, info };
}
