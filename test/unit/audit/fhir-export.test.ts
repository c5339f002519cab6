import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdsHookAuditRecord } from '../../../runtime/audit/cds-hook-audit-record.js';
import { storeAuditRecord } from '../../../runtime/audit/store-audit-record.js';
import { validateFhir } from '../../helpers/fhir-validator.js';
import { auditCli, auditFolder, openLog } from './audit-fixture.js';

/** `clinfer audit export --fhir`: AuditEvents after IHE BALP, valid FHIR R4 (Medplum's validator). */
const f = auditFolder();

beforeAll(async () => {
  const log = openLog(f.path, f.keyFile, { checkpointEvery: 3 });
  await log.append({ action: 'predict', caller: 'pacs-router', model: 'heart-disease-risk', version: '1', bundle_digest: 'ab'.repeat(32), outcome: 'success', latency_ms: 3.2, source: '10.1.2.3', secret: { input: Buffer.from('x'), requestId: 'req-7781' } });
  await log.append({ action: 'predict', caller: 'pacs-router', model: 'heart-disease-risk', version: '', outcome: 'INVALID_REQUEST' });
  await log.append({ action: 'deploy', caller: 'release-bot', model: 'chest-xray-pneumonia', version: '3', bundle_digest: 'cd'.repeat(32), outcome: 'success' });
  await log.append({ action: 'delete', caller: 'release-bot', model: 'chest-xray-pneumonia', version: '2', outcome: 'success' });
  log.recordAccessDenied({ source: '10.9.9.9', method: 'POST', route: '/v2/repository/models/:model/unload', status: 401, code: 'UNAUTHENTICATED' });
  await log.append(cdsHookAuditRecord({ caller: 'ehr', service: 'heart-risk', hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea', model: 'heart-disease-risk', version: '1', fhirServer: 'https://ehr.example/fhir/r4', resources: { entry: [{ resource: { resourceType: 'Patient' } }, { resource: { resourceType: 'Observation' } }, { resource: { resourceType: 'Observation' } }] } }));
  await log.append(storeAuditRecord('stowrs', 'modality', 409, 2, ['INVALID_DICOM', 'INVALID_DICOM'], '1.2.840.99'));
  await log.close();
});

describe('clinfer audit export --fhir', () => {
  let bundle: any;
  beforeAll(() => {
    const out = join(f.dir, 'audit-events.json');
    expect(auditCli('export', '--fhir', f.path, '--out', out, '--observer', 'clinfer-ward-3').code).toBe(0);
    bundle = JSON.parse(readFileSync(out, 'utf8'));
  });

  it('writes a collection Bundle of AuditEvents, one per entry (checkpoints left out), with 0 validation errors', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(bundle.entry).toHaveLength(7);
    expect(() => validateFhir(bundle)).not.toThrow();
    for (const e of bundle.entry) expect(() => validateFhir(e.resource)).not.toThrow();
    expect(new Set(bundle.entry.map((e: any) => e.fullUrl)).size).toBe(7);
  });

  it('follows the BALP pattern: type, subtype, action, recorded, outcome, client and server agents, observer, entities', () => {
    const [predict, refused, deploy, del, denied, cds, stow] = bundle.entry.map((e: any) => e.resource);
    expect(predict).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'operation' }],
      action: 'E', outcome: '0', recorded: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      agent: [
        { type: { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110153' }] }, who: { display: 'pacs-router' }, requestor: true, network: { address: '10.1.2.3', type: '2' } },
        { type: { coding: [{ code: '110152' }] }, requestor: false },
      ],
      source: { observer: { identifier: { value: 'clinfer-ward-3' } } },
      entity: [{ what: { identifier: { value: 'heart-disease-risk/1' } } }, { detail: expect.arrayContaining([{ type: 'input_hmac', valueString: expect.stringMatching(/^[0-9a-f]{64}$/) }]) }],
    });
    expect(refused).toMatchObject({ outcome: '4', outcomeDesc: 'INVALID_REQUEST' });
    expect(deploy).toMatchObject({ subtype: [{ code: 'create' }], action: 'C', outcome: '0' });
    expect(del).toMatchObject({ subtype: [{ code: 'delete' }], action: 'D' });
    expect(denied).toMatchObject({ type: { code: '110114' }, subtype: [{ code: '110122' }], outcome: '4', agent: [{ who: { display: 'unauthenticated' }, network: { address: '10.9.9.9' } }, {}] });
    expect(cds.entity[1].detail).toEqual(expect.arrayContaining([{ type: 'resources_read', valueString: '{"Patient":1,"Observation":2}' }, { type: 'fhir_server', valueString: 'https://ehr.example' }]));
    // A 409 (every instance refused as invalid) is a failure as the client saw it: FHIR's minor failure (a 4xx).
    expect(stow).toMatchObject({ type: { code: '110104' }, action: 'C', outcome: '4', outcomeDesc: 'failure' });
    // No UID or request id in clear.
    expect(JSON.stringify(bundle)).not.toMatch(/1\.2\.840\.99|req-7781/);
  });

  it('writes NDJSON with --ndjson', () => {
    const out = join(f.dir, 'audit-events.ndjson');
    expect(auditCli('export', '--fhir', '--ndjson', f.path, '--out', out).code).toBe(0);
    const events = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(7);
    for (const e of events) expect(() => validateFhir(e)).not.toThrow();
  });
});
