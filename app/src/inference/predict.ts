import type { ImagePredictResponse } from '../../../adapters/imaging/image-prediction.js';
import type { ImageSpec } from '../../../adapters/imaging/image-spec.js';
import { imagesToTensor, type ImageTensor } from '../../../adapters/imaging/to-tensor.js';
import type { Language } from '../../../adapters/tabular/language.js';
import type { TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import { loadModel, type LoadedModel } from '../bundle/loaded-model.js';
import { decodeForModel } from '../decode/decode-image.js';
import { sniffImage, type ImageFormat } from '../decode/sniff.js';
import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import type { ScopeCheck } from '../../../adapters/imaging/input-scope.js';
import { AppError, toAppError } from '../errors.js';
import { predictImage } from './image-predict.js';
import { predictRecords, type TabularPredictResponse } from './tabular-predict.js';

/** What a prediction takes: an image or DICOM file (File, Blob, bytes) or feature values (a record object or {records}). */
export type PredictInput = Blob | ArrayBuffer | ArrayBufferView | Record<string, unknown>;
export type PredictResponse = ImagePredictResponse | TabularPredictResponse;

export interface PredictOutcome {
  /** Exactly the JSON the server's POST /v1/models/{m}/predict answers for the same input. */
  readonly response: PredictResponse;
  readonly model: LoadedModel;
  /** For images: the model's input tensor (to show the image as the model sees it). */
  readonly tensor?: { readonly tensor: ImageTensor; readonly spec: ImageSpec };
  /** For images: the input-scope check and the DICOM header (read here, never sent). */
  readonly scope?: ScopeCheck;
  readonly info?: DicomInstanceInfo;
  /** What was given: a file's name and size, or the record's values (for the printed report). */
  readonly input: PredictInput;
  readonly timings: { readonly decodeMs: number; readonly inferenceMs: number; readonly totalMs: number };
}

let lastTimings: PredictOutcome['timings'] | undefined;

/** Timings of the page's last prediction, whoever asked for it (the page's own form or window.clinfer). */
export const latestTimings = (): PredictOutcome['timings'] | undefined => lastTimings;

/** One prediction, entirely in the page: nothing of the input is sent anywhere. */
export async function runPrediction(modelName: string, input: PredictInput, language: Language): Promise<PredictOutcome> {
  const outcome = await predictOnce(modelName, input, language);
  lastTimings = outcome.timings;
  return outcome;
}

async function predictOnce(modelName: string, input: PredictInput, language: Language): Promise<PredictOutcome> {
  const started = performance.now();
  try {
    const model = await loadModel(modelName);
    if (model.kind.type === 'tabular') {
      if (!isRecord(input)) throw new AppError('UNSUPPORTED_INPUT', `model '${model.name}' takes feature values: give an object of feature values (or {"records": [...]}), not a file`);
      const run = await predictRecords(model as LoadedModel & { kind: { type: 'tabular'; spec: TabularSpec } }, input, language);
      return { response: run.response, model, input, timings: { decodeMs: 0, inferenceMs: run.inferenceMs, totalMs: performance.now() - started } };
    }
    if (isRecord(input)) throw new AppError('UNSUPPORTED_INPUT', `model '${model.name}' takes an image: give a PNG, JPEG or DICOM file`);
    const { bytes, format } = await readImageInput(input);
    const run = await predictImage(model as LoadedModel & { kind: { type: 'image'; spec: ImageSpec } }, bytes, format, language);
    return {
      response: run.response, model, input, tensor: { tensor: run.tensor, spec: model.kind.spec }, scope: run.scope, ...(run.info ? { info: run.info } : {}),
      timings: { decodeMs: run.decodeMs, inferenceMs: run.inferenceMs, totalMs: performance.now() - started },
    };
  } catch (error) {
    throw toAppError(error);
  }
}

/** The model's input tensor for an image, as the page computes it (to check it against the server's). */
export async function preprocessImage(modelName: string, input: Blob | ArrayBuffer | ArrayBufferView): Promise<ImageTensor> {
  try {
    const model = await loadModel(modelName);
    if (model.kind.type !== 'image') throw new AppError('UNSUPPORTED_INPUT', `model '${model.name}' takes feature values, not an image`);
    const { bytes, format } = await readImageInput(input);
    const { images } = await decodeForModel(bytes, format, model.kind.spec);
    return imagesToTensor(images, model.kind.spec);
  } catch (error) {
    throw toAppError(error);
  }
}

/**
 * A value's built-in class by its tag, not `instanceof`: a same-origin host page's File, Blob or
 * ArrayBuffer comes from another realm (window), whose constructors are not this page's.
 */
const tagOf = (value: unknown) => Object.prototype.toString.call(value).slice(8, -1);
export const isBlob = (value: unknown): value is Blob => (tagOf(value) === 'Blob' || tagOf(value) === 'File') && typeof (value as Blob).arrayBuffer === 'function';
const isArrayBuffer = (value: unknown): value is ArrayBuffer => tagOf(value) === 'ArrayBuffer' || tagOf(value) === 'SharedArrayBuffer';

function isRecord(input: PredictInput): input is Record<string, unknown> {
  return !isBlob(input) && !isArrayBuffer(input) && !ArrayBuffer.isView(input) && typeof input === 'object' && input !== null;
}

async function readImageInput(input: Blob | ArrayBuffer | ArrayBufferView): Promise<{ bytes: Uint8Array; format: ImageFormat }> {
  if (!isBlob(input) && !isArrayBuffer(input) && !ArrayBuffer.isView(input)) {
    throw new AppError('UNSUPPORTED_INPUT', 'an image is given as a File, Blob, ArrayBuffer or typed array');
  }
  const bytes = isBlob(input) ? new Uint8Array(await input.arrayBuffer())
    : isArrayBuffer(input) ? new Uint8Array(input)
    : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length === 0) throw new AppError('INVALID_IMAGE', 'the file is empty');
  const format = sniffImage(bytes) ?? (looksLikeDicom(input) ? 'dicom' : undefined);
  if (!format) throw new AppError('INVALID_IMAGE', 'the file is not a PNG, JPEG or DICOM image (its first bytes match none of them)');
  return { bytes, format };
}

/** A DICOM file without the 128-byte preamble and "DICM" is still DICOM when it says so by name or type. */
function looksLikeDicom(input: Blob | ArrayBuffer | ArrayBufferView): boolean {
  if (!isBlob(input)) return false;
  const name = (input as Partial<File>).name;
  return input.type === 'application/dicom' || (typeof name === 'string' && /\.dcm$/i.test(name));
}
