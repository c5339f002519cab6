import { randomUUID } from 'node:crypto';
import type { Contribution } from '../tabular/explain.js';
import { horizonText, type PredictionHorizon } from '../tabular/horizon.js';
import { translate, type Language } from '../tabular/language.js';
import type { FeatureSpec, TabularSpec } from '../tabular/tabular-spec.js';
import type { CdsHooksDeclaration } from './cds-service.js';

export interface CardInput {
  readonly declaration: CdsHooksDeclaration;
  readonly spec: TabularSpec;
  readonly model: { name: string; version: string; cardUrl: string; digest?: string; horizon?: PredictionHorizon | undefined };
  readonly probability: number;
  readonly outcomeText: string;
  readonly contributions: readonly Contribution[];
  readonly imputed: readonly string[];
  /** An input used was preliminary. */
  readonly preliminary: boolean;
  readonly language: Language;
}

const TEXT = {
  summary: { en: 'risk', fr: 'risque', de: 'Risiko' },
  contributions: { en: 'Largest contributions (log-odds, relative to the training average)', fr: 'Contributions principales (log-odds, par rapport à la moyenne d\'entraînement)', de: 'Größte Beiträge (Log-Odds, relativ zum Trainingsmittel)' },
  imputed: { en: 'Not found in the record, imputed by the model', fr: 'Absents du dossier, imputés par le modèle', de: 'Nicht in der Akte, vom Modell imputiert' },
  notDevice: { en: 'Decision support only; check the model card for its intended use and limits.', fr: 'Aide à la décision uniquement ; voir la fiche du modèle pour son usage prévu et ses limites.', de: 'Nur Entscheidungsunterstützung; Zweckbestimmung und Grenzen siehe Modellkarte.' },
  feature: { en: 'Feature', fr: 'Variable', de: 'Merkmal' },
  value: { en: 'Value', fr: 'Valeur', de: 'Wert' },
  effect: { en: 'Effect', fr: 'Effet', de: 'Effekt' },
  yes: { en: 'yes', fr: 'oui', de: 'ja' },
  no: { en: 'no', fr: 'non', de: 'nein' },
  preliminary: { en: 'Computed from preliminary results.', fr: 'Calculé à partir de résultats préliminaires.', de: 'Aus vorläufigen Befunden berechnet.' },
  insufficient: { en: 'Risk not computed: too little recorded data', fr: 'Risque non calculé : trop peu de données au dossier', de: 'Risiko nicht berechnet: zu wenige Daten in der Akte' },
} as const;

/** One CDS Hooks card: summary under 140 characters, Markdown detail, indicator from the bundle's thresholds. */
export function riskCard(input: CardInput): Record<string, unknown> {
  const { declaration, language } = input;
  const pct = Math.round(input.probability * 100);
  const t = declaration.indicator_thresholds;
  const indicator = input.probability >= t.critical ? 'critical' : input.probability >= t.warning ? 'warning' : 'info';
  const within = input.model.horizon ? ` ${horizonText(input.model.horizon, language)}` : '';
  const summary = `${input.outcomeText} ${TEXT.summary[language]}${within}: ${pct}%`.slice(0, 139);
  const label = (name: string) => translate(input.spec.features.find((f) => f.name === name)?.label, language, name);
  const shown = (c: Contribution) => displayValue(input.spec.features.find((f) => f.name === c.feature), c.value, language);
  const rows = input.contributions.map((c) => `| ${label(c.feature)} | ${shown(c)}${c.imputed ? ' *' : ''} | ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)} |`);
  const detail = [
    `**${input.outcomeText}${within}: ${pct}%** (${input.model.name} v${input.model.version})`,
    '',
    ...(rows.length ? [`${TEXT.contributions[language]}:`, '', `| ${TEXT.feature[language]} | ${TEXT.value[language]} | ${TEXT.effect[language]} |`, '|---|---|---|', ...rows, ''] : []),
    ...(input.imputed.length ? [`\\* ${TEXT.imputed[language]}: ${input.imputed.map(label).join(', ')}`, ''] : []),
    ...(input.preliminary ? [TEXT.preliminary[language], ''] : []),
    TEXT.notDevice[language],
    ...(input.model.digest ? ['', `<sub>bundle sha256 ${input.model.digest}</sub>`] : []),
  ].join('\n');
  return {
    uuid: randomUUID(),
    summary,
    detail,
    indicator,
    source: { label: `clinfer ${input.model.name} v${input.model.version}`, url: input.model.cardUrl },
  };
}

/**
 * A card for a patient with less recorded data than the model needs: which data to record, in the
 * clinician's language (the text comes from describeShortfall).
 */
export function insufficientDataCard(model: { name: string; version: string; cardUrl: string }, detail: string, language: Language): Record<string, unknown> {
  return {
    uuid: randomUUID(),
    summary: TEXT.insufficient[language],
    detail: `${detail}.\n\n${TEXT.notDevice[language]}`,
    indicator: 'info',
    source: { label: `clinfer ${model.name} v${model.version}`, url: model.cardUrl },
  };
}

/** A value as a clinician reads it: a category's name (value_labels, else its encoding name), yes/no, or the number. */
export function displayValue(feature: FeatureSpec | undefined, v: number, language: Language): string {
  if (feature?.type === 'boolean' && (v === 0 || v === 1)) return TEXT[v === 1 ? 'yes' : 'no'][language];
  if (feature?.type === 'category') {
    const named = feature.value_labels?.[String(v)];
    if (named) return translate(named, language, String(v));
    const name = Object.entries(feature.encoding ?? {}).find(([, code]) => code === v)?.[0];
    if (name) return name.replace(/_/g, ' ');
  }
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
