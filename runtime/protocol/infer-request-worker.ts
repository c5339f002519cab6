/** Parsing-thread entry (piscina): a large JSON infer request is parsed and decoded here, off the event loop. */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { isClinferError } from '../errors/index.js';
import { parseInferRequest } from './infer-request.js';
import type { ParseResult, ParseTask } from './infer-request-pool.js';

export default function handle(task: ParseTask): ParseResult {
  try {
    const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
    const request = parseInferRequest(body, task.headerLength, task.model);
    // A tensor is a view into the shared body (read in place by the main thread, nothing to move) or,
    // misaligned, a copy it owns: that buffer moves to the main thread instead of being copied again.
    const buffers = new Set<ArrayBuffer>();
    for (const t of request.inputs) {
      const buffer = Array.isArray(t.data) ? undefined : (t.data as ArrayBufferView).buffer;
      if (buffer instanceof ArrayBuffer) buffers.add(buffer);
    }
    const result: ParseResult = { ok: true, request };
    return move({ [transferableSymbol]: [...buffers], [valueSymbol]: result } as never) as unknown as ParseResult;
  } catch (error) {
    if (isClinferError(error)) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: 'INTERNAL', message: 'parsing the request failed inside clinfer' };
  }
}
