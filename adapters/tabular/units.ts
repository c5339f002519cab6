import ucum from '@lhncbc/ucum-lhc';

/** One converter for the process (ucum-lhc's getInstance builds a new object each call). */
const utils = ucum.UcumLhcUtils.getInstance();

export function validateUnit(unit: string): boolean {
  return utils.validateUnitString(unit).status === 'valid';
}

export type Conversion = { ok: true; value: number } | { ok: false; reason: string };

/** Converts with UCUM; a molecular weight (g/mol) allows mass <-> substance (mg/dL <-> mmol/L). */
export function convertUnit(value: number, from: string, to: string, molecularWeight?: number): Conversion {
  if (from === to) return { ok: true, value };
  const result = utils.convertUnitTo(from, value, to, molecularWeight ? { molecularWeight } : undefined);
  if (result.status === 'succeeded' && Number.isFinite(result.toVal)) return { ok: true, value: result.toVal };
  const reason = result.msg.length ? result.msg.join(' ').replace(/\s+/g, ' ').trim() : `cannot convert ${from} to ${to}`;
  return { ok: false, reason };
}
