/**
 * Inline SVG plots for the reports: no script, no external resource, so a report reads offline and
 * prints. Sizes in user units; the page scales them.
 */
const W = 320;
const H = 320;
const M = 40;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (v: number) => v.toFixed(1);

function axes(xLabel: string, yLabel: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<text x="${f(M + t * (W - 2 * M))}" y="${H - M + 14}" text-anchor="middle">${t}</text><text x="${M - 6}" y="${f(H - M - t * (H - 2 * M) + 4)}" text-anchor="end">${t}</text>`)
    .join('');
  return `<rect x="${M}" y="${M}" width="${W - 2 * M}" height="${H - 2 * M}" fill="none" stroke="#444"/>${ticks}` +
    `<text x="${W / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text x="12" y="${H / 2}" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`;
}
const px = (x: number) => M + x * (W - 2 * M);
const py = (y: number) => H - M - y * (H - 2 * M);

function svg(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" font-family="sans-serif" font-size="10"><title>${esc(title)}</title>${body}</svg>`;
}

export function rocSvg(points: ReadonlyArray<readonly [number, number]>, caption: string): string {
  const path = points.map(([x, y], i) => `${i ? 'L' : 'M'}${f(px(x))},${f(py(y))}`).join('');
  return svg(`ROC curve: ${caption}`, axes('1 - specificity', 'sensitivity') +
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999" stroke-dasharray="4 3"/>` +
    `<path d="${path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>` +
    points.map(([x, y]) => `<circle cx="${f(px(x))}" cy="${f(py(y))}" r="2.5" fill="#1f5fa8"/>`).join('') +
    `<text x="${W - M - 4}" y="${H - M - 8}" text-anchor="end">${esc(caption)}</text>`);
}

export function reliabilitySvg(bins: ReadonlyArray<{ mean_predicted: number; observed: number; n: number }>, caption: string): string {
  const max = Math.max(1, ...bins.map((b) => b.n));
  return svg(`Reliability diagram: ${caption}`, axes('mean predicted probability', 'observed proportion') +
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999" stroke-dasharray="4 3"/>` +
    `<path d="${bins.map((b, i) => `${i ? 'L' : 'M'}${f(px(b.mean_predicted))},${f(py(b.observed))}`).join('')}" fill="none" stroke="#b5461f" stroke-width="1.5"/>` +
    bins.map((b) => `<circle cx="${f(px(b.mean_predicted))}" cy="${f(py(b.observed))}" r="${f(2 + 5 * Math.sqrt(b.n / max))}" fill="#b5461f" fill-opacity="0.6"><title>n = ${b.n}</title></circle>`).join('') +
    `<text x="${M + 4}" y="${M + 14}">${esc(caption)}</text>`);
}

export interface ForestRow {
  readonly label: string;
  readonly value: number | null;
  readonly ci: readonly [number, number] | null;
  readonly pooled?: boolean;
}

/** A forest plot: one row per site (square and interval), the pooled estimate as a diamond, a reference line. */
export function forestSvg(title: string, rows: readonly ForestRow[], range: readonly [number, number], reference?: { value: number; label: string }): string {
  const width = 560;
  const left = 170;
  const right = 150;
  const rowH = 22;
  const height = 40 + rowH * rows.length + 30;
  const x = (v: number) => left + ((Math.min(range[1], Math.max(range[0], v)) - range[0]) / (range[1] - range[0])) * (width - left - right);
  const body = rows.map((r, i) => {
    const y = 30 + rowH * (i + 0.5);
    const text = r.value === null ? 'suppressed' : `${r.value.toFixed(3)}${r.ci ? ` [${r.ci[0].toFixed(3)}, ${r.ci[1].toFixed(3)}]` : ''}`;
    let mark = '';
    if (r.value !== null && r.ci) {
      mark = r.pooled
        ? `<polygon points="${f(x(r.ci[0]))},${y} ${f(x(r.value))},${y - 7} ${f(x(r.ci[1]))},${y} ${f(x(r.value))},${y + 7}" fill="#222"/>`
        : `<line x1="${f(x(r.ci[0]))}" y1="${y}" x2="${f(x(r.ci[1]))}" y2="${y}" stroke="#222"/><rect x="${f(x(r.value) - 4)}" y="${y - 4}" width="8" height="8" fill="#1f5fa8"/>`;
    }
    return `<text x="6" y="${y + 4}"${r.pooled ? ' font-weight="bold"' : ''}>${esc(r.label)}</text>${mark}<text x="${width - right + 8}" y="${y + 4}">${text}</text>`;
  }).join('');
  const axisY = 30 + rowH * rows.length + 6;
  const ticks = Array.from({ length: 6 }, (_, i) => range[0] + (i * (range[1] - range[0])) / 5)
    .map((t) => `<line x1="${f(x(t))}" y1="${axisY}" x2="${f(x(t))}" y2="${axisY + 4}" stroke="#444"/><text x="${f(x(t))}" y="${axisY + 15}" text-anchor="middle">${t.toFixed(2)}</text>`).join('');
  const ref = reference ? `<line x1="${f(x(reference.value))}" y1="24" x2="${f(x(reference.value))}" y2="${axisY}" stroke="#b5461f" stroke-dasharray="4 3"/><text x="${f(x(reference.value))}" y="18" text-anchor="middle" fill="#b5461f">${esc(reference.label)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}" font-family="sans-serif" font-size="11"><title>${esc(title)}</title>${ref}${body}<line x1="${left}" y1="${axisY}" x2="${width - right}" y2="${axisY}" stroke="#444"/>${ticks}</svg>`;
}

export { esc as escapeHtml };
