import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClinferError } from '../errors/index.js';
import type { PipelineSpec, TensorRef } from '../pool/messages.js';
import type { Bundle } from './bundle-schema.js';
import { sha256File } from './sha256-file.js';

/**
 * Turns bundle.json `pipeline` into the worker's PipelineSpec: every step file is in the folder with its
 * declared sha256, step names are unique, and every source names the pipeline's inputs, the first step
 * ('model') or a step that runs earlier (so there is no cycle). What needs the graphs (every graph input
 * wired, names, datatypes and shapes agreeing) is checked where they are loaded (pool/pipeline-runner.ts).
 */
export async function resolvePipeline(dir: string, bundlePath: string, bundle: Bundle & { pipeline: NonNullable<Bundle['pipeline']> }): Promise<PipelineSpec> {
  const fail = (field: string, message: string) => new ClinferError('BUNDLE_INVALID', `${bundlePath}: field 'pipeline.${field}': ${message}`);
  // Not yet supported together (untested): a stateful pipeline would carry its state through several graphs.
  if (bundle.sequence) throw fail('steps', 'a pipeline cannot be stateful (bundle.json `sequence`) in this version');
  const declared = bundle.pipeline;
  const earlier = ['input', 'model'];
  const steps: PipelineSpec['steps'] = [];
  for (const [i, step] of declared.steps.entries()) {
    if (earlier.includes(step.name)) throw fail(`steps[${i}].name`, `step '${step.name}' is named twice`);
    const modelPath = join(dir, step.file);
    if (!(await stat(modelPath).catch(() => undefined))?.isFile()) throw fail(`steps[${i}].file`, `${step.file} is not a file in ${dir}`);
    const digest = await sha256File(modelPath);
    if (digest !== step.sha256) throw fail(`steps[${i}].sha256`, `${step.file} has sha256 ${digest}, the bundle declares ${step.sha256}`);
    const inputs: Record<string, TensorRef> = {};
    for (const [input, source] of Object.entries(step.inputs)) {
      inputs[input] = reference(source, earlier, `steps[${i}].inputs.${input}`, `step '${step.name}'`, fail);
    }
    steps.push({ name: step.name, modelPath, modelSha256: digest, inputs });
    earlier.push(step.name);
  }
  const outputs: Record<string, TensorRef> = {};
  for (const [output, source] of Object.entries(declared.outputs)) {
    const ref = reference(source, earlier, `outputs.${output}`, 'the pipeline', fail);
    if (ref.step === 'input') throw fail(`outputs.${output}`, `'${source}' is a pipeline input; an output must be a step's output`);
    outputs[output] = ref;
  }
  return { steps, outputs };
}

function reference(source: string, earlier: readonly string[], field: string, who: string, fail: (field: string, message: string) => ClinferError): TensorRef {
  const dot = source.indexOf('.');
  const step = source.slice(0, dot);
  if (!earlier.includes(step)) {
    throw fail(field, `'${source}' names no step that runs before ${who} (it can use input, ${earlier.slice(1).join(', ')})`);
  }
  return { step, tensor: source.slice(dot + 1) };
}
