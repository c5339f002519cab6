import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { storescu, StoreScp } from '../helpers/dcmtk.js';
import { DEMO_MODELS, FIXTURES, postJson, startTestServer } from '../helpers/server.js';

/** Log lines carry identifiers, states and codes: never request ids, values or bodies. */
const log: string[] = [];
let server: ClinferServer;

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS, {}, log);
});
afterAll(() => server?.close());

describe('logs', () => {
  it('hold no request content, even at debug level and for failing requests', async () => {
    const marker = 'Jane-Doe-1975-03-14';
    const value = 131.3131;
    const url = `${server.url}/v2/models/heart-disease-risk/infer`;
    await postJson(url, { id: marker, inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(value) }] });
    await postJson(url, { id: marker, inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [marker, ...new Array(12).fill(value)] }] });
    await postJson(url, { id: marker, inputs: [{ name: marker, shape: [1, 13], datatype: 'FP32', data: [] }] });
    await fetch(url, { method: 'POST', body: `{"id": "${marker}", "inputs": [` });
    await postJson(`${server.url}/v2/models/${marker}/infer`, { inputs: [] });
    // FHIR: a named patient with an identifier, valid and broken.
    const fhir = { resourceType: 'Bundle', type: 'collection', entry: [
      { resource: { resourceType: 'Patient', id: 'p1', name: [{ family: 'Doe', given: ['Jane'] }], identifier: [{ system: 'urn:oid:2.16.756.5.32', value: marker }], birthDate: '1975-03-14', gender: 'female' } },
      { resource: { resourceType: 'Observation', id: 'o1', status: 'final', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://loinc.org', code: '2093-3' }] }, effectiveDateTime: '2026-10-01', valueQuantity: { value: value, unit: 'furlong', system: 'http://unitsofmeasure.org', code: 'furlong' } } },
    ] };
    const predict = `${server.url}/v1/models/heart-disease-risk/predict?reference_time=2026-11-15T00:00:00Z`;
    expect((await fetch(predict, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(fhir) })).status).toBe(200);
    await fetch(predict, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ ...fhir, entry: fhir.entry.slice(1) }) });
    await fetch(predict, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ age: value, name: marker }] }) });
    expect(log.length).toBeGreaterThan(0);
    const all = log.join('\n');
    expect(all).not.toContain(marker);
    expect(all).not.toContain(String(value));
    expect(all).not.toMatch(/Jane|Doe|1975-03-14/);
    // Nor in metric labels.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).not.toContain(marker);
    expect(metrics).not.toMatch(/Jane|Doe/);
  });

  it('hold no DICOM patient tags, whether the instance came by STOW-RS, C-STORE or predict, decoded or refused', async () => {
    const lines: string[] = [];
    const archive = await StoreScp.start({ aeTitle: 'ARCHIVE' });
    const dicom = await startTestServer(DEMO_MODELS, {
      dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR', 'MR', 'DX'] }],
      dicomScp: { aeTitle: 'CLINFER', port: 0 },
      dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
      outboxDir: mkdtempSync(join(tmpdir(), 'clinfer-outbox-')),
      dicomStudySettleMs: 500,
    }, lines);
    try {
      const dir = join(FIXTURES, 'dicom/pydicom');
      // Patient "Doe^Archibald", ID 77654033 (CR, out of the model's scope); "CompressedSamples^MR1" (MR_truncated);
      // both accepted, then set aside in dead-letter. "Test^Child", SCOPE-1: a chest CR the model takes (an SR).
      // An adult chest DX (Patient's Age 047Y): out of the model's paediatric scope, and its age in no log line.
      const files = [join(dir, 'dicomdir_cr_ct_mr/77654033_CR1_6154'), join(dir, 'MR_truncated.dcm'), join(FIXTURES, 'dicom-scope/chest-cr-paediatric.dcm'), join(FIXTURES, 'dicom-scope/chest-dx-adult.dcm')];
      const boundary = 'b';
      const body = Buffer.concat([...files.flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(f), Buffer.from('\r\n')]), Buffer.from(`--${boundary}--\r\n`)]);
      expect((await fetch(`${dicom.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } })).status).toBe(200);
      for (const f of files) await fetch(`${dicom.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: readFileSync(f), headers: { 'content-type': 'application/dicom' } });
      expect((await storescu({ port: dicom.dicomPort!, calledAeTitle: 'CLINFER', files: [join(dir, 'dicomdir_cr_ct_mr/77654033_CR2_6247')] })).code).toBe(0);
      const end = Date.now() + 20_000;
      // One SR (the chest CR); CR1, CR2 (one study, out of scope), the truncated MR and the adult DX go to dead-letter.
      const deadLettered = () => lines.filter((l) => l.includes('moved to dead-letter')).length;
      while ((archive.files().length < 1 || deadLettered() < 4) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(archive.files().length).toBe(1);
      expect(deadLettered()).toBe(4);
      expect(lines.some((l) => l.includes('OUT_OF_SCOPE') && l.includes("patient's age"))).toBe(true);
    } finally {
      await dicom.close();
      await archive.stop();
    }
    const all = lines.join('\n');
    expect(all).toMatch(/pacs.delivery.delivered/);
    expect(all).not.toMatch(/Doe|Archibald|77654033|CompressedSamples|4MR1|Test\^Child|SCOPE-1/i);
    expect(all).not.toMatch(/047Y|47 years/);
    expect(all).not.toMatch(/\d+\.\d+\.\d+\.\d+\.\d+\.\d+\.\d+\.\d+/);
  });
});
