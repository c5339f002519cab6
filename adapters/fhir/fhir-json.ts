/** The few FHIR R4 shapes the adapter reads; everything is checked at run time, as input may be anything. */
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface Coding { system?: string; code?: string }

export function codings(concept: unknown): Coding[] {
  if (!isObject(concept)) return [];
  return asArray(concept.coding).filter(isObject).map((c) => ({ system: asString(c.system), code: asString(c.code) }));
}

export function matchesAny(concept: unknown, wanted: readonly { system: string; code: string }[]): boolean {
  return codings(concept).some((c) => wanted.some((w) => w.system === c.system && w.code === c.code));
}

/** The time a clinical fact applies to: effective[x], onset, or issued/recorded. */
export function clinicalTime(resource: Json): Date | undefined {
  const candidates = [
    resource.effectiveDateTime, resource.effectiveInstant, isObject(resource.effectivePeriod) ? resource.effectivePeriod.start : undefined,
    resource.issued, resource.onsetDateTime, resource.recordedDate, resource.dateAsserted,
  ];
  for (const c of candidates) {
    if (typeof c === 'string') {
      const t = new Date(c);
      if (!Number.isNaN(t.getTime())) return t;
    }
  }
  return undefined;
}
