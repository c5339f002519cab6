import { imageElements, part10, raw, sequence, text, words16, type Element } from './build-dicom.js';

/**
 * Synthetic projection radiographs for the input-scope tests (no patient data: made here). The default is
 * what the demo pneumonia model was made for: a paediatric (4-year-old) frontal chest CR; each option
 * rewrites one attribute, as a PACS would send an adult, a lateral view or another modality.
 * `npx tsx test/fixtures/dicom-scope/write-fixtures.ts` writes the .dcm files of test/fixtures/dicom-scope/.
 */
export interface ChestOptions {
  readonly modality?: string;
  readonly bodyPart?: string | null;
  readonly viewPosition?: string | null;
  /** Patient's Age (AS), e.g. 004Y; null leaves it out. */
  readonly age?: string | null;
  readonly birthDate?: string;
  readonly studyDate?: string;
  readonly size?: number;
  /** Distinguishes the UIDs of several files. */
  readonly serial?: number;
  /** Specific Character Set and the Patient's Name bytes in it (default ISO_IR 100, 'Test^Child'). */
  readonly charset?: string;
  readonly patientName?: Uint8Array;
}

const ROOT = '1.2.826.0.1.3680043.8.498.91';
const SOP_CLASS = { CR: '1.2.840.10008.5.1.4.1.1.1', DX: '1.2.840.10008.5.1.4.1.1.1.1' } as Record<string, string>;

export function chestRadiograph(options: ChestOptions = {}): Uint8Array {
  const size = options.size ?? 64;
  const serial = options.serial ?? 1;
  const modality = options.modality ?? 'CR';
  const pixels = Array.from({ length: size * size }, (_, i) => {
    const x = i % size;
    const y = Math.floor(i / size);
    // Two darker "lungs" in a brighter frame, 12-bit.
    const lung = Math.abs(x - size * 0.32) < size * 0.14 || Math.abs(x - size * 0.68) < size * 0.14;
    return lung && y > size * 0.15 && y < size * 0.85 ? 900 + ((x * 7 + y * 3) % 50) : 3000 - ((x + y) % 40);
  });
  const image = imageElements({ rows: size, columns: size, bitsAllocated: 16, bitsStored: 12 })
    .filter((e) => ![0x00080016, 0x00080018, 0x0020000d, 0x0020000e].includes(e.tag));
  const optional = (tag: number, vr: string, value: string | null | undefined): Element[] => (value ? [text(tag, vr, value)] : []);
  const sopClass = SOP_CLASS[modality] ?? '1.2.840.10008.5.1.4.1.1.7';
  const sopInstance = `${ROOT}.${serial}.1.1`;
  // A complete file meta group and the Type 2 attributes of the CR and DX IODs, so that PACS and toolkits take it as they would a real one.
  const meta = [text(0x00020002, 'UI', sopClass), text(0x00020003, 'UI', sopInstance), text(0x00020012, 'UI', '1.2.826.0.1.3680043.8.498.91.0'), text(0x00020013, 'SH', 'CLINFER_TEST')];
  const typeTwo = [
    text(0x00080030, 'TM', '101500'), text(0x00080050, 'SH', `ACC${serial}`), text(0x00080070, 'LO', 'clinfer test'), raw(0x00080090, 'PN', new Uint8Array(0)),
    text(0x00100040, 'CS', 'F'), text(0x00200010, 'SH', `S${serial}`), text(0x00200011, 'IS', '1'), text(0x00200013, 'IS', '1'),
    text(0x00200020, 'CS', 'L\\F'), ...(modality === 'DX' ? [text(0x00080068, 'CS', 'FOR PRESENTATION'), text(0x00080008, 'CS', 'ORIGINAL\\PRIMARY'), text(0x00281040, 'CS', 'LIN'), text(0x00282110, 'CS', '00'), text(0x00180060, 'DS', '70'), text(0x00281052, 'DS', '0'), text(0x00281053, 'DS', '1'), text(0x00281054, 'LO', 'US'), text(0x20500020, 'CS', 'IDENTITY'),
      text(0x00200062, 'CS', 'U'), sequence(0x00082218, [[text(0x00080100, 'SH', '43799004'), text(0x00080102, 'SH', 'SCT'), text(0x00080104, 'LO', 'Chest')]]), raw(0x00281041, 'SS', new Uint8Array([1, 0])), text(0x00280301, 'CS', 'NO'), text(0x00281050, 'DS', '2000'), text(0x00281051, 'DS', '4000'),
      text(0x00187004, 'CS', 'DIRECT'), text(0x00181164, 'DS', '0.2\\0.2'), text(0x00181508, 'CS', 'NONE'), sequence(0x00400555, [])] : []),
  ];
  return part10([
    ...image,
    ...typeTwo,
    text(0x00080005, 'CS', options.charset ?? 'ISO_IR 100'),
    text(0x00080016, 'UI', sopClass),
    text(0x00080018, 'UI', sopInstance),
    text(0x00080020, 'DA', options.studyDate ?? '20260301'),
    text(0x00080060, 'CS', modality),
    options.patientName ? raw(0x00100010, 'PN', options.patientName.length % 2 ? new Uint8Array([...options.patientName, 0x20]) : options.patientName) : text(0x00100010, 'PN', 'Test^Child'),
    text(0x00100020, 'LO', `SCOPE-${serial}`),
    options.birthDate ? text(0x00100030, 'DA', options.birthDate) : raw(0x00100030, 'DA', new Uint8Array(0)),
    ...optional(0x00101010, 'AS', options.age === undefined ? '004Y' : options.age),
    ...optional(0x00180015, 'CS', options.bodyPart === undefined ? 'CHEST' : options.bodyPart),
    ...optional(0x00185101, 'CS', options.viewPosition === undefined ? 'PA' : options.viewPosition),
    text(0x0020000d, 'UI', `${ROOT}.${serial}`),
    text(0x0020000e, 'UI', `${ROOT}.${serial}.1`),
    raw(0x7fe00010, 'OW', words16(pixels)),
  ], undefined, { meta });
}
