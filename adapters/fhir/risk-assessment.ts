import { randomUUID } from 'node:crypto';
import type { Contribution } from '../tabular/explain.js';
import type { Language } from '../tabular/language.js';
import { horizonEnd, type PredictionHorizon } from '../tabular/horizon.js';
import type { ModelIdentity } from '../model-identity.js';
import type { LocatedIssue } from './extract-patients.js';

export interface RiskModelIdentity extends ModelIdentity {
  /** bundle.json's prediction_horizon: the prediction's whenPeriod runs from the reference time to its end. */
  readonly horizon?: PredictionHorizon | undefined;
}

export interface PatientPrediction {
  readonly reference: string;
  readonly probability: number;
  readonly basis: readonly string[];
  readonly outcomeText: string;
  readonly contributions: readonly Contribution[];
  /** `preliminary` when an input used was preliminary (see extract-patients.ts). */
  readonly status: 'final' | 'preliminary';
  /** Features not found in the record and imputed. */
  readonly imputed: readonly string[];
  /** The language of the notes (default English); feature names stay as in bundle.json. */
  readonly language?: Language;
}

const NOTES = {
  en: { contributions: 'Largest contributions to the log-odds (relative to the training average)', imputedMark: 'imputed', imputed: 'Not found in the record, imputed', preliminary: 'Computed from preliminary results.' },
  fr: { contributions: 'Contributions principales au log-odds (par rapport à la moyenne d\'entraînement)', imputedMark: 'imputé', imputed: 'Absents du dossier, imputés', preliminary: 'Calculé à partir de résultats préliminaires.' },
  de: { contributions: 'Größte Beiträge zu den Log-Odds (relativ zum Trainingsmittel)', imputedMark: 'imputiert', imputed: 'Nicht in der Akte, imputiert', preliminary: 'Aus vorläufigen Befunden berechnet.' },
} as const;

export interface OutcomeCoding {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

/** The code system under which clinfer names the model that produced a RiskAssessment. */
export const MODEL_SYSTEM = 'urn:clinfer:model';

/**
 * Extension on a RiskAssessment, once per feature that was not found in the record and was imputed
 * (valueString: the feature's name in bundle.json). docs/tabular.md describes it.
 */
export const IMPUTED_FEATURE_EXTENSION = 'urn:clinfer:fhir:extension:imputed-feature';

/** One FHIR R4 RiskAssessment (status from its inputs, method naming the model and version, basis, prediction, imputed features). */
export function riskAssessment(model: RiskModelIdentity, p: PatientPrediction, outcome: OutcomeCoding | undefined, occurrence: string): Record<string, unknown> {
  const t = NOTES[p.language ?? 'en'];
  const top = p.contributions.map((c) => `${c.feature} ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)}${c.imputed ? ` (${t.imputedMark})` : ''}`).join(', ');
  const notes = [
    ...(top ? [`${t.contributions}: ${top}.`] : []),
    ...(p.imputed.length ? [`${t.imputed}: ${p.imputed.join(', ')}.`] : []),
    ...(p.status === 'preliminary' ? [t.preliminary] : []),
  ];
  return {
    resourceType: 'RiskAssessment',
    id: randomUUID(),
    ...(p.imputed.length ? { extension: p.imputed.map((name) => ({ url: IMPUTED_FEATURE_EXTENSION, valueString: name })) } : {}),
    status: p.status,
    subject: { reference: p.reference },
    occurrenceDateTime: occurrence,
    method: {
      coding: [{ system: MODEL_SYSTEM, code: model.name, version: model.version, display: `${model.name} version ${model.version}` }],
      text: `clinfer model ${model.name} version ${model.version}${model.digest ? ` (bundle sha256 ${model.digest})` : ''}${model.description ? `: ${model.description}` : ''}`,
    },
    basis: p.basis.map((reference) => ({ reference })),
    prediction: [{
      outcome: { ...(outcome ? { coding: [{ system: outcome.system, code: outcome.code, ...(outcome.display ? { display: outcome.display } : {}) }] } : {}), text: p.outcomeText },
      probabilityDecimal: roundProbability(p.probability),
      ...(model.horizon ? { whenPeriod: { start: occurrence, end: horizonEnd(new Date(occurrence), model.horizon).toISOString() } } : {}),
    }],
    ...(notes.length ? { note: notes.map((text) => ({ text })) } : {}),
  };
}

export function operationOutcome(issues: readonly LocatedIssue[]): Record<string, unknown> {
  return {
    resourceType: 'OperationOutcome',
    id: randomUUID(),
    issue: issues.map((i) => ({
      severity: i.severity,
      code: i.code,
      diagnostics: i.message,
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}

/** The answer: a collection Bundle of the RiskAssessments, then an OperationOutcome when there is anything to say. */
export function resultBundle(resources: readonly Record<string, unknown>[], timestamp: string): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'collection',
    timestamp,
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id as string}`, resource })),
  };
}

function roundProbability(p: number): number {
  return Math.min(1, Math.max(0, Math.round(p * 1e6) / 1e6));
}
