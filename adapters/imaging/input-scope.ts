import { z } from 'zod';
import type { DicomInstanceInfo } from './dicom-info.js';
import type { ScopeNote } from './image-prediction.js';

/**
 * The inputs an imaging model was made for (bundle.json `input_scope`), and the one check of a decoded image
 * against them. Pure: the server (predict, STOW-RS, C-STORE routing) and the browser app run this same file,
 * so a clinician sees the refusal or warning the server would give.
 *
 * Header conditions (modality, body part, view position, photometric interpretation, patient age) are read
 * from the DICOM header; the size condition from the decoded image. A PNG, JPEG, TIFF or WebP image has no
 * header: its header conditions are reported as not checked (never a refusal), the size condition applies.
 * A DICOM instance that lacks an attribute is treated the same way: that condition is not checked.
 */

const codeStrings = z.array(z.string().regex(/^[A-Z0-9 _]{1,16}$/, 'a DICOM code string (A-Z, 0-9, space, _; at most 16)')).min(1);

export const inputScopeSchema = z.strictObject({
  /** Modality (0008,0060), e.g. ["CR", "DX"]. */
  modalities: codeStrings.optional(),
  /** Body Part Examined (0018,0015), e.g. ["CHEST"]. */
  body_parts: codeStrings.optional(),
  /** View Position (0018,5101), e.g. ["AP", "PA"]. */
  view_positions: codeStrings.optional(),
  /** Photometric Interpretation (0028,0004), e.g. ["MONOCHROME1", "MONOCHROME2"]. */
  photometric_interpretations: codeStrings.optional(),
  /** Smallest image the model was made for: rows (height) and columns (width) of the decoded image. */
  min_rows: z.number().int().min(1).optional(),
  min_columns: z.number().int().min(1).optional(),
  /** Patient age in completed years, both bounds inclusive: from Patient's Age (0010,1010), else birth and study dates. */
  patient_age_years: z.strictObject({ min: z.number().min(0).optional(), max: z.number().min(0).optional() })
    .refine((a) => a.min === undefined || a.max === undefined || a.min <= a.max, 'min must not exceed max')
    .optional(),
});

export type InputScope = z.infer<typeof inputScopeSchema>;
export type OutOfScopePolicy = 'refuse' | 'warn';
export type ScopeCondition = 'modality' | 'body_part' | 'view_position' | 'photometric_interpretation' | 'size' | 'patient_age';

/** One condition the image fails, or could not be checked against. */
export interface ScopeFinding {
  readonly condition: ScopeCondition;
  readonly message: string;
}

export interface ScopeCheck {
  /** Conditions the image fails. */
  readonly outOfScope: ScopeFinding[];
  /** Conditions that could not be checked: no DICOM header (PNG, JPEG...) or the attribute is absent. */
  readonly notChecked: ScopeFinding[];
}

/** What the check reads: the DICOM header when there is one, and the decoded image's size. */
export interface ImageFacts {
  /** 'dicom', or the name of a headerless format ('PNG', 'JPEG', 'TIFF', 'WebP'). */
  readonly format: string;
  readonly info: DicomInstanceInfo | undefined;
  readonly width: number;
  readonly height: number;
}

