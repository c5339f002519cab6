import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { groupFigures } from '../../../runtime/validation/figures.js';
import { signDocument, verifyDocument } from '../../../runtime/validation/report-sign.js';
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
