import { z } from 'zod';

/** A step's name: how later steps and `outputs` refer to it ('input' and 'model' are taken). */
const stepName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a letter, then letters, digits, _ - (no dot)')
  .refine((n) => n !== 'input' && n !== 'model', "'input' and 'model' are reserved (the pipeline's inputs and its first step)");
/** Where a tensor comes from: `input.<name>` (a pipeline input), `model.<output>` or `<step>.<output>`. */
const source = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*\..+$/, "'<step>.<tensor>': input.<pipeline input>, model.<output> or <step name>.<output>").max(300);

/**
 * bundle.json `pipeline`: the bundle's `model` is the first step (its graph inputs are the pipeline's
 * inputs); `steps` run after it, in order, each fed from the pipeline's inputs or an earlier step's
 * outputs. `outputs` names what the pipeline returns. docs/bundle-format.md#pipeline describes each field;
 * runtime/bundle/pipeline.ts checks the wiring and runtime/pool/pipeline-runner.ts checks it against the graphs.
 */
export const pipelineSchema = z.strictObject({
  steps: z.array(z.strictObject({
    name: stepName,
    file: z.string().regex(/^[^/\\]+\.(onnx|ort)$/, 'a file name in the version folder ending in .onnx or .ort'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hexadecimal characters'),
    /** Every graph input of the step: graph input name -> source. */
    inputs: z.record(z.string().min(1).max(200), source),
  })).min(1).max(16),
  /** The pipeline's outputs: output name (as clients see it) -> source (a step's output). */
  outputs: z.record(z.string().min(1).max(200), source).refine((o) => Object.keys(o).length > 0, 'names at least one output'),
});

export type PipelineDeclaration = z.infer<typeof pipelineSchema>;