/** Parses a bundle's `input_scope` (the browser app reads bundle.json itself). Throws Error('input_scope.field: message'). */
export function parseInputScope(raw: unknown): InputScope | undefined {
  if (raw === undefined) return undefined;
  const parsed = inputScopeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`input_scope.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export function parseOutOfScopePolicy(raw: unknown): OutOfScopePolicy {
  if (raw === undefined) return 'refuse';
  if (raw === 'refuse' || raw === 'warn') return raw;
  throw new Error(`out_of_scope: expected "refuse" or "warn", got ${JSON.stringify(raw)?.slice(0, 40)}`);
}

const list = (values: readonly string[]) => values.join(', ');

/** Checks one image against the scope. Each finding names the attribute, the value found and what the model expects. */
export function checkInputScope(scope: InputScope | undefined, facts: ImageFacts): ScopeCheck {
  const outOfScope: ScopeFinding[] = [];
  const notChecked: ScopeFinding[] = [];
  if (!scope) return { outOfScope, notChecked };
  const header = facts.info;
  const unknown = (condition: ScopeCondition, attribute: string, expected: string) => notChecked.push({
    condition,
    message: header
      ? `${attribute} is not in the DICOM header, so it was not checked (the model expects ${expected})`
      : `${attribute} cannot be checked: a ${facts.format} image has no DICOM header (the model expects ${expected})`,
  });
  const among = (condition: ScopeCondition, attribute: string, value: string | undefined, allowed: readonly string[] | undefined) => {
    if (!allowed) return;
    const found = value?.trim().toUpperCase();
    if (!found) unknown(condition, attribute, list(allowed));
    else if (!allowed.includes(found)) outOfScope.push({ condition, message: `${attribute} ${found} is not among ${list(allowed)}` });
  };
  among('modality', 'Modality', header?.modality, scope.modalities);
  among('body_part', 'Body Part Examined', header?.bodyPartExamined, scope.body_parts);
  among('view_position', 'View Position', header?.viewPosition, scope.view_positions);
  among('photometric_interpretation', 'Photometric Interpretation', header?.image?.photometricInterpretation, scope.photometric_interpretations);

  const rows = header?.image?.rows ?? facts.height;
  const columns = header?.image?.columns ?? facts.width;
  if ((scope.min_rows !== undefined && rows < scope.min_rows) || (scope.min_columns !== undefined && columns < scope.min_columns)) {
    outOfScope.push({ condition: 'size', message: `the image is ${columns}x${rows} (columns x rows), smaller than the ${scope.min_columns ?? 1}x${scope.min_rows ?? 1} the model was made for` });
  }

  const ages = scope.patient_age_years;
  if (ages && (ages.min !== undefined || ages.max !== undefined)) {
    const expected = ages.min !== undefined && ages.max !== undefined ? `${ages.min} to ${ages.max} years` : ages.min !== undefined ? `at least ${ages.min} years` : `at most ${ages.max} years`;
    const years = header ? ageInYears(header) : undefined;
    if (years === undefined) unknown('patient_age', "Patient's age", expected);
    else if ((ages.min !== undefined && years < ages.min) || (ages.max !== undefined && Math.floor(years) > ages.max)) {
      // The age itself stays out of the message: messages reach logs and dead-letter reasons (no patient data there).
      outOfScope.push({ condition: 'patient_age', message: `the patient's age is outside the ${expected} the model was made for` });
    }
  }
  return { outOfScope, notChecked };
}

/** Age in years: Patient's Age (AS, e.g. 004Y, 018M, 010W, 003D), else Patient's Birth Date to Study Date. */
export function ageInYears(info: DicomInstanceInfo): number | undefined {
  const as = /^(\d{3})([DWMY])$/.exec(info.patient.age?.trim() ?? '');
  if (as) {
    const n = Number(as[1]);
    return as[2] === 'Y' ? n : as[2] === 'M' ? n / 12 : as[2] === 'W' ? (n * 7) / 365.25 : n / 365.25;
  }
  const birth = dateOf(info.patient.birthDate);
  const study = dateOf(info.study.date);
  if (!birth || !study || study.key < birth.key) return undefined;
  let years = study.y - birth.y;
  if (study.m < birth.m || (study.m === birth.m && study.d < birth.d)) years -= 1;
  // Completed years plus the fraction of the current one (enough for bounds in years).
  const monthsInto = (study.m - birth.m + 12) % 12;
  return years + monthsInto / 12;
}

function dateOf(value: string | undefined): { y: number; m: number; d: number; key: number } | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  return { y, m, d, key: y * 10000 + m * 100 + d };
}

/** The refusal text: each failed condition, joined. */
export function describeOutOfScope(findings: readonly ScopeFinding[]): string {
  return `outside the model's input scope: ${findings.map((f) => f.message).join('; ')}`;
}

/**
 * The answer's `out_of_scope` and `scope_not_checked` lists for the images of a request (index = place in
 * the request); empty lists are left out, so an answer without scope notes is unchanged.
 */
export function scopeNotes(checks: readonly ScopeCheck[]): { out_of_scope?: ScopeNote[]; scope_not_checked?: ScopeNote[] } {
  const notes = (pick: (c: ScopeCheck) => ScopeFinding[]) => checks.flatMap((check, index) => pick(check).map((f) => ({ source: { index }, condition: f.condition, message: f.message })));
  const outOfScope = notes((c) => c.outOfScope);
  const notChecked = notes((c) => c.notChecked);
  return { ...(outOfScope.length ? { out_of_scope: outOfScope } : {}), ...(notChecked.length ? { scope_not_checked: notChecked } : {}) };
}
