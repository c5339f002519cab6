import { z } from 'zod';
import { DATATYPES } from '../tensor/datatypes.js';
import { predictionHorizonSchema } from '../../adapters/tabular/horizon.js';
import { inputScopeSchema } from '../../adapters/imaging/input-scope.js';
import { sequenceSchema } from './sequence-schema.js';
import { pipelineSchema } from './pipeline-schema.js';

/**
 * bundle.json, version 1. docs/bundle-format.md describes every field; this schema is the contract.
 * Unknown top-level keys are refused (a typo must not pass silently); the free-form parts
 * (preprocessing and postprocessing details, metrics) are left to the adapters that read them.
 */
const datatype = z.enum(Object.keys(DATATYPES) as [keyof typeof DATATYPES, ...(keyof typeof DATATYPES)[]]);
const dim = z.number().int().min(-1);
const tensor = z.strictObject({
  name: z.string().min(1),
  datatype,
  shape: z.array(dim),
});
const translations = z.record(z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag such as en, fr, de'), z.string());
/** A standard code for a label (e.g. SNOMED CT), written into DICOM results; without it clinfer's private scheme is used. */
const coded = z.strictObject({ value: z.string().min(1).max(64), scheme: z.string().min(1).max(16), meaning: z.string().min(1).max(64) });
const label = z.strictObject({ id: z.string().min(1), text: translations.optional(), code: coded.optional() });
/** One input of a warm-up sample: a file of the version folder (.npy, or raw little-endian) or inline values. */
const warmupInput = z
  .strictObject({
    shape: z.array(z.number().int().min(0)).max(16),
    file: z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_.\/-]+$/, 'a relative path inside the version folder (letters, digits, _ . - /, no ..)').optional(),
    data: z.array(z.union([z.number(), z.boolean(), z.string()])).max(65_536).optional(),
  })
  .refine((i) => (i.file === undefined) !== (i.data === undefined), 'give exactly one of file and data');
const warmupSample = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  /** Every graph input, by name. */
  inputs: z.record(z.string().min(1), warmupInput),
});
const provider = z.enum(['cpu', 'cuda', 'tensorrt', 'openvino', 'dml', 'coreml', 'webgpu', 'wasm']);

export const bundleSchema = z.strictObject({
  schema_version: z.literal(1),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - (starting with a letter or digit)'),
  version: z.string().regex(/^[1-9][0-9]*$/, 'a positive integer, as the version folder name'),
  description: z.string().default(''),
  task: z.enum(['classification', 'regression', 'segmentation', 'other']),
  model: z.strictObject({
    file: z.string().regex(/^[^/\\]+\.(onnx|ort)$/, 'a file name in the version folder ending in .onnx or .ort'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hexadecimal characters'),
  }),
  inputs: z.array(tensor).min(1).optional(),
  outputs: z.array(tensor).min(1).optional(),
  max_batch_size: z.number().int().min(0).max(65536).optional(),
  labels: z.array(label).default([]),
  /** Risk models: the time within which the outcome is predicted (RiskAssessment.prediction.whenPeriod, CDS cards). */
  prediction_horizon: predictionHorizonSchema.optional(),
  preprocessing: z.looseObject({ kind: z.string() }).default({ kind: 'none' }),
  postprocessing: z.looseObject({ kind: z.string() }).default({ kind: 'none' }),
  intended_use: z.string().default(''),
  /**
   * The images the model was made for (modalities, body parts, views, size, patient ages); checked by
   * adapters/imaging/input-scope.ts on the server and in the browser. Tabular bundles declare their least
   * observed data under preprocessing (least_observed) instead.
   */
  input_scope: inputScopeSchema.optional(),
  /** What an image outside input_scope gets: 422 OUT_OF_SCOPE ("refuse", the default) or an answer with a warning. */
  out_of_scope: z.enum(['refuse', 'warn']).default('refuse'),
  /** Shown on every result (DICOM SR, the web app's model card), e.g. 'CE class IIa (MDR)' or 'Research use only'. */
  regulatory_status: z.string().min(1).max(200).optional(),
  /**
   * The texts above in other languages, per language tag (the fields above are the English): the web app
   * and results show them in the reader's language. `units`: how a feature's UCUM unit code is written
   * ({"a": "ans", "mm[Hg]": "mmHg"}). Feature names and category labels are in preprocessing (label, value_labels).
   */
  i18n: z.record(z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag such as fr, de'), z.strictObject({
    description: z.string().optional(),
    intended_use: z.string().optional(),
    regulatory_status: z.string().min(1).max(200).optional(),
    units: z.record(z.string(), z.string().min(1).max(40)).optional(),
  })).optional(),
  provenance: z
    .looseObject({
      training_data: z.unknown().optional(),
      evaluation: z.unknown().optional(),
      licence: z.string().optional(),
    })
    .default({}),
  /** Monitoring references (drift), read by runtime/monitoring. */
  monitoring: z.looseObject({ drift_reference: z.unknown().optional() }).optional(),
  /** CDS Hooks service declaration (tabular bundles); read by the CDS Hooks adapter. */
  cds_hooks: z.looseObject({ id: z.string().regex(/^[A-Za-z0-9_.-]+$/), hook: z.string().min(1) }).optional(),
  /** A stateful model: its state inputs/outputs and control inputs, kept per sequence (runtime/scheduler/sequence-batcher.ts). */
  sequence: sequenceSchema.optional(),
  /** Models chained after `model` in one worker task (runtime/pool/pipeline-runner.ts); docs/bundle-format.md#pipeline. */
  pipeline: pipelineSchema.optional(),
  scheduling: z
    .strictObject({
      /** Longest wait for more requests to batch with (Triton's max_queue_delay_microseconds); 0 = none. */
      max_queue_delay_us: z.number().int().min(0).max(10_000_000).optional(),
      /** Batch sizes worth dispatching at once, without waiting out the delay. */
      preferred_batch_sizes: z.array(z.number().int().min(1)).optional(),
      /** Queued (not yet executing) requests beyond which new ones get 429. */
      max_queue_size: z.number().int().min(1).max(1_000_000).optional(),
      /** Timeout for requests that set none; 0 = none. */
      default_timeout_us: z.number().int().min(0).optional(),
    })
    .default({}),
  /**
   * Warm-up after each session is created: `false` skips it; `samples` are real inputs that must run
   * (a failure makes the version UNAVAILABLE). Absent: zeros with guessed sizes, a failure only warns.
   */
  warmup: z.union([z.literal(false), z.strictObject({ samples: z.array(warmupSample).min(1).max(16) })]).optional(),
  execution: z
    .strictObject({
      providers: z.array(provider).min(1).default(['cpu']),
      intra_op_threads: z.number().int().min(0).max(256).optional(),
      instances: z.number().int().min(1).max(64).optional(),
      /** The watchdog's limit for one execution (batch); default: the server's executionTimeoutMs. */
      timeout_ms: z.number().int().min(100).max(3_600_000).optional(),
    })
    .default({ providers: ['cpu'] }),
  /**
   * The clinician's web app (in-browser inference): which ONNX Runtime Web build to ask for. `webgpu`
   * fetches the WebGPU build (27 MB, 4.6 MB brotli) when the browser offers an adapter, else the page
   * stays on WASM; absent or `wasm`: the WASM build only. `?ep=` on the page's URL overrides it.
   */
  web: z.strictObject({ execution_provider: z.enum(['wasm', 'webgpu']) }).optional(),
});

export type Bundle = z.infer<typeof bundleSchema>;
export type ExecutionProvider = z.infer<typeof provider>;
