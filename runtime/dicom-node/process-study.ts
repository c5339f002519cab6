import { readFile } from 'node:fs/promises';
import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import { newUid } from '../../adapters/imaging/dicom-results/index.js';
import type { ImagePrediction, ImageSegmentation } from '../../adapters/imaging/image-prediction.js';
import { ImagingInputError } from '../../adapters/imaging/raster.js';
import type { Config } from '../config/config-schema.js';
import type { Logger } from '../log/logger.js';
import { countRequest, type RequestContext } from '../inference/count-request.js';
import { predictImages, type ImagingModel, type ImagingService } from '../predict/image-predictor.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { requireReady, type ReadyVersion } from '../repository/model-version.js';
import { classifyFailure, studyHash, type ProcessingFailure } from './failure.js';
import type { Inbox } from './inbox.js';
import { routesFor } from './routing.js';
import type { CollectedInstance, StudyPass } from './study-collector.js';
import { resultKey, type StudyRecords } from './study-records.js';

/** Where a result object goes: its series, its numbers, and the earlier object of the same series it supersedes. */
export interface ResultPlacement {
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly seriesNumber: number;
  readonly instanceNumber: number;
  readonly predecessor?: { readonly sopClassUID: string; readonly sopInstanceUID: string; readonly seriesInstanceUID: string } | undefined;
}

/** The findings of one model on the instances of one study (or series): what one result object (SR, SEG) reports. */
export interface StudyResult {
  readonly version: ReadyVersion;
  readonly sources: DicomInstanceInfo[];
  readonly findings: { readonly sourceIndex: number; readonly prediction: ImagePrediction | ImageSegmentation }[];
  readonly placement: ResultPlacement;
}

export interface StudyProcessorDeps {
  readonly config: Config;
  readonly repository: ModelRepository;
  readonly imaging: ImagingService;
  readonly counting: RequestContext;
  readonly log: Logger;
  readonly inbox: Inbox;
  readonly records: StudyRecords;
  /** Builds the result object and queues it durably for delivery; resolves with its SOP class (undefined: no object, e.g. an empty SEG). */
  readonly deliver: (result: StudyResult) => Promise<{ sopClassUID: string } | undefined>;
  readonly onRetry: (code: string) => void;
  readonly onDeadLetter: (code: string) => void;
}

/** Instances of a study in flight at once (read, decoded, queued for their models). */
const MAX_CONCURRENT = 16;

interface Verdict {
  gone?: boolean;
  transient?: ProcessingFailure & { model?: string };
  permanent?: ProcessingFailure & { model?: string };
  readonly failedModels: Set<string>;
}

interface Group {
  readonly version: ReadyVersion;
  readonly key: string;
  readonly ids: string[];
  readonly sopInstanceUIDs: Set<string>;
  readonly sources: DicomInstanceInfo[];
  readonly findings: { sourceIndex: number; prediction: ImagePrediction | ImageSegmentation }[];
  /** A transient failure of one of its instances: the group sends nothing this time, all of it waits. */
  waitingOn: ProcessingFailure | undefined;
}

/**
 * Processes one settled study: runs every routed model on its waiting instances (the scheduler batches
 * them), then sends one result object per model and group (the study, or a series with groupBy 'series').
 * A model that already reported on part of the group reports again on all of it, in the same series with
 * the next instance number, superseding its earlier object. A group with an instance that failed for a
 * transient reason sends nothing yet: the study runs again later, so it still yields one object. An
 * instance leaves the inbox once every model is done with it: removed, or moved to dead-letter/ with the
 * reason when a model refused it for good (or transient failures lasted past maxAgeMs).
 */
export class StudyProcessor {
  readonly #deps: StudyProcessorDeps;
  /** When each instance first failed transiently (this run): it is given up maxAgeMs later. */
  readonly #firstFailure = new Map<string, number>();

  constructor(deps: StudyProcessorDeps) {
    this.#deps = deps;
  }

