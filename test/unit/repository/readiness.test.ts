import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../../../runtime/repository/model-version.js';
import { assessReadiness } from '../../../runtime/repository/readiness.js';

const e = (name: string, version: string, state: IndexEntry['state'], reason = ''): IndexEntry => ({ name, version, state, reason });
const base = { initialLoadDone: true, strict: true, optional: new Set<string>(), unloaded: new Set<string>(), quarantined: new Set<string>() };

describe('assessReadiness', () => {
  it('is never ready before the first scan of the repository is done', () => {
    expect(assessReadiness({ ...base, initialLoadDone: false, entries: [] })).toEqual({ ready: false, notReady: [], degraded: [] });
    expect(assessReadiness({ ...base, initialLoadDone: false, strict: false, entries: [] }).ready).toBe(false);
  });

  it('strict: ready when every model has a READY version, whatever its other versions', () => {
    const entries = [e('a', '1', 'UNAVAILABLE', 'unloaded'), e('a', '2', 'READY'), e('b', '3', 'READY'), e('b', '4', 'LOADING')];
    expect(assessReadiness({ ...base, entries })).toEqual({ ready: true, notReady: [], degraded: [] });
  });

  it('strict: lists every version of each model without a READY one (failed, loading, a folder without versions)', () => {
    const entries = [e('a', '1', 'READY'), e('b', '1', 'UNAVAILABLE', 'bad sha'), e('b', '2', 'LOADING'), e('c', '', 'UNAVAILABLE', 'no version folder')];
    expect(assessReadiness({ ...base, entries })).toEqual({ ready: false, notReady: [entries[1], entries[2], entries[3]], degraded: [] });
  });

  it('leaves out models unloaded through the API and optional models', () => {
    const entries = [e('a', '1', 'READY'), e('b', '1', 'UNAVAILABLE', 'unloaded'), e('c', '1', 'UNAVAILABLE', 'bad')];
    expect(assessReadiness({ ...base, entries, unloaded: new Set(['b']), optional: new Set(['c']) }).ready).toBe(true);
    expect(assessReadiness({ ...base, entries, unloaded: new Set(['b']) }).notReady).toEqual([entries[2]]);
  });

  it('not strict: ready once scanned, even with nothing READY', () => {
    expect(assessReadiness({ ...base, strict: false, entries: [e('a', '1', 'UNAVAILABLE', 'bad')] })).toEqual({ ready: true, notReady: [], degraded: [] });
  });


  it('strict: a version the watchdog took out (execution timeout) does not hold readiness back; it is listed as degraded', () => {
    const entries = [e('a', '1', 'READY'), e('hangs', '1', 'UNAVAILABLE', 'a run passed 5000 ms'), e('broken', '1', 'UNAVAILABLE', 'bad sha')];
    const quarantined = new Set(['hangs\u00001']);
    expect(assessReadiness({ ...base, entries: entries.slice(0, 2), quarantined })).toEqual({ ready: true, notReady: [], degraded: [entries[1]] });
    // A model that failed to load still does.
    expect(assessReadiness({ ...base, entries, quarantined })).toEqual({ ready: false, notReady: [entries[2]], degraded: [entries[1]] });
  });
});
