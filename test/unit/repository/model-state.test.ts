import { describe, expect, it } from 'vitest';
import { canTransition, checkTransition, MODEL_STATES, type ModelState } from '../../../runtime/repository/model-state.js';

const ALLOWED: readonly [ModelState, ModelState][] = [
  ['LOADING', 'READY'],
  ['LOADING', 'UNAVAILABLE'],
  ['READY', 'UNLOADING'],
  ['READY', 'UNAVAILABLE'],
  ['UNLOADING', 'UNAVAILABLE'],
];
const pairs = MODEL_STATES.flatMap((from) => MODEL_STATES.map((to) => [from, to] as [ModelState, ModelState]));
const refused = pairs.filter(([from, to]) => !ALLOWED.some(([f, t]) => f === from && t === to));

describe('model version states', () => {
  it.each(ALLOWED)('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => checkTransition('m/1', from, to)).not.toThrow();
  });

  it.each(refused)('refuses %s -> %s (INTERNAL, naming the version)', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => checkTransition("model 'm' version 1", from, to)).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining(`model 'm' version 1: a model version cannot move from ${from} to ${to}`) }));
  });

  it('never brings a version back from UNAVAILABLE (a new load makes a new version object)', () => {
    expect(MODEL_STATES.filter((to) => canTransition('UNAVAILABLE', to))).toEqual([]);
  });
});
