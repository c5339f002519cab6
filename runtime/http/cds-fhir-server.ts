import type { HookRequest } from '../../adapters/cds-hooks/gather-resources.js';
import { ClinferError } from '../errors/index.js';

/**
 * A hook request's `fhirServer` must be one the site configured (cdsHooksFhirServers): scheme, host and
 * port equal, path equal to or under the listed path. Otherwise clinfer would fetch any URL it is given,
 * its own /metrics included, with the EHR's access token. Returns the request with the URL as parsed
 * (dot segments resolved), the form that was checked and the only one fetched.
 */
export function checkFhirServer(request: HookRequest, allowList: readonly string[]): HookRequest {
  if (request.fhirServer === undefined) return request;
  const refuse = (why: string) => new ClinferError('FHIR_SERVER_NOT_ALLOWED', `'fhirServer' ${why}; the FHIR servers this service may read are set in cdsHooksFhirServers`);
  let url: URL;
  try {
    url = new URL(request.fhirServer);
  } catch {
    throw refuse('is not an absolute URL');
  }
  if (url.username || url.password || url.search || url.hash) throw refuse('must not carry credentials, a query or a fragment');
  const path = url.pathname.replace(/\/+$/, '');
  const allowed = allowList.some((entry) => {
    const base = new URL(entry);
    const basePath = base.pathname.replace(/\/+$/, '');
    return base.protocol === url.protocol && base.host === url.host && (path === basePath || path.startsWith(`${basePath}/`));
  });
  if (!allowed) throw refuse(`${url.origin}${path.slice(0, 80)} is not on the allow-list`);
  return { ...request, fhirServer: `${url.origin}${path}` };
}
