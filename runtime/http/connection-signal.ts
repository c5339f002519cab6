import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';

const SIGNALS = new WeakMap<Socket, AbortSignal>();

/**
 * An abort signal per client connection, aborted when the connection closes: work still queued for a
 * request of a connection that went away is dropped, not run. One per connection, not per request, so
 * the infer path makes no AbortController and adds no 'close' listener per request. Over HTTP/1.1 (the
 * only protocol this server speaks) a request's response can no longer be delivered exactly when its
 * connection has closed, so this is the same rule as a response's 'close' before it finished.
 */
export function connectionSignal(socket: Socket): AbortSignal {
  let signal = SIGNALS.get(socket);
  if (!signal) {
    const abort = new AbortController();
    signal = abort.signal;
    // Every request in flight on the connection (pipelining) listens until it is answered.
    setMaxListeners(0, signal);
    if (socket.destroyed) abort.abort();
    else socket.once('close', () => abort.abort());
    SIGNALS.set(socket, signal);
  }
  return signal;
}
