/**
 * Runs the changes to one model one at a time, in call order (a load, deploy, rollback or candidate
 * change of a model never interleaves with another of the same model); different models run side by side.
 * A failed change does not stop the ones queued behind it.
 */
export class PerModelQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(name) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    this.#tails.set(name, run.catch(() => undefined));
    return run;
  }
}
