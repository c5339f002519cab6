/**
 * Latency against throughput as a standalone SVG, written by hand (no dependency): one panel per
 * model and percentile, log-log axes, one line per system through its concurrency levels, and
 * vertical lines for the in-process ONNX Runtime limits.
 */

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  /** Written next to the point (the concurrency). */
  readonly label: string;
}

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly ChartPoint[];
}

export interface ChartPanel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly vlines: readonly { x: number; label: string; color: string }[];
}

const W = 560;
const H = 380;
const M = { left: 64, right: 16, top: 34, bottom: 46 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** 1-2-5 ticks covering [lo, hi] on a log scale. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function tickText(v: number): string {
  if (v >= 1000) return `${v / 1000}k`;
  if (v >= 1) return String(v);
  return String(Number(v.toPrecision(1)));
}

function panelSvg(p: ChartPanel, ox: number, oy: number): string {
  const xs = [...p.series.flatMap((s) => s.points.map((q) => q.x)), ...p.vlines.map((v) => v.x)].filter((v) => v > 0 && Number.isFinite(v));
  const ys = p.series.flatMap((s) => s.points.map((q) => q.y)).filter((v) => v > 0 && Number.isFinite(v));
  const out: string[] = [];
  out.push(`<g transform="translate(${ox},${oy})">`);
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  if (xs.length === 0 || ys.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12">no data</text></g>`);
    return out.join('\n');
  }
  // Round the ranges out to the 1-2-5 grid so that the extreme points are not on the frame.
  const lo = (v: number) => 10 ** (Math.log10(v) - 0.08);
  const hi = (v: number) => 10 ** (Math.log10(v) + 0.08);
  const x0 = lo(Math.min(...xs));
  const x1 = hi(Math.max(...xs));
  const y0 = lo(Math.min(...ys));
  const y1 = hi(Math.max(...ys));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number) => M.left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw;
  const sy = (v: number) => M.top + ph - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph;
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#888"/>`);
  for (const t of logTicks(x0, x1)) {
    out.push(`<line x1="${num(sx(t))}" y1="${M.top}" x2="${num(sx(t))}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${num(sx(t))}" y="${M.top + ph + 14}" text-anchor="middle" font-size="10">${tickText(t)}</text>`);
  }
  for (const t of logTicks(y0, y1)) {
    out.push(`<line x1="${M.left}" y1="${num(sy(t))}" x2="${M.left + pw}" y2="${num(sy(t))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 4}" y="${num(sy(t) + 3)}" text-anchor="end" font-size="10">${tickText(t)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle" font-size="11">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(p.yLabel)}</text>`);
  for (const [i, v] of p.vlines.entries()) {
    const x = num(sx(v.x));
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="${v.color}" stroke-width="1.5" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${Number(x) - 3}" y="${M.top + 10 + i * 12}" text-anchor="end" font-size="9" fill="${v.color}">${esc(v.label)}</text>`);
  }
  for (const s of p.series) {
    const pts = s.points.filter((q) => q.x > 0 && q.y > 0 && Number.isFinite(q.x) && Number.isFinite(q.y));
    if (pts.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6,3"' : ''} points="${pts.map((q) => `${num(sx(q.x))},${num(sy(q.y))}`).join(' ')}"/>`);
    for (const q of pts) {
      out.push(`<circle cx="${num(sx(q.x))}" cy="${num(sy(q.y))}" r="3" fill="${s.color}"><title>${esc(`${s.name} C=${q.label}: ${q.x.toFixed(0)}/s, ${q.y.toPrecision(3)} ms`)}</title></circle>`);
      out.push(`<text x="${num(sx(q.x) + 4)}" y="${num(sy(q.y) - 4)}" font-size="8" fill="${s.color}">${esc(q.label)}</text>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

/** One legend for the whole figure (every panel draws the same systems), in rows under the title. */
function legendSvg(series: readonly ChartSeries[], width: number, y0: number): { svg: string; height: number } {
  const itemWidth = 220;
  const perRow = Math.max(1, Math.floor((width - 40) / itemWidth));
  const out: string[] = [];
  series.forEach((s, i) => {
    const x = 20 + (i % perRow) * itemWidth;
    const y = y0 + Math.floor(i / perRow) * 16 + 10;
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,3"' : ''}/>`);
    out.push(`<text x="${x + 30}" y="${y}" font-size="11">${esc(s.name)}</text>`);
  });
  return { svg: out.join('\n'), height: Math.ceil(series.length / perRow) * 16 + 8 };
}

export function latencyThroughputSvg(title: string, subtitle: string, panels: readonly ChartPanel[], columns: number): string {
  const rows = Math.ceil(panels.length / columns);
  const width = columns * W;
  const seen = new Map<string, ChartSeries>();
  for (const p of panels) for (const s of p.series) if (!seen.has(s.name)) seen.set(s.name, s);
  const legend = legendSvg([...seen.values()], width, 48);
  const head = 48 + legend.height;
  const height = head + rows * H;
  const body = panels.map((p, i) => panelSvg(p, (i % columns) * W, head + Math.floor(i / columns) * H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" font-size="11" fill="#444">${esc(subtitle)}</text>`,
    legend.svg,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
