/**
 * What a worker runs for one model version: one ONNX Runtime session, or a pipeline of them
 * (pipeline-runner.ts). Either way one call takes the version's inputs and gives its outputs.
 */
import type * as ort from 'onnxruntime-node';
import type { SessionSpec, ValueInfo } from './messages.js';
import { createPipelineRunner } from './pipeline-runner.js';
import { createSession, describeValues } from './session-factory.js';

export interface ModelRunner {
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly provider: string;
  readonly fallbacks: { provider: string; error: string }[];
  /** The caller owns (and disposes) the tensors returned; the feeds stay the caller's. */
  run(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

export async function createRunner(spec: SessionSpec): Promise<ModelRunner> {
  if (spec.pipeline) return createPipelineRunner({ ...spec, pipeline: spec.pipeline });
  const { session, provider, fallbacks } = await createSession(spec);
  return {
    inputs: describeValues(session.inputMetadata),
    outputs: describeValues(session.outputMetadata),
    provider,
    fallbacks,
    run: (feeds, fetches) => session.run(feeds, fetches),
    release: () => session.release(),
  };
}
