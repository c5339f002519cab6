import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import { readDicomInfo } from '../../adapters/imaging/dicom/index.js';
import type { ImagePrediction, ImageSegmentation } from '../../adapters/imaging/image-prediction.js';
import { ImagingInputError } from '../../adapters/imaging/raster.js';
import type { Config } from '../config/config-schema.js';
import { isClinferError, type ErrorCode } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { countRequest, type RequestContext } from '../metrics/count-request.js';
import { predictImages, type ImagingModel, type ImagingService } from '../predict/image-predictor.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { requireReady, type ReadyVersion } from '../repository/model-version.js';
import { routesFor } from './routing.js';

/** What became of one received instance. */
export interface InstanceOutcome {
  readonly sopClassUID: string | undefined;
  readonly sopInstanceUID: string | undefined;
  readonly studyInstanceUID: string | undefined;
  /** processed: every routed model ran and its result is queued; unrouted: no rule matched; failed: see code. */
  readonly status: 'processed' | 'unrouted' | 'failed';
  readonly code?: ErrorCode | ImagingInputError['code'] | undefined;
  readonly message?: string | undefined;
  /** Names of the models that ran on it. */
  readonly models: string[];
}

/** The findings of one model on the instances of one study: what a result object (SR) reports. */
export interface StudyResult {
  readonly version: ReadyVersion;
  readonly sources: DicomInstanceInfo[];
  readonly findings: { readonly sourceIndex: number; readonly prediction: ImagePrediction | ImageSegmentation }[];
}

export interface InstanceProcessorDeps {
  readonly config: Config;
  readonly repository: ModelRepository;
  readonly imaging: ImagingService;
  readonly counting: RequestContext;
  readonly log: Logger;
  /** Turns each study's results into DICOM objects and queues them for delivery (durably) before resolving. */
  readonly deliver: (result: StudyResult) => Promise<void>;
}

/**
 * The DICOM node's work on received instances (STOW-RS or C-STORE): read each header, pick the models its
 * routing rules name, run them (the scheduler batches instances that arrive together), then, per model and
 * study, hand one result to `deliver`. An instance is answered 'processed' only once its results are queued.
 */
export async function processInstances(deps: InstanceProcessorDeps, instances: readonly Uint8Array[], caller: string, options: { priority?: number; signal?: AbortSignal } = {}): Promise<InstanceOutcome[]> {
  const outcomes: InstanceOutcome[] = [];
  const groups = new Map<string, StudyResult>();
  const pending: Promise<void>[] = [];
  instances.forEach((bytes, index) => {
    let info: DicomInstanceInfo;
    try {
      info = readDicomInfo(bytes);
    } catch (error) {
      outcomes[index] = failure(undefined, error);
      return;
    }
    const missing = (['studyInstanceUID', 'seriesInstanceUID', 'sopInstanceUID', 'sopClassUID'] as const).filter((k) => !info[k]);
    if (missing.length > 0) {
      outcomes[index] = failure(info, new ImagingInputError('INVALID_DICOM', `the instance has no ${missing.join(', ')}: a result could not be filed with it`));
      return;
    }
    const rules = routesFor(info, deps.config.dicomRoutes);
    if (rules.length === 0) {
      outcomes[index] = { sopClassUID: info.sopClassUID, sopInstanceUID: info.sopInstanceUID, studyInstanceUID: info.studyInstanceUID, status: 'unrouted', models: [] };
      return;
    }
    pending.push((async () => {
      const models: string[] = [];
      try {
        for (const rule of rules) {
          const version = requireReady(deps.repository.resolve(rule.model, rule.version));
          const [outcome] = await countRequest(deps.counting, caller, bytes, async (note) => {
            note({ model: version.name, version: version.version, bundleDigest: version.config.digest, uids: [info.studyInstanceUID!, info.sopInstanceUID!], requestedModel: rule.model });
            if (!version.config.image) throw new ImagingInputError('INVALID_IMAGE', `routing rule sends this instance to '${version.name}', which is not an imaging model`);
            return predictImages(deps.imaging, version.config as ImagingModel, version.scheduler, [{ bytes, format: 'dicom', label: `instance ${index + 1}` }], {
              priority: options.priority ?? 2, timeoutMs: undefined, language: 'en', signal: options.signal, drift: version.drift,
            });
          });
          const key = `${version.name}\u0000${version.version}\u0000${info.studyInstanceUID}`;
          let group = groups.get(key);
          if (!group) groups.set(key, (group = { version, sources: [], findings: [] }));
          const sourceIndex = group.sources.push(outcome!.info ?? info) - 1;
          for (const prediction of outcome!.predictions) group.findings.push({ sourceIndex, prediction });
          models.push(version.name);
        }
        outcomes[index] = { sopClassUID: info.sopClassUID, sopInstanceUID: info.sopInstanceUID, studyInstanceUID: info.studyInstanceUID, status: 'processed', models };
      } catch (error) {
        outcomes[index] = { ...failure(info, error), models };
      }
    })());
  });
  await Promise.all(pending);

  // One result per model and study; if it cannot be queued, the instances it covers are not 'processed'.
  for (const group of groups.values()) {
    try {
      await deps.deliver(group);
    } catch (error) {
      deps.log.error('a DICOM result could not be queued for delivery', { model: group.version.name, reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown' });
      const covered = new Set(group.sources.map((s) => s.sopInstanceUID));
      outcomes.forEach((o, i) => {
        if (o.status === 'processed' && o.sopInstanceUID && covered.has(o.sopInstanceUID)) outcomes[i] = { ...o, status: 'failed', code: 'INTERNAL', message: 'the result could not be stored for delivery' };
      });
    }
  }
  return outcomes;
}

function failure(info: DicomInstanceInfo | undefined, error: unknown): InstanceOutcome {
  const known = error instanceof ImagingInputError || isClinferError(error);
  if (!known) throw error;
  return {
    sopClassUID: info?.sopClassUID, sopInstanceUID: info?.sopInstanceUID, studyInstanceUID: info?.studyInstanceUID,
    status: 'failed', code: (error as { code: InstanceOutcome['code'] }).code, message: (error as Error).message, models: [],
  };
}
