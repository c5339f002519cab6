import type { NetworkReport } from './combine.js';
import { PAGE_STYLE } from './report-html.js';
import { escapeHtml as esc, forestSvg } from './svg.js';

const ci = (v: { value: number | null; ci: readonly [number, number] | null }) =>
  v.value === null ? '<span class="muted">suppressed</span>' : `${v.value.toFixed(3)}${v.ci ? ` <span class="muted">(${v.ci[0].toFixed(3)}–${v.ci[1].toFixed(3)})</span>` : ''}`;

/** The network report as one self-contained, printable HTML page with forest plots. */
export function renderNetworkHtml(r: NetworkReport): string {
  const p = r.pooled_roc_auc;
  const aucRows = [
    ...r.sites.map((s) => ({ label: s.site, value: s.roc_auc.value, ci: s.roc_auc.ci })),
    ...(p ? [{ label: `pooled (${p.sites} sites)`, value: p.value, ci: p.ci, pooled: true }] : []),
  ];
  const slopeRows = r.sites.map((s) => ({ label: s.site, value: s.calibration_slope.value, ci: s.calibration_slope.ci }));
  const slopeMax = Math.max(2, ...slopeRows.map((s) => s.ci?.[1] ?? 0));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Network validation of ${esc(r.bundle.name)} ${esc(r.bundle.version)}</title><style>${PAGE_STYLE}</style></head><body>
<h1>Network validation: ${esc(r.bundle.name)} version ${esc(r.bundle.version)}</h1>
<p>${r.sites.length} sites, ${esc(r.created)}, clinfer ${esc(r.clinfer_version)}. Bundle digest <code>${esc(r.bundle.digest)}</code>. Every site report's Ed25519 signature verified.</p>
<h2>Discrimination</h2>
${p ? `<p>Pooled ROC AUC <b>${p.value.toFixed(3)}</b> (95% CI ${p.ci[0].toFixed(3)}–${p.ci[1].toFixed(3)}), I² = ${(p.i2 * 100).toFixed(0)}%, τ² = ${p.tau2.toFixed(4)} (logit scale), Q = ${p.q.toFixed(2)} on ${p.df} df. ${esc(p.method)}.</p>` : '<p>No site AUC could be pooled.</p>'}
<figure>${forestSvg('ROC AUC by site', aucRows, [0.5, 1], r.declared_roc_auc === null ? undefined : { value: r.declared_roc_auc, label: `declared ${r.declared_roc_auc}` })}</figure>
<h2>Calibration slope</h2>
<figure>${forestSvg('Calibration slope by site', slopeRows, [0, slopeMax], { value: 1, label: 'ideal 1' })}</figure>
<h2>Sites</h2><table><tr><th>site</th><th>n</th><th>ROC AUC</th><th>calibration slope</th><th>as declared?</th><th>key</th><th>data set sha256</th></tr>
${r.sites.map((s) => `<tr><td>${esc(s.site)}</td><td>${s.n ?? '<span class="muted">suppressed</span>'}</td><td>${ci(s.roc_auc)}${s.pooled ? '' : ` <span class="muted">(not pooled: ${esc(s.not_pooled_because ?? '')})</span>`}</td><td>${ci(s.calibration_slope)}</td><td class="${s.verdict === 'as_declared' ? 'ok' : s.verdict === 'below_declared' ? 'bad' : 'muted'}">${esc(s.verdict.replace(/_/g, ' '))}</td><td><code>${esc(s.key_id)}</code></td><td><code>${esc(s.data_sha256.slice(0, 16))}…</code></td></tr>`).join('\n')}</table>
<p>${r.outside_declared.length ? `Outside the declared performance: <b class="bad">${r.outside_declared.map(esc).join(', ')}</b>.` : 'No site falls below the declared performance.'}</p>
</body></html>
`;
}
