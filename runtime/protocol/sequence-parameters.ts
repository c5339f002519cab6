import { ClinferError } from '../errors/index.js';
import type { SequenceFlags } from '../scheduler/scheduler.js';

const invalid = (message: string) => new ClinferError('INVALID_PARAMETER', message);
/** What was sent instead of an id, without its value (an id may name a patient; messages reach logs). */
const describe = (id: unknown) => (id === undefined ? 'none' : typeof id === 'string' ? `a string of ${id.length} characters` : typeof id === 'number' ? (Number.isInteger(id) ? 'an integer out of range' : 'a non-integer number') : `a ${Array.isArray(id) ? 'list' : typeof id}`);

/**
 * Reads Triton's sequence parameters: `sequence_id` (a positive integer or a non-empty string; 0 or ''
 * means none), `sequence_start` and `sequence_end` (booleans). Only a model whose bundle declares
 * `sequence` takes them, and it takes no request without an id. Undefined: a request outside any sequence.
 */
export function readSequenceParameters(parameters: Readonly<Record<string, unknown>>, model: { name: string; sequence?: unknown }): SequenceFlags | undefined {
  const { sequence_id: id, sequence_start: start, sequence_end: end } = parameters;
  if (!model.sequence) {
    // Triton's clients send no sequence parameters, or 0 / '' / false, outside a sequence.
    if (id || start || end) throw invalid(`parameter '${id ? 'sequence_id' : start ? 'sequence_start' : 'sequence_end'}': model '${model.name}' is not stateful (its bundle declares no sequence)`);
    return undefined;
  }
  if (start !== undefined && typeof start !== 'boolean') throw invalid(`parameter 'sequence_start' must be a boolean; got ${JSON.stringify(start)?.slice(0, 20)}`);
  if (end !== undefined && typeof end !== 'boolean') throw invalid(`parameter 'sequence_end' must be a boolean; got ${JSON.stringify(end)?.slice(0, 20)}`);
  const valid = (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) || (typeof id === 'string' && id.length > 0 && id.length <= 128);
  if (!valid) {
    throw invalid(`model '${model.name}' is stateful: every request needs parameter 'sequence_id', a positive integer (up to 2^53-1) or a string of 1 to 128 characters; got ${describe(id)}`);
  }
  return { id: id as number | string, start: start === true, end: end === true };
}
