/**
 * The states of a model version (Triton's ModelReadyState) and the moves allowed between them. One
 * ModelVersion object lives through one load attempt; loading the version again makes a new object:
 *
 *   LOADING -> READY        sessions created and warmed up on every worker, scheduler in place
 *   LOADING -> UNAVAILABLE  the load failed (with a reason naming file and field)
 *   READY -> UNLOADING      draining: accepted requests finish, no new ones reach it
 *   READY -> UNAVAILABLE    taken out of service at once (a run past its execution timeout)
 *   UNLOADING -> UNAVAILABLE  drained and unloaded through the API ('unloaded')
 *
 * Every other move is a fault in clinfer, refused by `checkTransition`.
 */
import { ClinferError } from '../errors/index.js';

export const MODEL_STATES = ['LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE'] as const;
export type ModelState = (typeof MODEL_STATES)[number];

const ALLOWED: Readonly<Record<ModelState, readonly ModelState[]>> = {
  LOADING: ['READY', 'UNAVAILABLE'],
  READY: ['UNLOADING', 'UNAVAILABLE'],
  UNLOADING: ['UNAVAILABLE'],
  UNAVAILABLE: [],
};

export function canTransition(from: ModelState, to: ModelState): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws INTERNAL for a move the lifecycle does not allow (a version can never come back from UNAVAILABLE). */
export function checkTransition(what: string, from: ModelState, to: ModelState): void {
  if (!canTransition(from, to)) throw new ClinferError('INTERNAL', `${what}: a model version cannot move from ${from} to ${to}`);
}
