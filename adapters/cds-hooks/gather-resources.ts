import { asArray, isObject, type Json } from '../fhir/fhir-json.js';

export class PrefetchUnavailable extends Error {}
export class CdsRequestError extends Error {}

export interface HookRequest {
  hook: string;
  hookInstance: string;
  context: Json & { patientId: string };
  prefetch?: Record<string, unknown>;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type?: string };
}

/** Checks the fields CDS Hooks 2.0 requires of a service request. */
export function readHookRequest(body: unknown, expectedHook: string): HookRequest {
  if (!isObject(body)) throw new CdsRequestError('the body must be a CDS Hooks request object');
  if (body.hook !== expectedHook) throw new CdsRequestError(`'hook' must be '${expectedHook}' for this service, got ${JSON.stringify(body.hook)?.slice(0, 40)}`);
  if (typeof body.hookInstance !== 'string' || body.hookInstance === '') throw new CdsRequestError("'hookInstance' (a UUID) is required");
  if (!isObject(body.context) || typeof body.context.patientId !== 'string' || body.context.patientId === '') throw new CdsRequestError("'context.patientId' is required");
  if (body.prefetch !== undefined && !isObject(body.prefetch)) throw new CdsRequestError("'prefetch' must be an object");
  if (body.fhirServer !== undefined && typeof body.fhirServer !== 'string') throw new CdsRequestError("'fhirServer' must be a URL");
  if (body.fhirAuthorization !== undefined && (!isObject(body.fhirAuthorization) || typeof body.fhirAuthorization.access_token !== 'string')) {
    throw new CdsRequestError("'fhirAuthorization' must carry an access_token");
  }
  return body as unknown as HookRequest;
}

/**
 * Collects the resources named by the service's prefetch templates: from the request's prefetch when
 * the client sent the key, else from its FHIR server with its bearer token. Neither: PrefetchUnavailable
 * (the service answers 412, as CDS Hooks requires).
 */
export async function gatherResources(request: HookRequest, templates: Record<string, string>, fetchImpl: typeof fetch = fetch): Promise<Json> {
  const entries: unknown[] = [];
  for (const [key, template] of Object.entries(templates)) {
    let value: unknown;
    if (request.prefetch && key in request.prefetch) {
      value = request.prefetch[key];
    } else if (request.fhirServer) {
      value = await fetchFhir(request, fillTemplate(template, request.context), fetchImpl);
    } else {
      throw new PrefetchUnavailable(`prefetch '${key}' was not sent and the request names no fhirServer to fetch it from`);
    }
    if (value === null || value === undefined) continue;
    if (isObject(value) && value.resourceType === 'Bundle') entries.push(...asArray(value.entry));
    else if (isObject(value)) entries.push({ resource: value });
  }
  return { resourceType: 'Bundle', type: 'collection', entry: entries };
}

function fillTemplate(template: string, context: Json): string {
  return template.replace(/\{\{context\.(\w+)\}\}/g, (_, name: string) => encodeURIComponent(String(context[name] ?? '')));
}

async function fetchFhir(request: HookRequest, query: string, fetchImpl: typeof fetch): Promise<unknown> {
  const url = `${request.fhirServer!.replace(/\/$/, '')}/${query}`;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      headers: { accept: 'application/fhir+json', ...(request.fhirAuthorization ? { authorization: `Bearer ${request.fhirAuthorization.access_token}` } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new PrefetchUnavailable(`the FHIR server could not be reached (${(error as Error).name})`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new PrefetchUnavailable(`the FHIR server answered ${res.status} to ${query.split('?')[0]}`);
  try {
    return await res.json();
  } catch {
    throw new PrefetchUnavailable(`the FHIR server's answer to ${query.split('?')[0]} is not JSON`);
  }
}
