import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClinferError, isClinferError } from '../errors/index.js';
import { combineReports, NETWORK_FORMAT } from '../validation/combine.js';
import { readDataset } from '../validation/dataset.js';
import { renderNetworkHtml } from '../validation/network-html.js';
import { buildReport, REPORT_FORMAT, type ValidationReport } from '../validation/report.js';
import { renderReportHtml } from '../validation/report-html.js';
import { publicKeyFrom, signDocument, verifyDocument } from '../validation/report-sign.js';
import { scoreDataset } from '../validation/score-dataset.js';
import { CLINFER_VERSION, loadServedModel } from '../validation/served-model.js';
import { DEFAULT_MIN_CELL } from '../validation/suppression.js';

const USAGE = `usage: clinfer validate --models DIR --model NAME [--version V] --data FILE --label COLUMN --key SITE.key --out DIR
                        [--site NAME] [--group COLUMN ...] [--missing-code FEATURE=VALUE ...] [--min-cell K] [--tolerance T]
         runs the bundle over a labelled local data set (CSV or JSON records) and writes a signed report.json
         and a self-contained report.html: ROC/PR AUC, calibration, sensitivity/specificity/PPV/NPV at the
         bundle's operating point, by subgroup, data quality, and whether it performs as declared
  --key SITE.key           the site's Ed25519 private key (clinfer bundle keygen)
  --group COLUMN           a column to report subgroups by (besides sex and age bands); repeatable
  --missing-code F=V       the data set's code for "not recorded" in feature F (e.g. chol=0); repeatable
  --min-cell K             smallest count of patients shown (default ${DEFAULT_MIN_CELL}); smaller cells are suppressed
  --tolerance T            how far below the declared figures still counts as "as declared" (default: the bundle's, else 0.05)
       clinfer validate verify REPORT.json --key SITE.pub ...         checks a report's signature
       clinfer validate combine REPORT.json ... --key SITE.pub ... --out DIR [--sign-key NETWORK.key]
         the network's view: per-site figures, forest plots, random-effects pooled AUC (refuses reports of
         another bundle digest or with a bad signature)
(docs/validation.md)`;

type Out = { log: (line: string) => void; err: (line: string) => void; progress?: (line: string, final: boolean) => void };
const defaultOut: Out = {
  log: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  progress: (l, final) => process.stderr.write(process.stderr.isTTY ? `\r${l}${final ? '\n' : ''}` : l + '\n'),
};

