/** Imaging worker-thread entry (piscina): decoding and preprocessing, off the event loop. */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { prepareImage, type PrepareTask } from './prepare-image.js';

export default async function handle(task: PrepareTask) {
  const result = await prepareImage(task);
  if (!result.ok) return result;
  // The tensor's buffer moves to the main thread instead of being copied.
  return move({ [transferableSymbol]: [result.data.buffer], [valueSymbol]: result } as never);
}
