/**
 * The precompressed copies the web app's build writes beside its files (app/build/precompress.ts), in
 * the order the server prefers them when a client accepts both equally: brotli is smaller.
 */
export const PRECOMPRESSED = [
  { encoding: 'br', extension: '.br' },
  { encoding: 'gzip', extension: '.gz' },
] as const;

export type Precompressed = (typeof PRECOMPRESSED)[number];

/**
 * The precompressed encodings an Accept-Encoding header allows (RFC 9110 §12.5.3), best first: higher
 * q first, then the server's order. A coding with q=0 is refused; `*` stands for every coding not named.
 * No header: none (identity, the safe answer to a client that said nothing).
 */
export function acceptedEncodings(header: string | undefined): Precompressed[] {
  if (!header) return [];
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q') q = Number(value);
    }
    weights.set(name, Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0);
  }
  const weight = (encoding: string) => weights.get(encoding) ?? (encoding === 'gzip' ? weights.get('x-gzip') : undefined) ?? weights.get('*') ?? 0;
  return PRECOMPRESSED
    .map((p, order) => ({ p, order, q: weight(p.encoding) }))
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map((c) => c.p);
}
