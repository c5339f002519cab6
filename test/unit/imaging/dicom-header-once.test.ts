import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDicom, readDicomHeader } from '../../../adapters/imaging/dicom/index.js';
import type { DataSet } from '../../../adapters/imaging/dicom/data-set.js';
import { part10FromLayout } from '../../../adapters/imaging/dicom/header-layout.js';
import { readPart10 } from '../../../adapters/imaging/dicom/part10.js';
import { Tag } from '../../../adapters/imaging/dicom/tags.js';
import { imageSpecSchema } from '../../../adapters/imaging/image-spec.js';
import { receiveInstance } from '../../../runtime/dicom-node/receipt.js';
import { ImagingPool } from '../../../runtime/imaging/imaging-pool.js';
import { chestRadiograph } from '../../fixtures/dicom-scope/chest.js';

/**
 * A routed instance's header is parsed once, on arrival: the parsed header (its description and where its
 * elements lie) travels with the bytes to the imaging thread, which decodes from it without reading the
 * header bytes again. Shown by an outcome: after the header is read, the patient's name is overwritten in
 * the bytes; what comes back from the imaging thread still carries the name read on arrival.
 */
const FIXTURES = new URL('../../fixtures/dicom/', import.meta.url).pathname;
const files: string[] = [];
const walk = (dir: string) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.dcm$/i.test(name) || !name.includes('.')) files.push(path);
  }
};
walk(FIXTURES);

const spec = imageSpecSchema.parse({ kind: 'image', input: 'x', color: 'grayscale', width: 28, height: 28 });
const limits = { maxImagePixels: 1 << 24, maxFrames: 100, maxDecodedBytes: 1 << 28 };

/** A copy of `bytes` whose Patient's Name value is overwritten with 'X's (same length, so every offset holds). */
function renamed(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const name = readPart10(copy, { maxInflatedBytes: 1 << 24 }).dataSet.elements.get(Tag.PatientName)!;
  copy.fill(0x58, name.offset, name.offset + name.length);
  return copy;
}

/** A data set as plain values, every buffer checked to be `bytes` itself (comparing the buffers deeply would be slow). */
function shape(dataSet: DataSet, bytes: Uint8Array): unknown {
  expect(dataSet.bytes).toBe(bytes);
  return {
    littleEndian: dataSet.littleEndian,
    elements: [...dataSet.elements.values()].map((e) => ({ ...e, items: e.items?.map((item) => shape(item, bytes)) })),
  };
}

const pool = new ImagingPool({ threads: 1, maxQueue: 10 });
afterAll(() => pool.close());

describe('DICOM header parsed once', () => {
  it('the layout kept from the header read gives back the parsed file exactly, for every fixture that parses', () => {
    let checked = 0;
    for (const path of files) {
      const bytes = new Uint8Array(readFileSync(path));
      let header;
      try {
        header = readDicomHeader(bytes);
      } catch {
        continue; // refused files are the corpus tests' business
      }
      const file = readPart10(bytes, { maxInflatedBytes: 1 << 28 });
      if (file.transferSyntaxUID === '1.2.840.10008.1.2.1.99') {
        expect(header.layout, path).toBeUndefined(); // deflated: the data set is not in these bytes
        continue;
      }
      const again = part10FromLayout(header.layout!, bytes)!;
      expect(again.transferSyntaxUID, path).toBe(file.transferSyntaxUID);
      expect(shape(again.meta, bytes), path).toEqual(shape(file.meta, bytes));
      expect(shape(again.dataSet, bytes), path).toEqual(shape(file.dataSet, bytes));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('a layout is not used on other bytes than those it was read from (another length)', () => {
    const bytes = chestRadiograph();
    const { layout } = readDicomHeader(bytes);
    expect(part10FromLayout(layout!, bytes.subarray(0, bytes.length - 2))).toBeUndefined();
  });

  it('decodeDicom with the header gives the same rasters, and does not read the header bytes again', async () => {
    const bytes = chestRadiograph({ size: 128 });
    const header = readDicomHeader(bytes);
    const changed = renamed(bytes);
    const plain = await decodeDicom(changed, { window: 'file', frames: 'all' });
    const once = await decodeDicom(changed, { window: 'file', frames: 'all', header });
    expect(once.frames).toEqual(plain.frames);
    expect(plain.info.patient.name).toMatch(/^X+$/);
    expect(once.info.patient.name).toBe('Test^Child');
  });

  it('an accepted instance carries its header, and the imaging thread decodes with it (the task message carries the parsed header)', async () => {
    const bytes = chestRadiograph({ size: 96 });
    const receipt = receiveInstance(bytes, [{ model: 'any', modality: ['CR'] }] as never);
    expect(receipt.outcome.status).toBe('accepted');
    expect(receipt.header?.info).toBe(receipt.info);
    const changed = renamed(bytes);
    const withHeader = await pool.prepare({ bytes: changed, format: 'dicom', spec, limits, header: receipt.header });
    const without = await pool.prepare({ bytes: changed, format: 'dicom', spec, limits });
    if (!withHeader.ok || !without.ok) throw new Error('the instance did not decode');
    expect(withHeader.info?.patient.name).toBe('Test^Child');
    expect(without.info?.patient.name).toMatch(/^X+$/);
    expect(Array.from(withHeader.data)).toEqual(Array.from(without.data));
  });
});