  async process(study: string, instances: readonly CollectedInstance[], attempt: number): Promise<StudyPass> {
    const deps = this.#deps;
    const record = await deps.records.get(study);
    const verdicts = new Map<string, Verdict>();
    const groups = new Map<string, Group>();
    const fail = (verdict: Verdict, failure: ProcessingFailure, model: string | undefined) => {
      if (model) verdict.failedModels.add(model);
      if (failure.transient) verdict.transient ??= { ...failure, model };
      else verdict.permanent ??= { ...failure, model };
    };

    // Instances run at most MAX_CONCURRENT at a time (the scheduler batches them): a study of thousands of
    // slices is never all in memory at once.
    const runInstance = async (instance: CollectedInstance, index: number) => {
      const verdict: Verdict = { failedModels: new Set() };
      verdicts.set(instance.id, verdict);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(instance.path));
      } catch {
        verdict.gone = true; // removed meanwhile (clinfer inbox purge, a retry racing a rescan)
        return;
      }
      for (const rule of routesFor(instance.info, deps.config.dicomRoutes)) {
        let version: ReadyVersion;
        try {
          version = requireReady(deps.repository.resolve(rule.model, rule.version));
        } catch (error) {
          fail(verdict, classifyFailure(error), rule.model);
          continue;
        }
        const key = resultKey(version.name, version.version, rule.groupBy === 'series' ? instance.info.seriesInstanceUID : '');
        // Reported on already (sent twice, or back from dead-letter for another model's sake).
        if (record.results[key]?.sources.some((s) => s.sopInstanceUID === instance.info.sopInstanceUID)) continue;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { version, key, ids: [], sopInstanceUIDs: new Set(), sources: [], findings: [], waitingOn: undefined }));
        // The same instance twice in this batch (a sender's retry): it runs once, the copy just leaves.
        if (group.sopInstanceUIDs.has(instance.info.sopInstanceUID)) continue;
        group.sopInstanceUIDs.add(instance.info.sopInstanceUID);
        group.ids.push(instance.id);
        try {
          const [outcome] = await countRequest(deps.counting, instance.caller, bytes, async (note) => {
            note({ model: version.name, version: version.version, bundleDigest: version.config.digest, uids: [instance.info.studyInstanceUID, instance.info.sopInstanceUID], requestedModel: rule.model });
            if (!version.config.image) throw new ImagingInputError('INVALID_IMAGE', `routing rule sends this instance to '${version.name}', which is not an imaging model`);
            return predictImages(deps.imaging, version.config as ImagingModel, version.scheduler, [{ bytes, format: 'dicom', label: `instance ${index + 1}`, header: instance.header }], {
              priority: 2, timeoutMs: undefined, language: 'en', drift: version.drift,
              // An image outside the model's input_scope never becomes a result object: OUT_OF_SCOPE, dead letter.
              outOfScope: 'refuse',
            });
          });
          const sourceIndex = group.sources.push(outcome!.info ?? instance.info) - 1;
          for (const prediction of outcome!.predictions) group.findings.push({ sourceIndex, prediction });
        } catch (error) {
          const failure = classifyFailure(error);
          if (failure.transient) group.waitingOn ??= failure;
          fail(verdict, failure, version.name);
        }
      }
    };
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT, instances.length) }, async () => {
      while (next < instances.length) {
        const index = next++;
        await runInstance(instances[index]!, index);
      }
    }));

    // One object per model and group, with everything it has reported on so far in this study.
    let sent = 0;
    let superseding = 0;
    for (const group of groups.values()) {
      if (group.waitingOn) {
        for (const id of group.ids) fail(verdicts.get(id)!, group.waitingOn, group.version.name);
        continue;
      }
      if (group.sources.length === 0) continue;
      const previous = record.results[group.key];
      const offset = previous?.sources.length ?? 0;
      const sources = [...(previous?.sources ?? []), ...group.sources];
      const findings = [...(previous?.findings ?? []), ...group.findings.map((f) => ({ sourceIndex: f.sourceIndex + offset, prediction: f.prediction }))];
      const last = previous?.last;
      const placement: ResultPlacement = last
        ? { seriesInstanceUid: last.seriesInstanceUID, seriesNumber: last.seriesNumber, instanceNumber: last.instanceNumber + 1, sopInstanceUid: newUid(), predecessor: last }
        : { seriesInstanceUid: newUid(), seriesNumber: record.nextSeriesNumber, instanceNumber: 1, sopInstanceUid: newUid() };
      try {
        const object = await deps.deliver({ version: group.version, sources, findings, placement });
        if (object && !last) record.nextSeriesNumber++;
        record.results[group.key] = {
          model: group.version.name, version: group.version.version, sources, findings,
          ...(object ? { last: { sopClassUID: object.sopClassUID, sopInstanceUID: placement.sopInstanceUid, seriesInstanceUID: placement.seriesInstanceUid, seriesNumber: placement.seriesNumber, instanceNumber: placement.instanceNumber } } : last ? { last } : {}),
        };
        if (object) {
          sent++;
          if (last) superseding++;
        }
      } catch (error) {
        const failure = classifyFailure(error);
        for (const id of group.ids) fail(verdicts.get(id)!, failure, group.version.name);
      }
    }
    if (groups.size > 0) await deps.records.put(record);

    return this.#settle(study, instances, verdicts, attempt, { sent, superseding });
  }

  /** Removes what is done, sets aside what failed for good, keeps what waits on a transient cause. */
  async #settle(study: string, instances: readonly CollectedInstance[], verdicts: Map<string, Verdict>, attempt: number, results: { sent: number; superseding: number }): Promise<StudyPass> {
    const deps = this.#deps;
    const hash = studyHash(study);
    const done: string[] = [];
    const processed: string[] = [];
    let waiting: (ProcessingFailure & { model?: string }) | undefined;
    let waitingCount = 0;
    let deadLettered = 0;
    const now = Date.now();
    for (const instance of instances) {
      const verdict = verdicts.get(instance.id)!;
      if (verdict.gone) {
        this.#firstFailure.delete(instance.id);
        done.push(instance.id);
        continue;
      }
      let failure = verdict.permanent;
      if (verdict.transient) {
        const first = this.#firstFailure.get(instance.id) ?? now;
        this.#firstFailure.set(instance.id, first);
        if (now - first <= deps.config.dicomProcessingRetry.maxAgeMs) {
          waiting ??= verdict.transient;
          waitingCount++;
          continue;
        }
        failure = { ...verdict.transient, message: `still failing after ${Math.round((now - first) / 1000)} s of retries: ${verdict.transient.message}` };
      }
      this.#firstFailure.delete(instance.id);
      if (failure) {
        await deps.inbox.deadLetter(instance.path, { code: failure.code, message: failure.message, models: [...verdict.failedModels], study: hash });
        deps.onDeadLetter(failure.code);
        deadLettered++;
        deps.log.warn('DICOM instance moved to dead-letter', { study: hash, id: instance.id, code: failure.code, model: failure.model, reason: failure.message.slice(0, 200) });
      } else {
        processed.push(instance.path);
      }
      done.push(instance.id);
    }
    await deps.inbox.remove(processed);
    if (waiting) {
      deps.onRetry(waiting.code);
      deps.log.warn('DICOM study waits for a retry', { study: hash, code: waiting.code, model: waiting.model, reason: waiting.message.slice(0, 200), instances: waitingCount, attempt: attempt + 1 });
    }
    deps.log.info('DICOM study processed', { study: hash, instances: instances.length, done: processed.length, deadLettered, waiting: waitingCount, results: results.sent, superseding: results.superseding });
    return { done, retry: waiting ? { code: waiting.code } : undefined };
  }
}
