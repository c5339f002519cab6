import { pickLanguage, type Language } from '../../../adapters/tabular/language.js';
import { ortRuntime, type RuntimeInfo } from '../inference/ort-runtime.js';
import { latestTimings, preprocessImage, runPrediction, type PredictInput, type PredictOutcome, type PredictResponse } from '../inference/predict.js';
import { readyModels } from '../offline/ready-models.js';

/** `window.clinfer`: the page's API for a host page of the same origin, and for tests. */
export interface ClinferPageApi {
  readonly version: 1;
  /** Same JSON as the server's POST /v1/models/{m}/predict; rejects with an Error carrying `code`. */
  predict(model: string, input: PredictInput, options?: { language?: string }): Promise<PredictResponse>;
  /** The image model's input tensor for a file, as the page feeds it to the model (values as a plain array). */
  preprocess(model: string, input: Blob | ArrayBuffer | ArrayBufferView): Promise<{ shape: number[]; data: number[] }>;
  /** Names of the models with a READY version (offline: those this device holds). */
  models(): Promise<string[]>;
  /** Execution provider and threads (sets ONNX Runtime up if not yet done). */
  runtime(): Promise<RuntimeInfo>;
  /** Timings of the last prediction (ms): decode + preprocess, inference, total (with loading). */
  readonly lastTimings: PredictOutcome['timings'] | undefined;
}

export function createPageApi(currentLanguage: () => Language, onOutcome?: (outcome: PredictOutcome) => void): ClinferPageApi {
  return {
    version: 1,
    async predict(model, input, options = {}) {
      if (typeof model !== 'string' || model.length === 0) throw Object.assign(new Error('predict(model, input): model must be a model name'), { code: 'INVALID_INPUT' });
      const language = options.language ? pickLanguage(options.language) : currentLanguage();
      const outcome = await runPrediction(model, input, language);
      onOutcome?.(outcome);
      return outcome.response;
    },
    async preprocess(model, input) {
      const tensor = await preprocessImage(model, input);
      return { shape: tensor.shape, data: Array.from(tensor.data) };
    },
    async models() {
      return (await readyModels()).names;
    },
    async runtime() {
      return (await ortRuntime()).info;
    },
    get lastTimings() {
      return latestTimings();
    },
  };
}
