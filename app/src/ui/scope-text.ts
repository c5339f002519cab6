import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import { ageInYears, parseInputScope, type InputScope, type ScopeFinding } from '../../../adapters/imaging/input-scope.js';
import { h } from './dom.js';
import type { ViewContext } from './view-context.js';

/**
 * The input-scope findings (adapters/imaging/input-scope.ts, the server's check) in words a clinician
 * reads: what the file says, what the model was made for, in the page's language. The check's own
 * English sentences stay the API's (error message, JSON notes).
 */
export function scopeList(rawScope: unknown, info: DicomInstanceInfo | undefined, findings: readonly ScopeFinding[], ctx: ViewContext, id?: string): HTMLElement {
  let scope: InputScope | undefined;
  try {
    scope = parseInputScope(rawScope);
  } catch {
    scope = undefined;
  }
  return h('ul', { class: 'scope-list', ...(id ? { id } : {}) }, findings.map((f) => h('li', { 'data-condition': f.condition }, scopeSentence(f, scope, info, ctx))));
}

function scopeSentence(finding: ScopeFinding, scope: InputScope | undefined, info: DicomInstanceInfo | undefined, ctx: ViewContext): string {
  const { t, fmt } = ctx;
  const fields = t.headerFields;
  const list = (values: readonly string[] | undefined) => (values ?? []).join(', ');
  const among = (what: string, found: string | undefined, expected: readonly string[] | undefined) =>
    (found?.trim() ? t.scopeLine(what, found.trim(), list(expected)) : t.scopeUnknown(what, list(expected)));
  switch (finding.condition) {
    case 'modality': return among(fields.modality!, info?.modality, scope?.modalities);
    case 'body_part': return among(fields.bodyPart!, info?.bodyPartExamined, scope?.body_parts);
    case 'view_position': return among(fields.view!, info?.viewPosition, scope?.view_positions);
    case 'photometric_interpretation': return among('Photometric Interpretation', info?.image?.photometricInterpretation, scope?.photometric_interpretations);
    case 'size': {
      const found = info?.image ? `${info.image.columns} × ${info.image.rows}` : '?';
      return t.scopeSize(found, `${scope?.min_columns ?? 1} × ${scope?.min_rows ?? 1}`);
    }
    case 'patient_age': {
      const ages = scope?.patient_age_years;
      const years = info ? ageInYears(info) : undefined;
      const expected = ages ? [ages.min, ages.max].map((v) => (v === undefined ? '…' : fmt.number(v))).join('–') : '';
      return years === undefined ? t.scopeUnknown(t.scopeAge, t.ageYears(expected)) : t.scopeLine(t.scopeAge, t.ageYears(fmt.number(Math.floor(years))), t.ageYears(expected));
    }
    default: return finding.message;
  }
}
