/**
 * What kind of object a SOP class is, in words, for the refusal of an object that has no pixel data
 * ("this is an SR document"). Only the families a hospital PACS commonly holds without pixels are named.
 */
const exact = new Map<string, string>([
  ['1.2.840.10008.5.1.4.1.1.481.2', 'an RT Dose'],
  ['1.2.840.10008.5.1.4.1.1.481.3', 'an RT Structure Set'],
  ['1.2.840.10008.5.1.4.1.1.481.4', 'an RT Beams Treatment Record'],
  ['1.2.840.10008.5.1.4.1.1.481.5', 'an RT Plan'],
  ['1.2.840.10008.5.1.4.1.1.481.6', 'an RT Brachy Treatment Record'],
  ['1.2.840.10008.5.1.4.1.1.481.7', 'an RT Treatment Summary Record'],
  ['1.2.840.10008.5.1.4.1.1.481.8', 'an RT Ion Plan'],
  ['1.2.840.10008.5.1.4.1.1.481.9', 'an RT Ion Beams Treatment Record'],
  ['1.2.840.10008.5.1.4.1.1.9.1.1', 'a 12-lead ECG waveform'],
  ['1.2.840.10008.5.1.4.1.1.9.1.2', 'a general ECG waveform'],
  ['1.2.840.10008.5.1.4.1.1.9.1.3', 'an ambulatory ECG waveform'],
  ['1.2.840.10008.5.1.4.1.1.9.2.1', 'a hemodynamic waveform'],
  ['1.2.840.10008.5.1.4.1.1.9.3.1', 'a cardiac electrophysiology waveform'],
  ['1.2.840.10008.5.1.4.1.1.9.4.1', 'a basic voice audio waveform'],
  ['1.2.840.10008.5.1.4.1.1.88.59', 'a Key Object Selection document'],
  ['1.2.840.10008.5.1.4.1.1.104.1', 'an encapsulated PDF'],
  ['1.2.840.10008.5.1.4.1.1.104.2', 'an encapsulated CDA document'],
  ['1.2.840.10008.5.1.4.1.1.66', 'a Raw Data object'],
  ['1.2.840.10008.5.1.4.1.1.66.1', 'a Spatial Registration'],
  ['1.2.840.10008.5.1.4.1.1.66.3', 'a Deformable Spatial Registration'],
  ['1.2.840.10008.5.1.4.1.1.66.5', 'a Surface Segmentation'],
  ['1.2.840.10008.5.1.4.1.1.67', 'a Real World Value Mapping'],
  ['1.2.840.10008.1.3.10', 'a Media Storage Directory (DICOMDIR)'],
]);

const families: ReadonlyArray<readonly [string, string]> = [
  ['1.2.840.10008.5.1.4.1.1.88.', 'an SR document'],
  ['1.2.840.10008.5.1.4.1.1.11.', 'a Presentation State'],
  ['1.2.840.10008.5.1.4.1.1.9.', 'a waveform'],
];

/** "an SR document", or undefined for a SOP class this table does not know. */
export function describeSopClass(uid: string): string | undefined {
  return exact.get(uid) ?? families.find(([prefix]) => uid.startsWith(prefix))?.[1];
}
