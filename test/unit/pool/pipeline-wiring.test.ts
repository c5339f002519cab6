import { describe, expect, it } from 'vitest';
import type { PipelineSpec, ValueInfo } from '../../../runtime/pool/messages.js';
import { WorkerBundleError } from '../../../runtime/pool/messages.js';
import { planPipeline, type StepGraph } from '../../../runtime/pool/pipeline-wiring.js';

const t = (name: string, type: string, shape: (number | string)[]): ValueInfo => ({ name, isTensor: true, type, shape });
const first: StepGraph = { name: 'model', inputs: [t('x', 'float32', ['N', 4])], outputs: [t('z', 'float32', ['N', 4]), t('aux', 'int64', ['N'])] };
const classifier = (input: ValueInfo, output: ValueInfo = t('p', 'float32', ['N', 1])): StepGraph => ({ name: 'classifier', inputs: [input], outputs: [output] });
const spec = (inputs: Record<string, string>, outputs: Record<string, string> = { p: 'classifier.p' }): PipelineSpec => ({
  steps: [{ name: 'classifier', modelPath: '/m/logreg.onnx', modelSha256: '0', inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { step: v.split('.')[0]!, tensor: v.split('.')[1]! }])) }],
  outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { step: v.split('.')[0]!, tensor: v.split('.')[1]! }])),
});
const plan = (step: StepGraph, s: PipelineSpec) => planPipeline('/m/bundle.json', first, [step], s);

describe('planPipeline', () => {
  it("gives the pipeline's inputs (the first step's) and its declared outputs, typed from their source", () => {
    const p = plan(classifier(t('z', 'float32', ['batch', 4])), spec({ z: 'model.z' }, { probability: 'classifier.p', standardised: 'model.z' }));
    expect(p.inputs).toEqual([t('x', 'float32', ['N', 4])]);
    expect(p.outputs).toEqual([t('probability', 'float32', ['N', 1]), t('standardised', 'float32', ['N', 4])]);
    expect(p.fetches).toEqual([['z'], ['p']]);
  });

  it('takes a pipeline input directly', () => {
    expect(plan(classifier(t('z', 'float32', ['N', 4])), spec({ z: 'input.x' }, { p: 'classifier.p', z: 'model.z' })).fetches).toEqual([['z'], ['p']]);
  });

  it.each([
    ['element types differ', classifier(t('z', 'float64', ['N', 4])), spec({ z: 'model.z' }), /'pipeline\.steps\[0\]\.inputs\.z': step 'classifier' input 'z' is float64 \[-1,4\], 'model\.z' is float32 \[-1,4\]: the element types differ/],
    ['ranks differ', classifier(t('z', 'float32', ['N', 4, 1])), spec({ z: 'model.z' }), /input 'z' is float32 \[-1,4,1\], 'model\.z' is float32 \[-1,4\]: the ranks differ/],
    ['a dimension differs', classifier(t('z', 'float32', ['N', 3])), spec({ z: 'model.z' }), /dimension 1 differs/],
    ['an unknown source step output', classifier(t('z', 'float32', ['N', 4])), spec({ z: 'model.y' }), /'model\.y' is not an output of step 'model' \(it has z, aux\)/],
    ['an unknown pipeline input', classifier(t('z', 'float32', ['N', 4])), spec({ z: 'input.w' }), /'input\.w' is not a pipeline input/],
    ['a step used by nothing', classifier(t('z', 'float32', ['N', 4])), spec({ z: 'model.z' }, { z: 'model.z' }), /'pipeline\.steps\[0\]': no output of step 'classifier' is used/],
    ['a fixed batch inside a batching pipeline', classifier(t('z', 'float32', [1, 4])), spec({ z: 'model.z' }), /'pipeline\.steps\[0\]': 'z' of step 'classifier' is float32 \[1,4\], with no dynamic first dimension/],
  ])('refuses %s, naming the field, the step and the input', (_what, step, s, message) => {
    let thrown: unknown;
    try {
      plan(step, s);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WorkerBundleError);
    expect((thrown as Error).message).toMatch(/^\/m\/bundle\.json: field /);
    expect((thrown as Error).message).toMatch(message);
  });
});
