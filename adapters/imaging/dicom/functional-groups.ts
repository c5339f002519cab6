import type { DataSet } from './data-set.js';
import { Tag } from './tags.js';
import { readItems } from './values.js';

/**
 * Enhanced multi-frame objects (PS3.3 C.7.6.16) keep per-frame attributes (rescale, window, spacing,
 * position) in functional group macros rather than at the top level. This finds the data set that holds
 * an attribute for one frame: the frame's own group, else the shared group, else the top level.
 */
export function frameAttributeSource(dataSet: DataSet, macroTag: number, attributeTag: number, frameIndex: number): DataSet {
  const perFrame = readItems(dataSet, Tag.PerFrameFunctionalGroupsSequence)[frameIndex];
  const shared = readItems(dataSet, Tag.SharedFunctionalGroupsSequence)[0];
  for (const group of [perFrame, shared]) {
    const macro = group ? readItems(group, macroTag)[0] : undefined;
    if (macro?.elements.has(attributeTag)) return macro;
  }
  return dataSet;
}
