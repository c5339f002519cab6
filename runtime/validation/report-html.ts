import type { Figure, GroupFigures } from './figures.js';
import type { ValidationReport } from './report.js';
import { escapeHtml as esc, reliabilitySvg, rocSvg } from './svg.js';

export const PAGE_STYLE = `body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:3px 7px;text-align:left;font-size:13px}
th{background:#eee}.ok{color:#126b12;font-weight:bold}.bad{color:#a51d1d;font-weight:bold}.muted{color:#666}
code{font-size:12px;word-break:break-all}figure{display:inline-block;margin:0 1em 1em 0}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table,figure{page-break-inside:avoid}}`;

export const fmt = (f: Figure): string =>
  f.value === null ? `<span class="muted">${esc(f.suppressed ?? 'n/a')}</span>` : `${f.value.toFixed(3)}${f.ci ? ` <span class="muted">(${f.ci[0].toFixed(3)}–${f.ci[1].toFixed(3)})</span>` : ''}`;
const count = (n: number | null, k: number) => (n === null ? `<span class="muted">&lt;${k}</span>` : String(n));

function figureRow(label: string, g: GroupFigures, k: number): string {
  const t = g.at_threshold;
  return `<tr><td>${esc(label)}</td><td>${count(g.n, k)}</td><td>${fmt(g.prevalence)}</td><td>${fmt(g.roc_auc)}</td><td>${fmt(g.pr_auc)}</td><td>${fmt(g.calibration_slope)}</td><td>${fmt(t.sensitivity)}</td><td>${fmt(t.specificity)}</td><td>${fmt(t.ppv)}</td><td>${fmt(t.npv)}</td></tr>`;
}

/** The report as one self-contained HTML page (inline CSS and SVG, no script), printable. */
export function renderReportHtml(r: ValidationReport): string {
  const k = r.privacy.min_cell;
  const o = r.overall;
  const verdictClass = r.declared.verdict === 'as_declared' ? 'ok' : r.declared.verdict === 'below_declared' ? 'bad' : 'muted';
  const head = '<tr><th>group</th><th>n</th><th>prevalence</th><th>ROC AUC</th><th>PR AUC</th><th>calibration slope</th><th>sensitivity</th><th>specificity</th><th>PPV</th><th>NPV</th></tr>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Validation of ${esc(r.bundle.name)} ${esc(r.bundle.version)} at ${esc(r.site)}</title><style>${PAGE_STYLE}</style></head><body>
<h1>Local validation: ${esc(r.bundle.name)} version ${esc(r.bundle.version)}</h1>
<p>Site <b>${esc(r.site)}</b>, ${esc(r.created)}. clinfer ${esc(r.clinfer_version)}. Bundle digest <code>${esc(r.bundle.digest)}</code>.
Data set <code>${esc(r.data.file)}</code> sha256 <code>${esc(r.data.sha256)}</code>, outcome column <code>${esc(r.data.label)}</code>.
${r.signature ? `Signed (Ed25519, key ${esc(r.signature.key_id)}); check with <code>clinfer validate verify report.json --key SITE.pub</code>.` : '<b>Not signed.</b>'}</p>
<h2>Verdict</h2><p class="${verdictClass}">${esc(r.declared.statement)}</p>
<table><tr><th>metric</th><th>declared${r.declared.declared_n ? ` (n=${r.declared.declared_n})` : ''}</th><th>here (95% CI)</th><th>tolerance</th><th>verdict</th></tr>
${r.declared.comparisons.map((c) => `<tr><td>${esc(c.metric)}</td><td>${c.declared.toFixed(3)}</td><td>${c.local === null ? '<span class="muted">suppressed</span>' : `${c.local.toFixed(3)}${c.ci ? ` (${c.ci[0].toFixed(3)}–${c.ci[1].toFixed(3)})` : ''}`}</td><td>${c.tolerance}</td><td>${esc(c.verdict.replace(/_/g, ' '))}</td></tr>`).join('\n')}</table>
<h2>Overall</h2>
<p>${count(r.data.rows, k)} rows; ${count(r.data.scored, k)} scored; without outcome ${count(r.data.no_outcome, k)}; refused as the server would (unusable value) ${count(r.data.refused_invalid, k)}, (too little observed data) ${count(r.data.refused_insufficient_data, k)}.
Operating point: probability &ge; ${r.operating_point.threshold} (${esc(r.operating_point.source)}).</p>
<table><tr><th>figure</th><th>value (95% CI)</th></tr>
<tr><td>ROC AUC (DeLong)</td><td>${fmt(o.roc_auc)}</td></tr><tr><td>PR AUC (average precision, logit interval)</td><td>${fmt(o.pr_auc)}</td></tr>
<tr><td>Brier score</td><td>${fmt(o.brier)}</td></tr><tr><td>calibration intercept (ideal 0)</td><td>${fmt(o.calibration_intercept)}</td></tr>
<tr><td>calibration slope (ideal 1)</td><td>${fmt(o.calibration_slope)}</td></tr><tr><td>expected calibration error (10 bins; bootstrap)</td><td>${fmt(o.ece)}</td></tr>
<tr><td>sensitivity (Wilson)</td><td>${fmt(o.at_threshold.sensitivity)}</td></tr><tr><td>specificity</td><td>${fmt(o.at_threshold.specificity)}</td></tr>
<tr><td>PPV</td><td>${fmt(o.at_threshold.ppv)}</td></tr><tr><td>NPV</td><td>${fmt(o.at_threshold.npv)}</td></tr><tr><td>accuracy</td><td>${fmt(o.at_threshold.accuracy)}</td></tr></table>
${o.roc_curve.length ? `<figure>${rocSvg(o.roc_curve, `AUC ${o.roc_auc.value?.toFixed(3)}`)}<figcaption>ROC curve (thresholds grouped so each step holds &ge;${k} patients of each class)</figcaption></figure>` : ''}
${o.reliability.length ? `<figure>${reliabilitySvg(o.reliability, `slope ${o.calibration_slope.value?.toFixed(2)}`)}<figcaption>Reliability diagram (bins of &ge;${k} patients of each class)</figcaption></figure>` : ''}
<h2>Subgroups</h2><table>${head}${figureRow('all', o, k)}
${r.subgroups.map((s) => figureRow(`${s.variable}: ${s.level}`, s.figures, k)).join('\n')}</table>
<h2>Data quality</h2><table><tr><th>feature</th><th>unit</th><th>missing</th><th>imputed</th><th>out of range</th><th>unusable</th><th>units converted</th></tr>
${r.data_quality.map((q) => `<tr><td>${esc(q.feature)}</td><td>${esc(q.unit ?? '')}</td><td>${share(q.missing_share, k)}</td><td>${share(q.imputed_share, k)}</td><td>${count(q.out_of_range, k)}</td><td>${count(q.invalid, k)}</td><td>${count(q.units_converted, k)}</td></tr>`).join('\n')}</table>
${Object.keys(r.data.missing_codes).length ? `<p>Values the site declared as "not recorded": ${Object.entries(r.data.missing_codes).map(([f, v]) => `${esc(f)} = ${v}`).join(', ')}.</p>` : ''}
<h2>Privacy</h2><p>${esc(r.privacy.rule)}. Shown as &lt;${k} or “suppressed”.</p>
</body></html>
`;
}

const share = (v: number | null, k: number) => (v === null ? `<span class="muted">&lt;${k} patients</span>` : `${(v * 100).toFixed(1)}%`);
