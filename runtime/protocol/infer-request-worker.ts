/** Parsing-thread entry (piscina): a large JSON infer request is parsed and decoded here, off the event loop. */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { isClinferError } from '../errors/index.js';
import { parseInferRequest } from './infer-request.js';
import type { ParseResult, ParseTask } from './infer-request-pool.js';

export default function handle(task: ParseTask): ParseResult {
  try {
    const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
    const request = parseInferRequest(body, task.headerLength, task.model);
    // Numeric tensors own their buffers: they move to the main thread instead of being copied.
    const buffers = new Set<ArrayBuffer>();
    for (const t of request.inputs) if (!Array.isArray(t.data)) buffers.add((t.data as ArrayBufferView).buffer as ArrayBuffer);
    const result: ParseResult = { ok: true, request };
    return move({ [transferableSymbol]: [...buffers], [valueSymbol]: result } as never) as unknown as ParseResult;
  } catch (error) {
    if (isClinferError(error)) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: 'INTERNAL', message: 'parsing the request failed inside clinfer' };
  }
}
