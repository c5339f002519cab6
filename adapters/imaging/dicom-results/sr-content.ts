import { codeItem } from './codes.js';
import type { Dataset } from './dictionary.js';
import type { CodedConcept } from './types.js';
import { formatDecimalString } from './values.js';

/** SR content items (PS3.3 C.17.3), one constructor per value type clinfer writes. */
export type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS ACQ CONTEXT';

/** What an IMAGE item or an evidence list points at. */
export interface ImageReference {
  readonly sopClassUID: string;
  readonly sopInstanceUID: string;
  /** 1-based frame numbers of a multi-frame image; absent for the whole image. */
  readonly frames?: readonly number[];
}

const named = (relationship: Relationship | undefined, valueType: string, name: CodedConcept | undefined): Dataset => ({
  RelationshipType: relationship,
  ValueType: valueType,
  ConceptNameCodeSequence: name ? [codeItem(name)] : undefined,
});

export function container(relationship: Relationship | undefined, name: CodedConcept, children: readonly Dataset[], templateId?: string): Dataset {
  return {
    ...named(relationship, 'CONTAINER', name),
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: templateId ? [{ MappingResource: 'DCMR', MappingResourceUID: '1.2.840.10008.8.1.1', TemplateIdentifier: templateId }] : undefined,
    ContentSequence: children.length > 0 ? children : undefined,
  };
}

export function text(relationship: Relationship, name: CodedConcept, value: string): Dataset {
  return { ...named(relationship, 'TEXT', name), TextValue: value };
}

export function code(relationship: Relationship, name: CodedConcept, value: CodedConcept, field?: string): Dataset {
  return { ...named(relationship, 'CODE', name), ConceptCodeSequence: [codeItem(value, field)] };
}

export function uidRef(relationship: Relationship, name: CodedConcept, uid: string): Dataset {
  return { ...named(relationship, 'UIDREF', name), UID: uid };
}

/** A NUM item; the exact value goes in Floating Point Value beside the 16-character decimal string. */
export function num(relationship: Relationship, name: CodedConcept, value: number, unit: CodedConcept, field: string, children: readonly Dataset[] = []): Dataset {
  return {
    ...named(relationship, 'NUM', name),
    MeasuredValueSequence: [{
      NumericValue: formatDecimalString(value, field),
      FloatingPointValue: value,
      MeasurementUnitsCodeSequence: [codeItem(unit)],
    }],
    ContentSequence: children.length > 0 ? children : undefined,
  };
}

export function image(relationship: Relationship, name: CodedConcept | undefined, reference: ImageReference): Dataset {
  return {
    ...named(relationship, 'IMAGE', name),
    ReferencedSOPSequence: [referencedSop(reference)],
  };
}

export function referencedSop(reference: ImageReference): Dataset {
  return {
    ReferencedSOPClassUID: reference.sopClassUID,
    ReferencedSOPInstanceUID: reference.sopInstanceUID,
    ReferencedFrameNumber: reference.frames && reference.frames.length > 0 ? reference.frames : undefined,
  };
}
