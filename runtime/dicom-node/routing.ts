import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import type { DicomRoute } from '../config/config-schema.js';

/**
 * The routing rules that match an instance: each condition a rule gives must hold (modality, SOP class,
 * body part, series description pattern); a rule with no condition matches everything. Every matching
 * rule runs, so one study can feed several models.
 */
export function routesFor(info: DicomInstanceInfo, rules: readonly DicomRoute[]): DicomRoute[] {
  return rules.filter((rule) => {
    if (rule.modality && !rule.modality.includes((info.modality ?? '').toUpperCase())) return false;
    if (rule.sopClassUid && !rule.sopClassUid.includes(info.sopClassUID)) return false;
    if (rule.bodyPart && !rule.bodyPart.includes((info.bodyPartExamined ?? '').toUpperCase())) return false;
    if (rule.seriesDescription && !new RegExp(rule.seriesDescription, 'i').test(info.seriesDescription ?? '')) return false;
    return true;
  });
}
