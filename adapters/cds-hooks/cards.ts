import { randomUUID } from 'node:crypto';
import type { Contribution } from '../tabular/explain.js';
import { horizonText, type PredictionHorizon } from '../tabular/horizon.js';
import { translate, type Language } from '../tabular/language.js';
import type { TabularSpec } from '../tabular/tabular-spec.js';
import type { CdsHooksDeclaration } from './cds-service.js';

export interface CardInput {
  readonly declaration: CdsHooksDeclaration;
  readonly spec: TabularSpec;
  readonly model: { name: string; version: string; cardUrl: string; digest?: string; horizon?: PredictionHorizon | undefined };
  readonly probability: number;
  readonly outcomeText: string;
  readonly contributions: readonly Contribution[];
  readonly imputed: readonly string[];
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
  const rows = input.contributions.map((c) => `| ${label(c.feature)} | ${formatValue(c.value)}${c.imputed ? ' *' : ''} | ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)} |`);
  const detail = [
    `**${input.outcomeText}${within}: ${pct}%** (${input.model.name} v${input.model.version})`,
    '',
    ...(rows.length ? [`${TEXT.contributions[language]}:`, '', `| ${TEXT.feature[language]} | ${TEXT.value[language]} | ${TEXT.effect[language]} |`, '|---|---|---|', ...rows, ''] : []),
    ...(input.imputed.length ? [`\\* ${TEXT.imputed[language]}: ${input.imputed.map(label).join(', ')}`, ''] : []),
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

const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
