/** Reads one sample from a Prometheus text exposition; 0 when the series does not exist yet. */
export async function metricValue(baseUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}

/** Polls until the metric satisfies `predicate` (bounded: 10 s). */
export async function untilMetric(baseUrl: string, name: string, labels: Record<string, string>, predicate: (v: number) => boolean): Promise<number> {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = await metricValue(baseUrl, name, labels);
    if (predicate(v)) return v;
    if (Date.now() > end) throw new Error(`${name}${JSON.stringify(labels)} stayed at ${v}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
