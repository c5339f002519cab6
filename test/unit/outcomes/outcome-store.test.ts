import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutcomeStore } from '../../../runtime/outcomes/outcome-store.js';
import { liveFigures } from '../../../runtime/outcomes/live-figures.js';

const DAY = 86_400_000;
let dir: string;
const open = (retentionDays = 10) => new OutcomeStore({ file: join(dir, 'o.sqlite'), retentionDays, pseudonym: (v) => `digest(${v})` });

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'clinfer-outcome-store-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('OutcomeStore', () => {
  it('applies the schema once and records it; a database of a newer schema is refused', () => {
    open().close();
    open().close();
    const db = new Database(join(dir, 'o.sqlite'));
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([{ version: 1, name: 'predictions with their outcome' }]);
    db.prepare("INSERT INTO schema_migrations VALUES (2, 'from the future', '2030-01-01')").run();
    db.close();
    expect(() => open()).toThrow(/schema is version 2, newer than this clinfer knows \(1\)/);
  });

  it('past the retention, a prediction takes no outcome, counts in no figure, and is purged', () => {
    const store = open(10);
    const t0 = Date.UTC(2026, 0, 1);
    store.recordPredictions('request', 'old', { model: 'm', version: '1', scores: [0.9] }, t0);
    store.recordPredictions('request', 'new', { model: 'm', version: '1', scores: [0.2] }, t0 + 9 * DAY);
    expect(store.recordOutcome('m', 'request', 'old', undefined, 1, t0 + 5 * DAY)).toEqual({ model: 'm', version: '1', previousLabel: null });
    expect(store.labelled('m', '1', t0 + 9 * DAY).labels).toEqual([1]);
    expect(() => store.recordOutcome('m', 'request', 'old', undefined, 0, t0 + 11 * DAY)).toThrow(/older than outcomeRetentionDays/);
    expect(store.labelled('m', '1', t0 + 11 * DAY).labels).toEqual([]);
    expect(store.purge(t0 + 11 * DAY)).toBe(1);
    // Ids of the two kinds never meet: a RiskAssessment id equal to a request id is another prediction.
    expect(() => store.recordOutcome('m', 'risk_assessment', 'new', undefined, 1, t0 + 11 * DAY)).toThrow(/risk_assessment_id/);
    store.close();
  });
});

describe('liveFigures', () => {
  it('AUC (ties half), observed/expected and positive rate of a small case worked by hand', () => {
    // Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) 1, (0.8>0.1) 1, (0.4=0.4) 0.5, (0.4>0.1) 1 -> 3.5/4.
    const f = liveFigures([0.8, 0.4, 0.4, 0.1], [1, 1, 0, 0]);
    expect(f).toMatchObject({ n: 4, rocAuc: 0.875, positiveRate: 0.5 });
    expect(f.observedOverExpected).toBeCloseTo(2 / 1.7, 12);
    expect(liveFigures([0.3, 0.6], [1, 1]).rocAuc).toBeNull();
    expect(liveFigures([], []).n).toBe(0);
  });
});
