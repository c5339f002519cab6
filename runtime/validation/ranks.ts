/** 1-based ranks, tied values sharing the mean of their ranks. */
export function midRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let r = i; r <= j; r++) ranks[order[r]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}
