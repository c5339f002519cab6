import { buildClassificationSr } from '../../adapters/imaging/dicom-results/index.js';
import type { ResultLabel } from '../../adapters/imaging/dicom-results/index.js';
import type { StudyResult } from './process-instances.js';

const UNDECLARED = 'Regulatory status not declared by the model bundle: not for diagnostic use';

/**
 * One study's findings by one model as a DICOM Comprehensive SR (TID 1500 style, IHE AIR algorithm
 * identification), filed into the source study. Label texts in English: a PACS shows one language, and
 * the label codes carry the meaning.
 */
export function classificationReport(result: StudyResult, manufacturer: string, now = new Date()): Uint8Array {
  const bundle = result.version.config.bundle;
  const labelOf = (id: string, text: string): ResultLabel => {
    const code = bundle?.labels.find((l) => l.id === id)?.code;
    return code ? { id, text, code } : { id, text };
  };
  return buildClassificationSr({
    sources: result.sources,
    model: {
      name: result.version.name,
      version: result.version.version,
      description: bundle?.description ?? '',
      digest: result.version.config.digest,
      manufacturer,
      regulatoryStatus: bundle?.regulatory_status ?? UNDECLARED,
    },
    findings: result.findings.map(({ sourceIndex, prediction }) => ({
      sourceIndex,
      ...(prediction.source.frame !== undefined ? { frame: prediction.source.frame } : {}),
      label: labelOf(prediction.label.id, prediction.label.text),
      score: prediction.score,
      scores: prediction.scores.map((s) => ({ ...labelOf(s.id, s.text), score: s.score })),
    })),
    language: 'en',
    now,
  });
}
