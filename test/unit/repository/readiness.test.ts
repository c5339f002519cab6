import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../../../runtime/repository/model-version.js';
import { assessReadiness } from '../../../runtime/repository/readiness.js';

const e = (name: string, version: string, state: IndexEntry['state'], reason = ''): IndexEntry => ({ name, version, state, reason });
const base = { initialLoadDone: true, strict: true, optional: new Set<string>(), unloaded: new Set<string>() };

describe('assessReadiness', () => {
  it('is never ready before the first scan of the repository is done', () => {
    expect(assessReadiness({ ...base, initialLoadDone: false, entries: [] })).toEqual({ ready: false, notReady: [] });
    expect(assessReadiness({ ...base, initialLoadDone: false, strict: false, entries: [] }).ready).toBe(false);
  });

  it('strict: ready when every model has a READY version, whatever its other versions', () => {
    const entries = [e('a', '1', 'UNAVAILABLE', 'unloaded'), e('a', '2', 'READY'), e('b', '3', 'READY'), e('b', '4', 'LOADING')];
    expect(assessReadiness({ ...base, entries })).toEqual({ ready: true, notReady: [] });
  });

  it('strict: lists every version of each model without a READY one (failed, loading, a folder without versions)', () => {
    const entries = [e('a', '1', 'READY'), e('b', '1', 'UNAVAILABLE', 'bad sha'), e('b', '2', 'LOADING'), e('c', '', 'UNAVAILABLE', 'no version folder')];
    expect(assessReadiness({ ...base, entries })).toEqual({ ready: false, notReady: [entries[1], entries[2], entries[3]] });
  });

  it('leaves out models unloaded through the API and optional models', () => {
    const entries = [e('a', '1', 'READY'), e('b', '1', 'UNAVAILABLE', 'unloaded'), e('c', '1', 'UNAVAILABLE', 'bad')];
    expect(assessReadiness({ ...base, entries, unloaded: new Set(['b']), optional: new Set(['c']) }).ready).toBe(true);
    expect(assessReadiness({ ...base, entries, unloaded: new Set(['b']) }).notReady).toEqual([entries[2]]);
  });

  it('not strict: ready once scanned, even with nothing READY', () => {
    expect(assessReadiness({ ...base, strict: false, entries: [e('a', '1', 'UNAVAILABLE', 'bad')] })).toEqual({ ready: true, notReady: [] });
  });
});
