/**
 * `table[key]` when the table itself holds `key`, else undefined. For plain objects keyed by an outside
 * string (a request, a FHIR code, a DICOM tag, a bundle file): 'toString' or '__proto__' must not find
 * Object.prototype's members, which the caller would then take for a value.
 */
export function ownEntry<V>(table: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
