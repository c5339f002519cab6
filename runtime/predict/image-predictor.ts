import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import type { DicomHeader } from '../../adapters/imaging/dicom/index.js';
import type { ImageSpec } from '../../adapters/imaging/image-spec.js';
import { classifyImages, segmentImages, type ImagePrediction, type ImageSegmentation, type ImageSource } from '../../adapters/imaging/image-prediction.js';
import { checkInputScope, describeOutOfScope, type ScopeCheck } from '../../adapters/imaging/input-scope.js';
import { ClinferError } from '../errors/index.js';
import type { ImagingPool } from '../imaging/imaging-pool.js';
import type { ImagingLimits } from '../imaging/prepare-image.js';
import type { ImageFormat } from '../imaging/sniff-format.js';
import type { ModelConfig } from '../model/model-config.js';
import { outputSummary, type DriftMonitor } from '../monitoring/drift-monitor.js';
import type { ScheduledRequest, Scheduler } from '../scheduler/scheduler.js';

export interface ImageInput {
  readonly bytes: Uint8Array;
  readonly format: ImageFormat;
  /** How the caller names this image in errors, e.g. "part 2" of a multipart body. */
  readonly label: string;
  /** A DICOM header already read from these bytes (routed PACS traffic): the imaging thread does not parse it again. */
  readonly header?: DicomHeader | undefined;
}

export interface ImagingService {
  readonly pool: ImagingPool;
  readonly limits: ImagingLimits;
}

export type ImagingModel = ModelConfig & { image: ImageSpec };

export interface ImagePredictOptions extends Pick<ScheduledRequest, 'priority' | 'timeoutMs'> {
  readonly language: string;
  readonly signal?: AbortSignal | undefined;
  readonly drift?: DriftMonitor | undefined;
  /**
   * Overrides the bundle's `out_of_scope` policy: routed PACS traffic passes 'refuse', so an image outside
   * the model's input_scope never becomes a result object, whatever the bundle says for interactive use.
   */
  readonly outOfScope?: 'refuse' | undefined;
}

/** One image's predictions, with what was read from its DICOM header (for results sent back to a PACS). */
export interface ImageOutcome {
  readonly predictions: (ImagePrediction | ImageSegmentation)[];
  readonly info: DicomInstanceInfo | undefined;
  /** The image against the bundle's input_scope (empty lists when it declares none). */
  readonly scope: ScopeCheck;
}

const FORMAT_NAMES = { dicom: 'DICOM', png: 'PNG', jpeg: 'JPEG', tiff: 'TIFF', webp: 'WebP' } as const;

/**
 * Images through the bundle's preprocessing (imaging threads), the model (the version's scheduler, so the
 * same queue, priorities, batching and metrics as OIP requests), and its postprocessing. Images of one
 * request go in as few batches as the model allows.
 */
export async function predictImages(service: ImagingService, model: ImagingModel, scheduler: Scheduler, images: readonly ImageInput[], options: ImagePredictOptions): Promise<ImageOutcome[]> {
  const post = (model.bundle?.postprocessing ?? { kind: 'none' }) as Record<string, unknown> & { kind: string };
  if (!['softmax', 'sigmoid', 'probability', 'segmentation'].includes(post.kind)) {
    throw new ClinferError('NOT_AN_IMAGING_MODEL', `model '${model.name}' declares postprocessing '${post.kind}'; image predict reads classifiers (softmax, sigmoid, probability) and segmentation: call /v2/models/${model.name}/infer with tensors instead`);
  }
  const segmentation = post.kind === 'segmentation';
  const outputName = typeof post.output === 'string' ? post.output : model.outputs[0]!.name;
  const prepared = await Promise.all(images.map(async (image, index) => {
    const result = await service.pool.prepare({ bytes: image.bytes, format: image.format, spec: model.image, limits: service.limits, header: image.header }, options.signal);
    if (!result.ok) throw new ClinferError(result.code, images.length > 1 ? `${image.label}: ${result.message}` : result.message);
    return { ...result, index };
  }));
  // Checked on the decoded images, before the model runs: a refused image costs no inference.
  const scopes = prepared.map((p) => checkInputScope(model.bundle?.input_scope, { format: FORMAT_NAMES[images[p.index]!.format], info: p.info, width: p.width, height: p.height }));
  const policy = options.outOfScope ?? model.bundle?.out_of_scope ?? 'refuse';
  if (policy === 'refuse') {
    const refused = scopes.map((scope, i) => ({ scope, image: images[i]! })).filter((x) => x.scope.outOfScope.length > 0);
    if (refused.length > 0) {
      throw new ClinferError('OUT_OF_SCOPE', refused.map((x) => `${images.length > 1 ? `${x.image.label}: ` : ''}${describeOutOfScope(x.scope.outOfScope)}`).join('; '));
    }
  }

  const rowShape = prepared[0]!.shape.slice(1);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const rows: { data: Float32Array; source: ImageSource; image: number; width: number; height: number }[] = [];
  for (const p of prepared) {
    p.frames.forEach((frame, r) => rows.push({
      data: p.data.subarray(r * rowSize, (r + 1) * rowSize),
      image: p.index,
      width: p.width,
      height: p.height,
      source: {
        index: p.index,
        ...(frame !== undefined ? { frame } : {}),
        ...(p.info ? { sop_instance_uid: p.info.sopInstanceUID, series_instance_uid: p.info.seriesInstanceUID, study_instance_uid: p.info.studyInstanceUID } : {}),
      },
    }));
  }
  for (const row of rows) options.drift?.observeIntensity(row.data);

  // Volumes and fixed-shape models run one row at a time; batching models up to their max batch size.
  const perBatch = Math.max(1, model.maxBatchSize);
  const batches: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += perBatch) batches.push(rows.slice(i, i + perBatch));
  const outputs = await Promise.all(batches.map(async (batch) => {
    const data = new Float32Array(batch.length * rowSize);
    batch.forEach((row, i) => data.set(row.data, i * rowSize));
    const result = await scheduler.enqueue({
      inputs: [{ name: model.image.input, datatype: 'FP32', shape: [batch.length, ...rowShape], data }],
      fetches: [outputName],
      priority: options.priority,
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const out = result.outputs[0]!;
    if (!(out.data instanceof Float32Array || out.data instanceof Float64Array)) {
      throw new ClinferError('INFERENCE_FAILED', `output '${out.name}' is ${out.datatype}; an image classification needs FP32 or FP64`);
    }
    const labels = model.bundle?.labels ?? [];
    if (segmentation) {
      const threshold = typeof post.threshold === 'number' ? post.threshold : 0.5;
      if (out.shape.length !== 4) throw new ClinferError('INFERENCE_FAILED', `segmentation output '${out.name}' has shape [${out.shape.join(', ')}]; [N, C, H, W] expected`);
      return segmentImages(out.data, out.shape, batch.map((r) => ({ ...r.source, width: r.width, height: r.height })), labels, options.language, threshold);
    }
    options.drift?.observeOutputs(outputSummary(post.kind, out.data, batch.length));
    return classifyImages(post.kind, out.data, batch.map((r) => r.source), labels, options.language);
  }));
  const predictions = outputs.flat();
  return prepared.map((p, i) => ({ predictions: predictions.filter((_, r) => rows[r]!.image === p.index), info: p.info, scope: scopes[i]! }));
}
