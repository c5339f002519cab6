import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { groupFigures } from '../../../runtime/validation/figures.js';
import { signDocument, verifyDocument } from '../../../runtime/validation/report-sign.js';
import { partitionLevels, SMALL_LEVELS, suppressAcrossLevels } from '../../../runtime/validation/subgroups.js';
import { countBins, rocPoints } from '../../../runtime/validation/suppression.js';

describe('the small-cell rule', () => {
  const k = 10;
  it('a group of fewer than k patients publishes nothing but that it is small', () => {
    const g = groupFigures([0.1, 0.9, 0.4, 0.6, 0.7], [0, 1, 0, 1, 1], 0.5, k);
    expect(g.n).toBeNull();
    expect(g.positives).toBeNull();
    expect(g.roc_auc.value).toBeNull();
    expect(g.at_threshold.sensitivity.value).toBeNull();
    expect(g.roc_curve).toEqual([]);
    expect(g.reliability).toEqual([]);
  });

  it('fewer than k patients in one class suppresses every outcome figure, the class counts too (n - positives would give it)', () => {
    const scores = Array.from({ length: 50 }, (_, i) => i / 50);
    const labels = scores.map((_, i) => (i >= 42 ? 0 : 1)); // 8 negatives
    const g = groupFigures(scores, labels, 0.5, k);
    expect(g.n).toBe(50);
    expect([g.positives, g.negatives, g.prevalence.value, g.roc_auc.value, g.brier.value]).toEqual([null, null, null, null, null]);
  });

  it('a rate at the operating point needs both of its cells >= k', () => {
    // 40 positives, 40 negatives; at 0.5: tp 35, fn 5 (sensitivity suppressed), tn 30, fp 10 (specificity shown).
    const scores = [...Array(35).fill(0.9), ...Array(5).fill(0.1), ...Array(30).fill(0.2), ...Array(10).fill(0.8)];
    const labels = [...Array(40).fill(1), ...Array(40).fill(0)];
    const g = groupFigures(scores, labels, 0.5, k);
    expect(g.at_threshold.sensitivity).toMatchObject({ value: null });
    expect(g.at_threshold.specificity.value).toBeCloseTo(0.75, 6);
    expect(g.at_threshold.npv).toMatchObject({ value: null }); // tn 30, fn 5
    expect(g.roc_auc.value).not.toBeNull();
  });

  it('every step of the ROC curve and every reliability bin holds >= k patients of each class', () => {
    const scores = Array.from({ length: 400 }, (_, i) => ((i * 7919) % 400) / 400);
    const labels = scores.map((s, i) => (s + ((i * 31) % 100) / 250 > 0.7 ? 1 : 0));
    const bins = countBins(scores, labels, 20, k);
    for (const b of bins) {
      expect(b.positives).toBeGreaterThanOrEqual(k);
      expect(b.negatives).toBeGreaterThanOrEqual(k);
    }
    expect(bins.reduce((s, b) => s + b.positives + b.negatives, 0)).toBe(400);
    const points = rocPoints(bins);
    expect(points[0]).toEqual([0, 0]);
    expect(points.at(-1)).toEqual([1, 1]);
  });
});

describe('report signatures', () => {
  const site = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const pem = site.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const doc = { format: 'x', figures: { b: 0.9, a: [1, 2] } } as Record<string, unknown>;

  it('verifies under the signing key, whatever the key order of the JSON', () => {
    const signed = signDocument(doc, pem);
    const reordered = JSON.parse(JSON.stringify({ figures: { a: [1, 2], b: 0.9 }, signature: signed.signature, format: 'x' }));
    expect(verifyDocument(reordered, [other.publicKey, site.publicKey], 'r')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses a changed figure, another key, and no signature, with REPORT_INVALID', () => {
    const signed = signDocument(doc, pem) as Record<string, any>;
    const changed = { ...signed, figures: { ...signed.figures, b: 0.95 } } as Record<string, unknown>;
    expect(() => verifyDocument(changed, [site.publicKey], 'r.json')).toThrow(/r\.json: .*changed after it was signed/);
    expect(() => verifyDocument(signed, [other.publicKey], 'r.json')).toThrow(/does not verify under any of the given keys/);
    expect(() => verifyDocument(doc, [site.publicKey], 'r.json')).toThrowError(expect.objectContaining({ code: 'REPORT_INVALID' }));
  });
});

describe('secondary suppression across the levels of a variable', () => {
  const k = 10;
  // Level A: 20 positives + 20 negatives; B: 15 + 15; C: 3 + 2; D: 4 + 1 (indexes into labels).
  const labels: number[] = [];
  const level = (pos: number, neg: number) => {
    const idx: number[] = [];
    for (let i = 0; i < pos + neg; i++) {
      idx.push(labels.length);
      labels.push(i < pos ? 1 : 0);
    }
    return idx;
  };
  const members = new Map([['A', level(20, 20)], ['B', level(15, 15)], ['C', level(3, 2)], ['D', level(4, 1)]]);

  it('levels short of k in a class are pooled unnamed; a pool still short joins the smallest level', () => {
    const parts = partitionLevels(members, labels, k);
    // C + D pooled: 7 positives, 3 negatives, still short: joined to B (the smaller minority class).
    expect([...parts.keys()]).toEqual(['A', `B + ${SMALL_LEVELS}`]);
    expect(parts.get(`B + ${SMALL_LEVELS}`)!.length).toBe(40);
    expect([...parts.values()].flat().sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    // Pooled levels that reach k of each class stand as their own group.
    const big = new Map([['A', members.get('A')!], ['x', level(6, 6)], ['y', level(6, 6)]]);
    expect([...partitionLevels(big, labels, k).keys()]).toEqual(['A', SMALL_LEVELS]);
  });

  it('a rate hidden in one level is hidden in all, and subgroups carry no curves', () => {
    const scores = (tp: number, fn: number, tn: number, fp: number) => [...Array(tp).fill(0.9), ...Array(fn).fill(0.1), ...Array(tn).fill(0.2), ...Array(fp).fill(0.8)];
    const lab = (tp: number, fn: number, tn: number, fp: number) => [...Array(tp + fn).fill(1), ...Array(tn + fp).fill(0)];
    const a = groupFigures(scores(30, 12, 30, 12), lab(30, 12, 30, 12), 0.5, k);
    const b = groupFigures(scores(30, 5, 30, 12), lab(30, 5, 30, 12), 0.5, k); // fn 5: sensitivity hidden
    expect(a.at_threshold.sensitivity.value).not.toBeNull();
    const [a2, b2] = suppressAcrossLevels([a, b]);
    expect(a2!.at_threshold.sensitivity.value).toBeNull();
    expect(b2!.at_threshold.sensitivity.value).toBeNull();
    expect(a2!.at_threshold.specificity.value).toBeCloseTo(30 / 42, 6);
    expect(a2!.roc_curve).toEqual([]);
    expect(a2!.reliability).toEqual([]);
  });
});
