import { Writable } from 'node:stream';

/**
 * Where dcmjs-dimse streams one C-STORE data set (Scp.createStoreWritableStream). It keeps the raw bytes,
 * exactly as they came off the wire, up to `budget` bytes; past that it keeps counting but drops the bytes,
 * so an oversized instance costs no memory and is answered "out of resources" once it has been read.
 * `refused` set at creation drops everything (the association is already over its instance limit).
 */
export class InstanceSink extends Writable {
  readonly #chunks: Buffer[] = [];
  readonly #budget: number;
  #received = 0;
  #overBudget: boolean;

  constructor(budget: number, refused: boolean) {
    // Writes complete synchronously, so a large mark only stops dcmjs-dimse from waiting on 'drain'.
    super({ highWaterMark: 64 * 1024 * 1024 });
    this.#budget = budget;
    this.#overBudget = refused;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#received += chunk.length;
    if (this.#received > this.#budget) this.#overBudget = true;
    if (this.#overBudget) this.#chunks.length = 0;
    else this.#chunks.push(chunk);
    callback();
  }

  /** True when the data set was not kept (refused up front, or larger than the budget). */
  get overBudget(): boolean {
    return this.#overBudget;
  }

  get receivedBytes(): number {
    return this.#received;
  }

  /** The data set's chunks; the caller copies them into a Part 10 file and drops the sink. */
  get chunks(): readonly Buffer[] {
    return this.#chunks;
  }
}
