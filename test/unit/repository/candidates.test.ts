import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../runtime/model/model-config.js';
import { Candidates } from '../../../runtime/repository/candidates.js';
import type { ModelVersion } from '../../../runtime/repository/model-version.js';
import type { Scheduler } from '../../../runtime/scheduler/scheduler.js';
import type { SchedulerFactory } from '../../../runtime/scheduler/scheduler-factory.js';
import type { ShadowTarget } from '../../../runtime/scheduler/shadow-scheduler.js';

const scheduler = (): Scheduler => ({ inflightCount: 0, enqueue: () => Promise.reject(new Error('not run')), stop: async () => undefined });
const version = (v: string, state: ModelVersion['state'], config: Partial<ModelConfig> = {}): ModelVersion => {
  const batcher = scheduler();
  return { name: 'm', version: v, state, reason: '', config: config as ModelConfig, batcher, scheduler: batcher };
};
const versionsOf = (...list: ModelVersion[]) => new Map(list.map((v) => [v.version, v]));

/** Records the shadow schedulers asked for; the wrapped scheduler is a marker object. */
class FakeSchedulers implements SchedulerFactory {
  readonly shadows: { serving: Scheduler; target: ShadowTarget; made: Scheduler }[] = [];
  forVersion(): Scheduler {
    throw new Error('not used');
  }
  direct(): Scheduler {
    throw new Error('not used');
  }
  shadow(serving: Scheduler, target: ShadowTarget): Scheduler {
    const made = scheduler();
    this.shadows.push({ serving, target, made });
    return made;
  }
}

describe('Candidates', () => {
  it('routes requests that name no version: the canary for draws below its percent, else the highest READY version', () => {
    let draw = 0;
    const candidates = new Candidates(new FakeSchedulers(), () => draw);
    const versions = versionsOf(version('1', 'READY'), version('2', 'READY'), version('3', 'READY'));
    candidates.set('m', { version: '3', mode: 'canary', percent: 25 });
    draw = 24.9;
    expect(candidates.route('m', versions).version).toBe('3');
    draw = 25;
    expect(candidates.route('m', versions).version).toBe('2');
    candidates.delete('m');
    draw = 0;
    expect(candidates.route('m', versions).version).toBe('3');
  });

  it('gives a canary that is not READY, or a stateful model\'s candidate, no share', () => {
    const candidates = new Candidates(new FakeSchedulers(), () => 0);
    candidates.set('m', { version: '2', mode: 'canary', percent: 100 });
    expect(candidates.route('m', versionsOf(version('1', 'READY'), version('2', 'LOADING'))).version).toBe('1');
    const sequence = { sequence: {} } as Partial<ModelConfig>;
    expect(candidates.route('m', versionsOf(version('1', 'READY', sequence), version('2', 'READY', sequence))).version).toBe('1');
  });

  it('refuses a canary for a stateful model, not a shadow', () => {
    const candidates = new Candidates(new FakeSchedulers());
    const versions = [version('1', 'READY', { sequence: {} } as Partial<ModelConfig>)];
    expect(() => candidates.checkAllowed('m', { version: '2', mode: 'canary', percent: 10 }, versions)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringContaining("use mode 'shadow'") }));
    expect(() => candidates.checkAllowed('m', { version: '2', mode: 'shadow', percent: 0 }, versions)).not.toThrow();
  });

  it('puts a READY shadow candidate behind the serving version through the factory, and takes it away when cleared', () => {
    const schedulers = new FakeSchedulers();
    const candidates = new Candidates(schedulers);
    const serving = version('1', 'READY', { bundle: { task: 'classification' } } as Partial<ModelConfig>);
    const shadow = version('2', 'READY');
    const versions = versionsOf(serving, shadow);
    candidates.set('m', { version: '2', mode: 'shadow', percent: 0 });
    candidates.wire('m', versions);
    expect(schedulers.shadows).toHaveLength(1);
    expect(schedulers.shadows[0]).toMatchObject({ serving: serving.batcher, target: { model: 'm', servingVersion: '1', candidateVersion: '2', candidate: shadow.batcher, compare: 'argmax' } });
    expect(serving.scheduler).toBe(schedulers.shadows[0]!.made);
    expect(shadow.scheduler).toBe(shadow.batcher);
    candidates.delete('m');
    candidates.wire('m', versions);
    expect(serving.scheduler).toBe(serving.batcher);
  });

  it('does not shadow to a candidate that is not READY', () => {
    const schedulers = new FakeSchedulers();
    const candidates = new Candidates(schedulers);
    const serving = version('1', 'READY');
    candidates.set('m', { version: '2', mode: 'shadow', percent: 0 });
    candidates.wire('m', versionsOf(serving, version('2', 'UNAVAILABLE')));
    expect(schedulers.shadows).toHaveLength(0);
    expect(serving.scheduler).toBe(serving.batcher);
  });
});
