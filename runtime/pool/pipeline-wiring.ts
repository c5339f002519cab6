/**
 * Checks a pipeline's wiring against its graphs (pure: the worker calls it once every session exists).
 * Every graph input of every step is fed, from a tensor that exists, with the same element type and
 * compatible shapes; every step is used; when the pipeline batches, every step takes the batch first.
 * Messages name the bundle.json field, the step and the input.
 */
import { WorkerBundleError, type PipelineSpec, type TensorRef, type ValueInfo } from './messages.js';
import { ownEntry } from '../../adapters/own-entry.js';

export interface StepGraph {
  name: string;
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export interface PipelinePlan {
  /** The pipeline's own inputs (the first step's) and outputs (as declared, typed from their source). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Per step (the first step included), the outputs it must fetch: those used later or returned. */
  fetches: string[][];
}

const refName = (r: TensorRef) => `${r.step}.${r.tensor}`;
const describe = (v: ValueInfo) => `${v.type ?? '?'} [${(v.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1)).join(',')}]`;
const isDynamic = (d: number | string | undefined) => typeof d === 'string' || (typeof d === 'number' && d < 0);

export function planPipeline(bundlePath: string, first: StepGraph, steps: readonly StepGraph[], spec: PipelineSpec): PipelinePlan {
  const fail = (field: string, message: string) => new WorkerBundleError(`${bundlePath}: field 'pipeline.${field}': ${message}`);
  const available = new Map<string, ValueInfo>();
  for (const v of first.inputs) available.set(`input.${v.name}`, v);
  for (const v of first.outputs) available.set(`model.${v.name}`, v);
  const used = new Set<string>();
  const source = (ref: TensorRef, field: string, who: string): ValueInfo => {
    const v = available.get(refName(ref));
    if (!v) {
      const owner = ref.step === 'input' ? first.inputs : ref.step === 'model' ? first.outputs : steps.find((s) => s.name === ref.step)?.outputs ?? [];
      const what = ref.step === 'input' ? 'a pipeline input (the first step\'s graph inputs are' : `an output of step '${ref.step}' (it has`;
      throw fail(field, `${who}: '${refName(ref)}' is not ${what} ${owner.map((o) => o.name).join(', ')})`);
    }
    if (!v.isTensor) throw fail(field, `${who}: '${refName(ref)}' is not a tensor (a sequence or map); it cannot be passed on`);
    used.add(refName(ref));
    return v;
  };

  spec.steps.forEach((step, i) => {
    const graph = steps[i]!;
    for (const name of Object.keys(step.inputs)) {
      if (!graph.inputs.some((g) => g.name === name)) throw fail(`steps[${i}].inputs.${name}`, `'${name}' is not a graph input of step '${step.name}' (it has ${graph.inputs.map((g) => g.name).join(', ')})`);
    }
    for (const input of graph.inputs) {
      const field = `steps[${i}].inputs.${input.name}`;
      const ref = ownEntry(step.inputs, input.name);
      if (!ref) throw fail(`steps[${i}].inputs`, `graph input '${input.name}' of step '${step.name}' is not wired (give its source, e.g. "model.<output>")`);
      const from = source(ref, field, `step '${step.name}' input '${input.name}'`);
      const mismatch = `step '${step.name}' input '${input.name}' is ${describe(input)}, '${refName(ref)}' is ${describe(from)}`;
      if (from.type !== input.type) throw fail(field, `${mismatch}: the element types differ`);
      const [a, b] = [input.shape, from.shape];
      if (a && b && a.length > 0 && b.length > 0) {
        if (a.length !== b.length) throw fail(field, `${mismatch}: the ranks differ`);
        a.forEach((d, k) => {
          const e = b[k];
          if (typeof d === 'number' && d >= 0 && typeof e === 'number' && e >= 0 && d !== e) throw fail(field, `${mismatch}: dimension ${k} differs`);
        });
      }
    }
    for (const v of graph.outputs) available.set(`${step.name}.${v.name}`, v);
  });

  const outputs = Object.entries(spec.outputs).map(([name, ref]) => ({ ...source(ref, `outputs.${name}`, `output '${name}'`), name }));

  // A step that feeds nothing would run for nothing: a wiring mistake.
  const all = [first, ...steps];
  const fetches = all.map((g) => g.outputs.filter((o) => used.has(`${g === first ? 'model' : g.name}.${o.name}`)).map((o) => o.name));
  fetches.forEach((f, i) => {
    if (f.length === 0) throw fail(i === 0 ? 'steps' : `steps[${i - 1}]`, `no output of step '${i === 0 ? 'model' : all[i]!.name}' is used by a later step or a pipeline output`);
  });

  // Batches are stacked on the first dimension of the pipeline's inputs: every step must keep it there.
  const batchable = [...first.inputs, ...outputs].every((v) => (v.shape?.length ?? 0) > 0 && isDynamic(v.shape![0]));
  if (batchable) {
    for (const [i, g] of all.entries()) {
      const fixed = [...g.inputs, ...g.outputs].find((v) => v.isTensor && !((v.shape?.length ?? 0) > 0 && isDynamic(v.shape![0])));
      if (fixed) throw fail(i === 0 ? 'steps' : `steps[${i - 1}]`, `'${fixed.name}' of step '${i === 0 ? 'model' : g.name}' is ${describe(fixed)}, with no dynamic first dimension, while the pipeline's inputs and outputs have one: every step must take the batch as its first dimension`);
    }
  }
  return { inputs: [...first.inputs], outputs, fetches };
}
