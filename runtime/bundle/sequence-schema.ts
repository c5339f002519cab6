import { z } from 'zod';

const inputName = z.string().min(1).max(200);

/**
 * bundle.json `sequence`: the model is stateful (Triton's sequence batcher with implicit state).
 * `state` pairs a graph input with the graph output that carries its next value; clinfer keeps it per
 * sequence and the client never sends it. `control` names graph inputs clinfer fills in per request.
 * docs/bundle-format.md#sequence describes each field; runtime/model/sequence-spec.ts checks it against the graph.
 */
export const sequenceSchema = z.strictObject({
  state: z.array(z.strictObject({
    input: inputName,
    output: inputName,
    /** The state of a new sequence: one number for every element, or every element of one row; default 0. */
    initial: z.union([z.number(), z.array(z.number()).min(1).max(1_048_576)]).optional(),
  })).min(1).max(16),
  control: z.strictObject({
    /** 1 on a sequence's first request, else 0. */
    start: inputName.optional(),
    /** 1 on its last request (sequence_end), else 0. */
    end: inputName.optional(),
    /** Always 1: every row of a batch carries a request. */
    ready: inputName.optional(),
    /** The sequence id (numeric ids only). */
    correlation_id: inputName.optional(),
  }).default({}),
  /** A sequence without a request for this long is freed; its next request is SEQUENCE_NOT_FOUND. */
  idle_timeout_ms: z.number().int().min(1).max(86_400_000).default(60_000),
  /** Live sequences of this version at most; a new one beyond is SEQUENCE_LIMIT (429). */
  max_sequences: z.number().int().min(1).max(1_000_000).default(1024),
});

export type SequenceDeclaration = z.infer<typeof sequenceSchema>;
