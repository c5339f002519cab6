import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import { classifyFailure, studyHash } from '../../../runtime/dicom-node/failure.js';
import { StudyCollector, type CollectedInstance, type StudyPass } from '../../../runtime/dicom-node/study-collector.js';
import { ImagingInputError } from '../../../adapters/imaging/raster.js';
import { DicomResultError } from '../../../adapters/imaging/dicom-results/index.js';
import { ClinferError } from '../../../runtime/errors/index.js';

const instance = (study: string, id: string): CollectedInstance => ({ id, path: `/inbox/${id}.dcm`, caller: 'test', info: { studyInstanceUID: study } as DicomInstanceInfo });

describe('StudyCollector', () => {
  let calls: { study: string; ids: string[]; attempt: number }[];
  let answer: (study: string, ids: string[]) => StudyPass;
  let collector: StudyCollector;

  beforeEach(() => {
    vi.useFakeTimers();
    calls = [];
    answer = (_s, ids) => ({ done: ids });
    collector = new StudyCollector({
      settleMs: 1000, retry: { initialMs: 200, maxMs: 800 },
      process: async (study, instances, attempt) => {
        const ids = instances.map((i) => i.id);
        calls.push({ study, ids, attempt });
        return answer(study, ids);
      },
    });
  });
  afterEach(async () => {
    await collector.close();
    vi.useRealTimers();
  });

  it('hands a study over once, after it has been quiet for the settle time; each arrival restarts the wait', async () => {
    collector.add(instance('S1', 'a'));
    await vi.advanceTimersByTimeAsync(900);
    collector.add(instance('S1', 'b'));
    collector.add(instance('S2', 'x'));
    await vi.advanceTimersByTimeAsync(900);
    expect(calls).toEqual([]);
    collector.add(instance('S1', 'a')); // the same instance again: no effect, no new wait
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual([{ study: 'S1', ids: ['a', 'b'], attempt: 0 }, { study: 'S2', ids: ['x'], attempt: 0 }]);
    expect(collector.pending).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2);
  });

  it('hands a study over again after a back-off while some of it waits on a transient cause', async () => {
    answer = (_s, ids) => (calls.length < 3 ? { done: ids.filter((id) => id !== 'b'), retry: { code: 'MODEL_NOT_READY' } } : { done: ids });
    collector.add(instance('S1', 'a'));
    collector.add(instance('S1', 'b'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([{ study: 'S1', ids: ['a', 'b'], attempt: 0 }]);
    expect(collector.pending).toBe(1);
    expect(collector.has('b')).toBe(true);
    // Back-off with equal jitter: the first retry comes between 100 and 200 ms, the second between 200 and 400.
    await vi.advanceTimersByTimeAsync(200);
    expect(calls.at(-1)).toEqual({ study: 'S1', ids: ['b'], attempt: 1 });
    await vi.advanceTimersByTimeAsync(400);
    expect(calls.at(-1)).toEqual({ study: 'S1', ids: ['b'], attempt: 2 });
    expect(collector.pending).toBe(0);
  });

  it('waits a settle time again when the study grows while it runs', async () => {
    let release!: () => void;
    answer = (_s, ids) => ({ done: ids });
    const slow = new StudyCollector({
      settleMs: 1000, retry: { initialMs: 200, maxMs: 800 },
      process: async (study, instances, attempt) => {
        calls.push({ study, ids: instances.map((i) => i.id), attempt });
        if (calls.length === 1) await new Promise<void>((r) => { release = r; });
        return { done: instances.map((i) => i.id) };
      },
    });
    slow.add(instance('S1', 'a'));
    await vi.advanceTimersByTimeAsync(1000);
    slow.add(instance('S1', 'b'));
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.at(-1)).toEqual({ study: 'S1', ids: ['b'], attempt: 0 });
    await slow.close();
  });

  it('runs several settled studies at once, up to maxRunning, the rest as slots free up', async () => {
    const releases: (() => void)[] = [];
    const running = new StudyCollector({
      settleMs: 10, retry: { initialMs: 200, maxMs: 800 }, maxRunning: 2,
      process: async (study, instances, attempt) => {
        calls.push({ study, ids: instances.map((i) => i.id), attempt });
        await new Promise<void>((r) => releases.push(r));
        return { done: instances.map((i) => i.id) };
      },
    });
    for (const study of ['S1', 'S2', 'S3']) running.add(instance(study, study.toLowerCase()));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.map((c) => c.study)).toEqual(['S1', 'S2']);
    releases[0]!();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.study)).toEqual(['S1', 'S2', 'S3']);
    releases[1]!();
    releases[2]!();
    await running.close();
    expect(running.pending).toBe(0);
  });

  it('hands nothing over once closed; what waits stays where it is', async () => {
    collector.add(instance('S1', 'a'));
    await collector.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toEqual([]);
  });
});

describe('classifyFailure', () => {
  it('retries what goes away by itself and sets aside what never will, by code', () => {
    const transient = ['MODEL_NOT_READY', 'QUEUE_FULL', 'WORKER_EXITED', 'EXECUTION_TIMEOUT', 'MODEL_NOT_FOUND', 'SERVER_SHUTTING_DOWN'] as const;
    for (const code of transient) expect(classifyFailure(new ClinferError(code, 'x'))).toMatchObject({ code, transient: true });
    for (const code of ['INVALID_DICOM', 'NO_PIXEL_DATA', 'UNSUPPORTED_TRANSFER_SYNTAX', 'INVALID_IMAGE'] as const) {
      expect(classifyFailure(new ImagingInputError(code, 'x'))).toMatchObject({ code, transient: false });
    }
    expect(classifyFailure(new ClinferError('INVALID_INPUT', 'x'))).toMatchObject({ transient: false });
    expect(classifyFailure(new DicomResultError('RESULT_INVALID_VALUE', 'x'))).toMatchObject({ code: 'RESULT_INVALID_VALUE', transient: false });
    expect(classifyFailure(Object.assign(new Error('outside the scope'), { code: 'OUT_OF_SCOPE' }))).toMatchObject({ code: 'OUT_OF_SCOPE', transient: false });
    // A bug is retried (and set aside after maxAgeMs), never dropped.
    expect(classifyFailure(new TypeError('undefined is not a function'))).toMatchObject({ code: 'INTERNAL', transient: true });
  });

  it('names a study by a hash, never by its UID', () => {
    expect(studyHash('1.2.3.4')).toMatch(/^[0-9a-f]{16}$/);
    expect(studyHash('1.2.3.4')).toBe(studyHash('1.2.3.4'));
    expect(studyHash(undefined)).toBeUndefined();
  });
});
