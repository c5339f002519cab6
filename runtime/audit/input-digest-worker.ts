/** Digest-thread entry (input-digests.ts): the audit HMAC of a large input, off the event loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { AuditSecret } from './audit-secret.js';

/** What the event loop asks: the bytes are in shared memory (the request body itself, or one copy of it), read in place. */
export interface DigestTask {
  readonly id: number;
  readonly bytes: Uint8Array;
}

export interface DigestAnswer {
  readonly id: number;
  readonly hex: string;
}

const secret = new AuditSecret(Buffer.from((workerData as { key: Uint8Array }).key));
parentPort?.on('message', (task: DigestTask) => {
  parentPort?.postMessage({ id: task.id, hex: secret.hmac(task.bytes) } satisfies DigestAnswer);
});
