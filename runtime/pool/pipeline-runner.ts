/**
 * A pipeline (bundle.json `pipeline`) in one worker: one session per step, run in order within one task,
 * so intermediate tensors never leave this thread. Each step's session is made from bytes checked against
 * its sha256, as a single model's is (session-factory.ts).
 */
import { dirname, join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { PipelineSpec, SessionSpec, TensorRef } from './messages.js';
import type { ModelRunner } from './model-runner.js';
import { planPipeline, type StepGraph } from './pipeline-wiring.js';
import { createSession, describeValues, type CreatedSession } from './session-factory.js';

interface Step {
  name: string;
  session: ort.InferenceSession;
  /** Graph input -> source; absent for the first step, which takes the pipeline's inputs. */
  wiring?: Record<string, TensorRef>;
  fetches: string[];
}

export async function createPipelineRunner(spec: SessionSpec & { pipeline: PipelineSpec }): Promise<ModelRunner> {
  const created: CreatedSession[] = [];
  try {
    created.push(await createSession(spec));
    for (const step of spec.pipeline.steps) created.push(await createSession({ ...spec, modelPath: step.modelPath, modelSha256: step.modelSha256 }));
    const graphs: StepGraph[] = created.map((c, i) => ({
      name: i === 0 ? 'model' : spec.pipeline.steps[i - 1]!.name,
      inputs: describeValues(c.session.inputMetadata),
      outputs: describeValues(c.session.outputMetadata),
    }));
    const plan = planPipeline(join(dirname(spec.modelPath), 'bundle.json'), graphs[0]!, graphs.slice(1), spec.pipeline);
    const steps: Step[] = created.map((c, i) => ({
      name: graphs[i]!.name,
      session: c.session,
      ...(i > 0 ? { wiring: spec.pipeline.steps[i - 1]!.inputs } : {}),
      fetches: plan.fetches[i]!,
    }));
    return {
      inputs: plan.inputs,
      outputs: plan.outputs,
      provider: created[0]!.provider,
      fallbacks: created.flatMap((c, i) => c.fallbacks.map((f) => ({ ...f, error: `step '${graphs[i]!.name}': ${f.error}` }))),
      run: (feeds, fetches) => runSteps(steps, spec.pipeline.outputs, feeds, fetches),
      release: async () => {
        for (const c of created) await c.session.release();
      },
    };
  } catch (error) {
    for (const c of created) await c.session.release().catch(() => undefined);
    throw error;
  }
}

async function runSteps(steps: readonly Step[], outputs: PipelineSpec['outputs'], feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<Record<string, ort.Tensor>> {
  const values = new Map<string, ort.Tensor>();
  for (const [name, t] of Object.entries(feeds)) values.set(`input.${name}`, t);
  // Tensors made here: each is either returned (the caller disposes it) or disposed before returning.
  const made: ort.Tensor[] = [];
  try {
    for (const step of steps) {
      const stepFeeds = step.wiring
        ? Object.fromEntries(Object.entries(step.wiring).map(([input, ref]) => [input, values.get(`${ref.step}.${ref.tensor}`)!]))
        : feeds;
      const results = await step.session.run(stepFeeds, step.fetches);
      for (const [name, t] of Object.entries(results)) {
        values.set(`${step.name}.${name}`, t);
        made.push(t);
      }
    }
    const out: Record<string, ort.Tensor> = {};
    for (const name of fetches) {
      const ref = outputs[name];
      if (!ref) throw new Error(`'${name}' is not an output of the pipeline (it has ${Object.keys(outputs).join(', ')})`);
      out[name] = values.get(`${ref.step}.${ref.tensor}`)!;
    }
    const kept = new Set(Object.values(out));
    for (const t of made) if (!kept.has(t)) t.dispose();
    return out;
  } catch (error) {
    for (const t of made) t.dispose();
    throw error;
  }
}
