import { CodedError } from '../coded-error.js';
import { asArray, isObject, type Json } from '../fhir/fhir-json.js';

/** A prefetch key is missing and no FHIR server was given, or it could not be read (PREFETCH_UNAVAILABLE). */
export class PrefetchUnavailable extends CodedError<'PREFETCH_UNAVAILABLE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PREFETCH_UNAVAILABLE', message, options);
    this.name = 'PrefetchUnavailable';
  }
}

/** A CDS Hooks request that is malformed (INVALID_REQUEST, the field named). */
export class CdsRequestError extends CodedError<'INVALID_REQUEST'> {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
    this.name = 'CdsRequestError';
  }
}

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

/** How far clinfer follows a FHIR search's `next` links (cdsHooksFhirMaxPages, cdsHooksFhirMaxResources). */
export interface FetchBounds {
  readonly maxPages: number;
  readonly maxResources: number;
}

const DEFAULT_BOUNDS: FetchBounds = { maxPages: 10, maxResources: 2000 };

/**
 * Collects the resources the service reads, per prefetch key: from the request's prefetch when the client
 * sent the key (null: the EHR has none), else from its FHIR server with its bearer token, running
 * `queries[key]` (the template with date and _count filled in) and following the search's `next` links
 * within `bounds`. A prefetch slot holding an OperationOutcome (CDS Hooks 2.0: the EHR's prefetch failed)
 * is fetched too. Nothing to fetch from: PrefetchUnavailable (the service answers 412, as CDS Hooks requires).
 */
export async function gatherResources(
  request: HookRequest,
  queries: Record<string, string>,
  fetchImpl: typeof fetch = fetch,
  bounds: FetchBounds = DEFAULT_BOUNDS,
): Promise<Json> {
  const entries: unknown[] = [];
  for (const [key, template] of Object.entries(queries)) {
    const sent = request.prefetch && key in request.prefetch ? request.prefetch[key] : undefined;
    const failed = isObject(sent) && sent.resourceType === 'OperationOutcome';
    let values: unknown[];
    if (request.prefetch && key in request.prefetch && !failed) {
      values = [sent];
    } else if (request.fhirServer) {
      values = await fetchAll(request, fillTemplate(template, request.context), fetchImpl, bounds);
    } else {
      throw new PrefetchUnavailable(failed
        ? `prefetch '${key}' is an OperationOutcome (the EHR could not prefetch it) and the request names no fhirServer to fetch it from`
        : `prefetch '${key}' was not sent and the request names no fhirServer to fetch it from`);
    }
    for (const value of values) {
      if (value === null || value === undefined) continue;
      if (isObject(value) && value.resourceType === 'Bundle') entries.push(...asArray(value.entry));
      else if (isObject(value)) entries.push({ resource: value });
    }
  }
  return { resourceType: 'Bundle', type: 'collection', entry: entries };
}

function fillTemplate(template: string, context: Json): string {
  return template.replace(/\{\{context\.(\w+)\}\}/g, (_, name: string) => encodeURIComponent(String(context[name] ?? '')));
}

/** One search and its `next` pages: every page must stay on the request's FHIR server (its token goes with it). */
async function fetchAll(request: HookRequest, query: string, fetchImpl: typeof fetch, bounds: FetchBounds): Promise<unknown[]> {
  const base = request.fhirServer!.replace(/\/$/, '');
  const what = query.split('?')[0]!;
  const pages: unknown[] = [];
  let url: string | undefined = `${base}/${query}`;
  let resources = 0;
  while (url) {
    if (pages.length === bounds.maxPages) throw new PrefetchUnavailable(`the FHIR server's ${what} search has more than ${bounds.maxPages} pages (cdsHooksFhirMaxPages); not all of the patient's data could be read`);
    const page = await fetchFhir(request, url, what, fetchImpl);
    pages.push(page);
    if (!isObject(page) || page.resourceType !== 'Bundle') break;
    resources += asArray(page.entry).length;
    if (resources > bounds.maxResources) throw new PrefetchUnavailable(`the FHIR server's ${what} search returns more than ${bounds.maxResources} resources (cdsHooksFhirMaxResources); not all of the patient's data could be read`);
    const next = asArray(page.link).find((l) => isObject(l) && l.relation === 'next');
    url = isObject(next) && typeof next.url === 'string' ? sameServer(next.url, base, what) : undefined;
  }
  return pages;
}

function sameServer(next: string, base: string, what: string): string {
  let url: URL;
  try {
    url = new URL(next, `${base}/`);
  } catch {
    throw new PrefetchUnavailable(`the FHIR server's ${what} search gave a next link that is not a URL`);
  }
  const root = new URL(base);
  const path = root.pathname.replace(/\/+$/, '');
  if (url.origin !== root.origin || (url.pathname !== path && !url.pathname.startsWith(`${path}/`))) {
    throw new PrefetchUnavailable(`the FHIR server's ${what} search gave a next link to another server (${url.origin}); not followed`);
  }
  return url.href;
}

async function fetchFhir(request: HookRequest, url: string, what: string, fetchImpl: typeof fetch): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchImpl(url, {
      headers: { accept: 'application/fhir+json', ...(request.fhirAuthorization ? { authorization: `Bearer ${request.fhirAuthorization.access_token}` } : {}) },
      signal: AbortSignal.timeout(10_000),
      redirect: 'error',
    });
  } catch (error) {
    throw new PrefetchUnavailable(`the FHIR server could not be reached (${(error as Error).name})`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new PrefetchUnavailable(`the FHIR server answered ${res.status} to ${what}`);
  try {
    return await res.json();
  } catch {
    throw new PrefetchUnavailable(`the FHIR server's answer to ${what} is not JSON`);
  }
}