/** `clinfer validate ...`: returns the exit code (0 done / report valid, 1 failed / invalid, 2 bad usage). */
export async function validateCommand(args: string[], out: Out = defaultOut): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        models: { type: 'string' }, model: { type: 'string' }, version: { type: 'string' }, data: { type: 'string' }, label: { type: 'string' },
        group: { type: 'string', multiple: true }, out: { type: 'string' }, site: { type: 'string' }, key: { type: 'string', multiple: true },
        'sign-key': { type: 'string' }, 'missing-code': { type: 'string', multiple: true }, 'min-cell': { type: 'string' }, tolerance: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    out.err(`clinfer validate: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.log(USAGE);
    return 0;
  }
  const usage = (why: string) => {
    out.err(`clinfer validate: ${why}\n${USAGE}`);
    return 2;
  };
  try {
    const [sub, ...files] = positionals;
    if (sub === 'verify') {
      if (files.length !== 1 || !values.key?.length) return usage('verify takes one REPORT.json and at least one --key PUBLIC.pem');
      const report = readJson(files[0]!);
      const format = (report as { format?: unknown } | null)?.format;
      if (format !== REPORT_FORMAT && format !== NETWORK_FORMAT) throw new ClinferError('REPORT_INVALID', `${files[0]}: is not a ${REPORT_FORMAT} or ${NETWORK_FORMAT} document`);
      const keyId = verifyDocument(report as ValidationReport, trustedKeys(values.key), files[0]!);
      const r = report as ValidationReport;
      out.log(`ok: ${files[0]} is signed by key ${keyId}: ${format === REPORT_FORMAT ? `site ${r.site}` : 'network report'}, ${r.bundle?.name} version ${r.bundle?.version} (bundle digest ${r.bundle?.digest})`);
      return 0;
    }
    if (sub === 'combine') {
      if (files.length === 0 || !values.key?.length || !values.out) return usage('combine takes REPORT.json files, --key PUBLIC.pem for the sites, and --out DIR');
      let network = combineReports(files.map((file) => ({ file, report: readJson(file) })), trustedKeys(values.key), { version: CLINFER_VERSION, now: new Date() });
      if (values['sign-key']) network = signDocument(network, readText(values['sign-key'], '--sign-key'));
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, 'network.json'), JSON.stringify(network, null, 2) + '\n');
      writeFileSync(join(values.out, 'network.html'), renderNetworkHtml(network));
      const p = network.pooled_roc_auc;
      for (const s of network.sites) out.log(`${s.site}: ROC AUC ${s.roc_auc.value === null ? 'suppressed' : `${s.roc_auc.value.toFixed(3)} (${s.roc_auc.ci![0].toFixed(3)}-${s.roc_auc.ci![1].toFixed(3)})`}; ${s.verdict.replace(/_/g, ' ')}`);
      out.log(p ? `pooled ROC AUC ${p.value.toFixed(3)} (${p.ci[0].toFixed(3)}-${p.ci[1].toFixed(3)}) over ${p.sites} sites, I² ${(p.i2 * 100).toFixed(0)}%, τ² ${p.tau2.toFixed(4)}` : 'no AUC could be pooled');
      out.log(`wrote ${join(values.out, 'network.json')} and network.html`);
      return 0;
    }
    if (sub !== undefined) return usage(`unknown subcommand '${sub.slice(0, 40)}'`);
    for (const flag of ['models', 'model', 'data', 'label', 'out'] as const) if (!values[flag]) return usage(`--${flag} is required`);
    if (values.key?.length !== 1) return usage('--key SITE.key (the site\'s Ed25519 private key, clinfer bundle keygen) is required once: the report is signed');
    const minCell = values['min-cell'] === undefined ? DEFAULT_MIN_CELL : Number(values['min-cell']);
    if (!Number.isInteger(minCell) || minCell < 1 || minCell > 1000) return usage(`--min-cell must be an integer from 1 to 1000, got '${values['min-cell']!.slice(0, 20)}'`);
    const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
    if (tolerance !== undefined && !(tolerance >= 0 && tolerance <= 1)) return usage(`--tolerance must be a number from 0 to 1, got '${values.tolerance!.slice(0, 20)}'`);
    const missingCodes = new Map<string, number>();
    for (const entry of values['missing-code'] ?? []) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?[0-9.]+)$/.exec(entry);
      if (!m || !Number.isFinite(Number(m[2]))) return usage(`--missing-code must be FEATURE=NUMBER (e.g. chol=0), got '${entry.slice(0, 40)}'`);
      missingCodes.set(m[1]!, Number(m[2]));
    }
    const privateKey = readText(values.key[0]!, '--key');
    const data = readDataset(values.data!);
    const model = await loadServedModel(values.models!, values.model!, values.version);
    try {
      const features = new Set(model.config.tabular.features.map((f) => f.name));
      for (const name of missingCodes.keys()) if (!features.has(name)) throw new ClinferError('INVALID_INPUT', `--missing-code ${name}: not a feature of ${model.config.name} (${[...features].join(', ')})`);
      for (const column of [values.label!, ...(values.group ?? [])]) {
        if (!data.columns.includes(column)) throw new ClinferError('INVALID_INPUT', `${column === values.label ? '--label' : '--group'} ${column.slice(0, 40)}: no such column in ${values.data} (columns: ${data.columns.join(', ').slice(0, 300)})`);
      }
      const absent = [...features].filter((f) => !data.columns.includes(f));
      if (absent.length) out.err(`warning: ${values.data} has no column for ${absent.join(', ')}: imputed or refused as the server would for every row`);
      const scored = await scoreDataset(model, data, {
        label: values.label!, missingCodes, batchSize: Math.max(1, model.config.maxBatchSize || 1),
        onProgress: (done, total) => out.progress?.(progressBar(done, total), done === total),
      });
      const report = signDocument(buildReport(model, data, scored, {
        site: values.site ?? 'site', label: values.label!, groups: values.group ?? [], minCell, tolerance, missingCodes,
        dataFile: values.data!, version: CLINFER_VERSION, now: new Date(),
      }), privateKey);
      mkdirSync(values.out!, { recursive: true });
      writeFileSync(join(values.out!, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      writeFileSync(join(values.out!, 'report.html'), renderReportHtml(report));
      const auc = report.overall.roc_auc;
      out.log(`${report.site}: ${scored.scores.length} of ${scored.rows} rows scored; ROC AUC ${auc.value === null ? `suppressed (${auc.suppressed})` : `${auc.value.toFixed(3)} (95% CI ${auc.ci![0].toFixed(3)}-${auc.ci![1].toFixed(3)})`}`);
      out.log(report.declared.statement);
      out.log(`wrote ${join(values.out!, 'report.json')} (signed, key ${report.signature!.key_id}) and report.html`);
      return 0;
    } finally {
      await model.release();
    }
  } catch (error) {
    out.err(`clinfer validate: ${isClinferError(error) || (error as NodeJS.ErrnoException).code ? (error as Error).message : String(error)}`);
    return 1;
  }
}

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `scoring [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} rows`;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClinferError('INVALID_INPUT', `${flag} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readText(path, 'report'));
  } catch (error) {
    if (isClinferError(error)) throw error;
    throw new ClinferError('REPORT_INVALID', `${path}: is not valid JSON (${(error as Error).message})`);
  }
}

function trustedKeys(paths: readonly string[]) {
  return paths.map((p) => publicKeyFrom(readText(p, '--key'), `--key ${p}`));
}

