import type { Figure, GroupFigures } from './figures.js';

/** The subgroup that pools the levels of a variable too small to be shown on their own. */
export const SMALL_LEVELS = '(other levels, each with fewer than k patients with or without the outcome)';

/**
 * Secondary suppression for the levels of one variable. A level with fewer than k patients with, or
 * without, the outcome is not shown on its own, nor named (a --group column could hold identifiers): such
 * levels are pooled, and if the pool is still short, joined to the smallest level that is not. So every
 * published level has k of each class, and no level's counts follow from the overall figures minus the
 * others'. `members`: level -> indexes into `labels`.
 */
export function partitionLevels(members: ReadonlyMap<string, number[]>, labels: readonly number[], k: number): Map<string, number[]> {
  const enough = (idx: readonly number[]) => {
    const positives = idx.reduce((s, i) => s + labels[i]!, 0);
    return positives >= k && idx.length - positives >= k;
  };
  const out = new Map([...members].filter(([, idx]) => enough(idx)));
  const pooled = [...members].filter(([, idx]) => !enough(idx)).flatMap(([, idx]) => idx);
  if (pooled.length === 0) return out;
  if (enough(pooled) || out.size === 0) {
    out.set(SMALL_LEVELS, pooled);
    return out;
  }
  const minority = (idx: readonly number[]) => Math.min(idx.reduce((s, i) => s + labels[i]!, 0), idx.reduce((s, i) => s + 1 - labels[i]!, 0));
  const [smallest] = [...out].sort(([, a], [, b]) => minority(a) - minority(b))[0]!;
  out.set(`${smallest} + ${SMALL_LEVELS}`, [...out.get(smallest)!, ...pooled]);
  out.delete(smallest);
  return out;
}

const RATES = ['sensitivity', 'specificity', 'ppv', 'npv', 'accuracy'] as const;

/**
 * A rate at the operating point suppressed in one level of a variable is suppressed in all of its levels:
 * otherwise the overall cell minus the other levels' would give the hidden one. Subgroups carry no curves
 * (their bins would difference against the overall ones).
 */
export function suppressAcrossLevels(levels: readonly GroupFigures[]): GroupFigures[] {
  const hidden = RATES.filter((rate) => levels.some((g) => g.at_threshold[rate].value === null));
  return levels.map((g) => {
    const at = { ...g.at_threshold };
    for (const rate of hidden) if (at[rate].value !== null) at[rate] = { value: null, suppressed: 'suppressed in every level: another level has a cell of fewer than k patients' } satisfies Figure;
    return { ...g, at_threshold: at, roc_curve: [], reliability: [] };
  });
}
