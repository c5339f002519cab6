/**
 * Audit log lines as FHIR R4 AuditEvent resources, after IHE Basic Audit Log Patterns (BALP): type and
 * subtype say what was done (a RESTful operation, a DICOM transfer, an authentication), action is the
 * CRUDE letter, the client agent (DICOM 110153 Source Role ID, requestor) and clinfer (110152 Destination
 * Role ID) are both named, source.observer is clinfer, and entities name the model version and carry the
 * pseudonymised ids (never a patient value: the log holds none). Checkpoints are integrity records of the
 * log itself and are not exported.
 */
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const REST = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const CLINFER_ID = 'urn:clinfer:audit';

type Coding = { system: string; code: string; display: string };
const rest: Coding = { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' };
const interaction = (code: string): Coding => ({ system: REST, code, display: code });

/** What each action is, in BALP terms: event type, subtype, CRUDE action. */
const KINDS: Record<string, { type: Coding; subtype?: Coding; action: 'C' | 'R' | 'U' | 'D' | 'E' }> = {
  predict: { type: rest, subtype: interaction('operation'), action: 'E' },
  shadow: { type: rest, subtype: interaction('operation'), action: 'E' },
  cds_hook: { type: rest, subtype: interaction('operation'), action: 'E' },
  deploy: { type: rest, subtype: interaction('create'), action: 'C' },
  delete: { type: rest, subtype: interaction('delete'), action: 'D' },
  rollback: { type: rest, subtype: interaction('update'), action: 'U' },
  load: { type: rest, subtype: interaction('update'), action: 'U' },
  unload: { type: rest, subtype: interaction('update'), action: 'U' },
  candidate: { type: rest, subtype: interaction('update'), action: 'U' },
  promote: { type: rest, subtype: interaction('update'), action: 'U' },
  outcome: { type: rest, subtype: interaction('update'), action: 'U' },
  dicom_store: { type: { system: DCM, code: '110104', display: 'DICOM Instances Transferred' }, action: 'C' },
  access_denied: { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
  access_denied_suppressed: { type: { system: DCM, code: '110113', display: 'Security Alert' }, action: 'E' },
};

/** Error codes of a client's mistake (minor failure, 4) as opposed to the server's (serious failure, 8). */
const SERVER_SIDE = /^(INTERNAL|WORKER_EXITED|AUDIT_UNAVAILABLE|AUTH_UNAVAILABLE|MODEL_NOT_READY|SERVER_SHUTTING_DOWN|QUEUE_FULL|DEADLINE_EXCEEDED)$/;

function outcomeOf(line: Record<string, unknown>): '0' | '4' | '8' {
  const outcome = String(line.outcome ?? '');
  if (line.action === 'access_denied' || line.action === 'access_denied_suppressed') return '4';
  if (outcome === 'success' || outcome === 'cleared' || /^(canary|shadow)/.test(outcome) || line.action === 'shadow') return '0';
  return SERVER_SIDE.test(outcome) ? '8' : '4';
}

const detail = (type: string, value: unknown) => ({ type, valueString: typeof value === 'string' ? value : JSON.stringify(value) });

/** One audit line as an AuditEvent, or undefined for a checkpoint. */
export function auditEventOf(line: Record<string, unknown>, observer: string): Record<string, unknown> | undefined {
  const action = String(line.action);
  if (action === 'checkpoint') return undefined;
  const kind = KINDS[action] ?? { type: rest, action: 'E' as const };
  const client = {
    type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
    who: { display: String(line.caller ?? 'unknown') },
    requestor: true,
    ...(typeof line.source === 'string' ? { network: { address: line.source, type: '2' } } : {}),
  };
  const server = {
    type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] },
    who: { identifier: { system: CLINFER_ID, value: observer } },
    requestor: false,
  };
  const facts = Object.entries(line).filter(([k]) => !['seq', 'time', 'action', 'caller', 'model', 'version', 'outcome', 'source', 'prev', 'hash'].includes(k));
  const entity: Record<string, unknown>[] = [];
  if (typeof line.model === 'string') {
    entity.push({
      what: { identifier: { system: `${CLINFER_ID}:model`, value: line.version ? `${line.model}/${String(line.version)}` : line.model } },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
      name: String(line.model),
    });
  }
  entity.push({
    what: { identifier: { system: `${CLINFER_ID}:entry`, value: `${String(line.seq)}:${String(line.hash)}` } },
    type: { system: ENTITY_TYPE, code: '4', display: 'Other' },
    role: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
    ...(facts.length ? { detail: facts.map(([k, v]) => detail(k, v)) } : {}),
  });
  return {
    resourceType: 'AuditEvent',
    id: `clinfer-${String(line.seq)}`,
    type: kind.type,
    ...(kind.subtype ? { subtype: [kind.subtype] } : {}),
    action: kind.action,
    recorded: String(line.time),
    outcome: outcomeOf(line),
    ...(line.outcome !== 'success' ? { outcomeDesc: String(line.outcome) } : {}),
    agent: [client, server],
    source: { observer: { identifier: { system: CLINFER_ID, value: observer }, display: `clinfer ${observer}` }, type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }] },
    entity,
  };
}

/** The lines of a log as a FHIR Bundle of type collection (fullUrl from each line's hash). */
export function auditBundle(lines: readonly Record<string, unknown>[], observer: string): Record<string, unknown> {
  const entry = lines.flatMap((line) => {
    const resource = auditEventOf(line, observer);
    return resource ? [{ fullUrl: `urn:uuid:${uuidOf(String(line.hash))}`, resource }] : [];
  });
  return { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry };
}

/** A UUID-shaped name from a line's sha256 (fullUrl must be absolute and unique in the Bundle). */
function uuidOf(hash: string): string {
  const hex = /^[0-9a-f]{64}$/.test(hash) ? hash : Buffer.from(hash).toString('hex').padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
