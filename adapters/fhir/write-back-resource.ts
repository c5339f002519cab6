/**
 * A RiskAssessment as it is written back to the EHR's FHIR server (docs/tabular.md, "Write-back").
 *
 * Duplicates: each one carries a business identifier (the UUID clinfer gave it, as `urn:uuid:`), and is
 * POSTed as a conditional create (`If-None-Exist: identifier=<system>|<value>`), so a retry after a lost
 * answer finds the first copy instead of creating a second.
 */

/** RFC 3986 URIs as identifier values: the FHIR convention for a UUID identifier. */
export const WRITE_BACK_IDENTIFIER_SYSTEM = 'urn:ietf:rfc:3986';

/** A literal reference the EHR's server can resolve: `Type/id` (FHIR id: 1 to 64 of A-Z a-z 0-9 - .). */
const RELATIVE_REFERENCE = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

export function isPatientReference(reference: string): boolean {
  return RELATIVE_REFERENCE.test(reference) && reference.startsWith('Patient/');
}

/** The identifier added to a RiskAssessment that will be written back (also kept in the caller's answer). */
export function writeBackIdentifier(resource: Record<string, unknown>): { system: string; value: string } {
  return { system: WRITE_BACK_IDENTIFIER_SYSTEM, value: `urn:uuid:${resource.id as string}` };
}

/** The resource with its write-back identifier, for the caller's answer and for the outbox. */
export function withWriteBackIdentifier(resource: Record<string, unknown>): Record<string, unknown> {
  const identifier = Array.isArray(resource.identifier) ? resource.identifier : [];
  return { ...resource, identifier: [...identifier, writeBackIdentifier(resource)] };
}

/**
 * The body POSTed: no `id` (the server assigns one on create), and only the basis references the server can
 * resolve (`Type/id`); a `urn:uuid:` or `#index` reference named an entry of the request Bundle only.
 */
export function writeBackBody(resource: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, basis, ...rest } = resource;
  const kept = Array.isArray(basis) ? basis.filter((b: { reference?: unknown }) => typeof b?.reference === 'string' && RELATIVE_REFERENCE.test(b.reference)) : [];
  return { ...rest, ...(kept.length ? { basis: kept } : {}) };
}

/** The `If-None-Exist` search of a body made by writeBackBody: its identifier with our system. */
export function ifNoneExist(body: Record<string, unknown>): string | undefined {
  const ours = Array.isArray(body.identifier) ? body.identifier.find((i: { system?: unknown }) => i?.system === WRITE_BACK_IDENTIFIER_SYSTEM) : undefined;
  if (!ours || typeof ours.value !== 'string') return undefined;
  return `identifier=${encodeURIComponent(`${WRITE_BACK_IDENTIFIER_SYSTEM}|${ours.value}`)}`;
}
