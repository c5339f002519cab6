/**
 * The number a bundle's table gives a caller's category name or code (`encoding`, `fhir.map`), or
 * undefined. Only the table's own entries count: 'toString' or '__proto__' must not find
 * Object.prototype's members, which the feature code would then take for a value.
 */
export function categoryCode(table: Readonly<Record<string, number>> | undefined, name: string): number | undefined {
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}
