import ucum from '@lhncbc/ucum-lhc';

/** One converter for the process (ucum-lhc's getInstance builds a new object each call). */
const utils = ucum.UcumLhcUtils.getInstance();

/**
 * ucum-lhc looks unit codes up in plain objects, so a code that names an Object.prototype member
 * ('toString', '__proto__', 'valueOf', ...) passes its validation and then throws a TypeError in
 * conversion, or logs the request's unit string from inside the library. No UCUM code contains one of
 * these names (annotations in braces are free text and are left out of the check), so such a unit is
 * refused here, before ucum-lhc sees it.
 */
const PROTOTYPE_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])];

function namesPrototypeMember(unit: string): boolean {
  const outsideAnnotations = unit.replace(/\{[^}]*\}/g, '');
  return PROTOTYPE_NAMES.some((name) => outsideAnnotations.includes(name));
}

/**
 * ucum-lhc writes the unit string it could not parse to console.log. A unit comes from a request body,
 * and request content stays out of the logs, so its calls run with console.log silenced. They are
 * synchronous: nothing else runs while the no-op is in place.
 */
function quietly<T>(call: () => T): T {
  const log = console.log;
  console.log = () => {};
  try {
    return call();
  } finally {
    console.log = log;
  }
}

export function validateUnit(unit: string): boolean {
  if (namesPrototypeMember(unit)) return false;
  try {
    return quietly(() => utils.validateUnitString(unit)).status === 'valid';
  } catch {
    return false;
  }
}

export type Conversion = { ok: true; value: number } | { ok: false; reason: string };

/** Converts with UCUM; a molecular weight (g/mol) allows mass <-> substance (mg/dL <-> mmol/L). */
export function convertUnit(value: number, from: string, to: string, molecularWeight?: number): Conversion {
  const invalid = [from, to].find(namesPrototypeMember);
  if (invalid !== undefined) return { ok: false, reason: `'${invalid.slice(0, 40)}' is not a valid UCUM code` };
  if (from === to) return { ok: true, value };
  let result: ReturnType<typeof utils.convertUnitTo>;
  try {
    result = quietly(() => utils.convertUnitTo(from, value, to, molecularWeight ? { molecularWeight } : undefined));
  } catch {
    return { ok: false, reason: `cannot convert '${from.slice(0, 40)}' to '${to.slice(0, 40)}': not valid UCUM codes` };
  }
  if (result.status === 'succeeded' && Number.isFinite(result.toVal)) return { ok: true, value: result.toVal };
  const reason = result.msg.length ? result.msg.join(' ').replace(/\s+/g, ' ').trim() : `cannot convert ${from} to ${to}`;
  return { ok: false, reason };
}
