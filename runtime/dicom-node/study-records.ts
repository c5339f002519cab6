import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import type { ImagePrediction, ImageSegmentation } from '../../adapters/imaging/image-prediction.js';
import { syncDir, writeDurably } from '../pacs/durable-file.js';

/** The result object last sent for one model (version) and one group (a study, or one of its series). */
export interface ResultRecord {
  readonly model: string;
  readonly version: string;
  /** Every instance the model has reported on in this group, and its findings: a later result repeats them. */
  readonly sources: DicomInstanceInfo[];
  readonly findings: { readonly sourceIndex: number; readonly prediction: ImagePrediction | ImageSegmentation }[];
  /** The last object sent; absent when nothing was sent (e.g. a segmentation that found nothing). */
  readonly last?: { readonly sopClassUID: string; readonly sopInstanceUID: string; readonly seriesInstanceUID: string; readonly seriesNumber: number; readonly instanceNumber: number };
}

/** What clinfer has sent for one study, to supersede it if the study grows later. */
export interface StudyRecord {
  readonly studyInstanceUID: string;
  /** The Series Number a new result series of this study gets (9001, 9002, ...). */
  nextSeriesNumber: number;
  /** By resultKey(): model, version and group. */
  readonly results: Record<string, ResultRecord>;
}

export const FIRST_RESULT_SERIES_NUMBER = 9001;

export function resultKey(model: string, version: string, group: string): string {
  return `${model}\u0000${version}\u0000${group}`;
}

/**
 * One JSON file per study under <inbox>/studies/, named by a hash of the Study Instance UID, replaced
 * atomically (written to tmp/, fsynced, renamed). It holds the sources' header data (patient and study
 * attributes, which a later result copies) and the findings: like the inbox itself, it is patient data at
 * rest, and it is deleted `retentionMs` after its last change.
 */
export class StudyRecords {
  readonly #dir: string;
  readonly #tmp: string;

  constructor(inboxDir: string) {
    this.#dir = join(inboxDir, 'studies');
    this.#tmp = join(inboxDir, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await mkdir(this.#tmp, { recursive: true });
  }

  async get(studyInstanceUID: string): Promise<StudyRecord> {
    try {
      const record = JSON.parse(await readFile(this.#file(studyInstanceUID), 'utf8')) as StudyRecord;
      if (record.studyInstanceUID === studyInstanceUID) return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { studyInstanceUID, nextSeriesNumber: FIRST_RESULT_SERIES_NUMBER, results: {} };
  }

  async put(record: StudyRecord): Promise<void> {
    const name = `${fileName(record.studyInstanceUID)}.${process.pid}.${Date.now()}`;
    const staged = join(this.#tmp, name);
    await writeDurably(staged, JSON.stringify(record));
    await rename(staged, this.#file(record.studyInstanceUID));
    await syncDir(this.#dir);
  }

  /** Deletes the records not changed for `retentionMs`; resolves with how many. */
  async prune(retentionMs: number, now = Date.now()): Promise<number> {
    let pruned = 0;
    for (const name of await readdir(this.#dir)) {
      const file = join(this.#dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > retentionMs) {
        await rm(file, { force: true });
        pruned++;
      }
    }
    return pruned;
  }

  #file(studyInstanceUID: string): string {
    return join(this.#dir, `${fileName(studyInstanceUID)}.json`);
  }
}

function fileName(studyInstanceUID: string): string {
  return createHash('sha256').update(studyInstanceUID).digest('hex');
}
