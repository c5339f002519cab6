import { parseImageSpec, type ImageSpec } from '../../adapters/imaging/image-spec.js';
import { parseTabularPostprocessing } from '../../adapters/tabular/postprocessing.js';
import { parseTabularSpec, type TabularSpec } from '../../adapters/tabular/tabular-spec.js';
import type { Bundle } from '../bundle/bundle-schema.js';
import { driftReferenceSchema, type DriftReference } from '../monitoring/drift-monitor.js';
import { ClinferError } from '../errors/index.js';
import type { ValueInfo } from '../pool/messages.js';
import { datatypeFromOrt } from '../tensor/datatypes.js';
import { deepFreeze } from '../util/deep-freeze.js';
import type { ConfigOverride } from './config-override.js';
import type { ModelConfig, ModelMemory, WarmupStatus } from './model-config.js';
import { parseSequenceSpec } from './sequence-spec.js';
import { budgetedBatchSize, bytesPerItem, requestBytesNeeded, requestLimit } from './tensor-bytes.js';
import type { TensorSpec, UnsupportedValueSpec } from './tensor-spec.js';

export interface GraphInfo {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly provider: string;
}

export interface ConfigDefaults {
  readonly maxQueueSize: number;
  /** Server override of every bundle's max_queue_delay_us. */
  readonly maxQueueDelayUs: number | undefined;
  /** max_batch_size auto-filled for a graph whose inputs and outputs all have a dynamic first dimension. */
  readonly autofillMaxBatchSize: number;
  readonly instances: number;
  /** Autofill lowers max_batch_size so that one batch of inputs and outputs fits this (default: no bound). */
  readonly autofillBatchBudgetBytes?: number;
  /** Request size limit for models whose need is unknown or smaller (default: the need, or 64 MiB). */
  readonly maxBodyBytes?: number;
  /** No model's request size limit goes above this (default: no bound). */
  readonly maxBodyBytesCeiling?: number;
  /** A load's configuration override (Triton's `parameters.config`): over the bundle and the server defaults. */
  readonly override?: ConfigOverride | undefined;
}

/** What the load measured, shown in the metadata (absent where nothing was loaded, e.g. `bundle init`). */
export interface LoadFacts {
  readonly warmup: WarmupStatus;
  readonly memory: ModelMemory;
}

/**
 * Merges what the ONNX graph says with what the bundle declares (Triton's autofill, then validate).
 * The bundle may narrow a dynamic dimension, never contradict the graph. Failures name the field.
 */
export function buildModelConfig(
  id: { name: string; version: string; bundleFile: string; digest: string },
  graph: GraphInfo,
  bundle: Bundle | undefined,
  defaults: ConfigDefaults,
  load?: LoadFacts,
): ModelConfig {
  const fail = (field: string, message: string) =>
    new ClinferError('BUNDLE_INVALID', bundle ? `${id.bundleFile}: field '${field}': ${message}` : `${id.name}/${id.version}: ${message}`);

  const graphInputs = graph.inputs.map((v) => {
    const spec = tensorSpec(v);
    if ('reason' in spec) throw fail('inputs', `graph input '${v.name}' ${spec.reason}; clinfer cannot feed it`);
    return spec;
  });
  const graphOutputs: TensorSpec[] = [];
  const unsupportedOutputs: UnsupportedValueSpec[] = [];
  for (const v of graph.outputs) {
    const spec = tensorSpec(v);
    if ('reason' in spec) unsupportedOutputs.push(spec);
    else graphOutputs.push(spec);
  }
  if (graphOutputs.length === 0) throw fail('outputs', 'the graph has no tensor output clinfer can return');

  const inputs = bundle?.inputs ? reconcile('inputs', bundle.inputs, graphInputs, fail) : graphInputs;
  const outputs = bundle?.outputs ? reconcile('outputs', bundle.outputs, graphOutputs, fail) : graphOutputs;

  const all = [...inputs, ...outputs];
  const batchable = all.every((t) => t.shape.length > 0 && t.shape[0] === -1);
  const autofill = batchable
    ? budgetedBatchSize(bytesPerItem(all, true), defaults.autofillBatchBudgetBytes ?? Number.POSITIVE_INFINITY, defaults.autofillMaxBatchSize)
    : 0;
  const override = defaults.override;
  let maxBatchSize = override?.maxBatchSize ?? bundle?.max_batch_size ?? autofill;
  if (maxBatchSize > 1 && !batchable) {
    const fixed = all.find((t) => t.shape[0] !== -1)!;
    if (override?.maxBatchSize !== undefined) throw new ClinferError('INVALID_PARAMETER', `parameters.config: field 'max_batch_size' is ${maxBatchSize} but '${fixed.name}' of model '${id.name}' has no dynamic first dimension (shape [${fixed.shape.join(',')}])`);
    throw fail('max_batch_size', `is ${maxBatchSize} but '${fixed.name}' has no dynamic first dimension (shape [${fixed.shape.join(',')}])`);
  }
  if (maxBatchSize === 1) maxBatchSize = 0;
  // A stateful model: the client sends and receives all but the state and control tensors.
  const sequence = bundle?.sequence ? parseSequenceSpec(bundle.sequence, { inputs, outputs, maxBatchSize }, fail) : undefined;
  const served = sequence?.served ?? { inputs, outputs };

  // A domain adapter reads its preprocessing declaration; its Error('field: message') names the field.
  const preprocessing = <T>(kind: string, parse: (raw: unknown, input: TensorSpec | undefined) => T): T | undefined => {
    if (bundle?.preprocessing.kind !== kind) return undefined;
    try {
      return parse(bundle.preprocessing, inputs.find((i) => i.name === bundle.preprocessing.input));
    } catch (error) {
      const [field, ...rest] = (error as Error).message.split(': ');
      throw fail(field!, rest.join(': '));
    }
  };
  const tabular: TabularSpec | undefined = preprocessing('tabular', parseTabularSpec);
  // A tabular bundle's postprocessing must fit the output it reads (exists, numeric, one column per label,
  // the positive class named): otherwise every prediction would fail or report the wrong class.
  if (tabular) {
    try {
      parseTabularPostprocessing(bundle!.postprocessing, bundle!.labels, bundle!.task, outputs, unsupportedOutputs);
    } catch (error) {
      const [field, ...rest] = (error as Error).message.split(': ');
      throw fail(field!, rest.join(': '));
    }
  }
  const image: ImageSpec | undefined = preprocessing('image', parseImageSpec);

  let driftReference: DriftReference | undefined;
  if (bundle?.monitoring?.drift_reference !== undefined) {
    const parsed = driftReferenceSchema.safeParse(bundle.monitoring.drift_reference);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw fail(`monitoring.drift_reference.${issue.path.join('.')}`, issue.message);
    }
    driftReference = parsed.data;
  }

  return deepFreeze({
    name: id.name,
    version: id.version,
    platform: 'onnxruntime_onnx',
    inputs: served.inputs,
    outputs: served.outputs,
    unsupportedOutputs,
    maxBatchSize,
    maxRequestBytes: requestLimit(
      requestBytesNeeded(served.inputs, maxBatchSize),
      defaults.maxBodyBytes ?? 64 * 1024 * 1024,
      defaults.maxBodyBytesCeiling ?? Number.MAX_SAFE_INTEGER,
    ),
    requestBytesNeeded: requestBytesNeeded(served.inputs, maxBatchSize),
    warmup: load?.warmup,
    memory: load?.memory,
    instances: bundle?.execution.instances ?? defaults.instances,
    scheduling: {
      maxQueueDelayMs: (override?.maxQueueDelayUs ?? defaults.maxQueueDelayUs ?? bundle?.scheduling.max_queue_delay_us ?? 0) / 1000,
      preferredBatchSizes: [...(override?.preferredBatchSizes ?? bundle?.scheduling.preferred_batch_sizes ?? [])].filter((n) => n <= Math.max(1, maxBatchSize)).sort((a, b) => a - b),
      maxQueueSize: override?.maxQueueSize ?? bundle?.scheduling.max_queue_size ?? defaults.maxQueueSize,
      defaultTimeoutMs: (override?.defaultTimeoutUs ?? bundle?.scheduling.default_timeout_us ?? 0) / 1000,
    },
    provider: graph.provider,
    digest: id.digest,
    source: bundle ? 'bundle' : 'autofill',
    bundle,
    tabular,
    image,
    driftReference,
    ...(sequence ? { sequence: sequence.spec } : {}),
  } satisfies ModelConfig);
}

function tensorSpec(v: ValueInfo): TensorSpec | UnsupportedValueSpec {
  if (!v.isTensor) return { name: v.name, reason: 'is not a tensor (a sequence or map, e.g. scikit-learn ZipMap)' };
  const datatype = datatypeFromOrt(v.type ?? '');
  if (!datatype) return { name: v.name, reason: `has element type ${v.type}, which the protocol cannot carry` };
  return { name: v.name, datatype, shape: (v.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

function reconcile(
  field: 'inputs' | 'outputs',
  declared: readonly TensorSpec[],
  graph: readonly TensorSpec[],
  fail: (field: string, message: string) => ClinferError,
): TensorSpec[] {
  const names = new Set(declared.map((d) => d.name));
  if (names.size !== declared.length) throw fail(field, 'lists a name twice');
  if (field === 'inputs') {
    const missing = graph.find((g) => !names.has(g.name));
    if (missing) throw fail(field, `does not declare graph input '${missing.name}'`);
  }
  return declared.map((d, i) => {
    const g = graph.find((t) => t.name === d.name);
    const where = `${field}[${i}]`;
    if (!g) throw fail(`${where}.name`, `'${d.name}' is not a ${field === 'inputs' ? 'input' : 'tensor output'} of the graph (it has ${graph.map((t) => t.name).join(', ')})`);
    if (g.datatype !== d.datatype) throw fail(`${where}.datatype`, `is ${d.datatype}, the graph says ${g.datatype}`);
    if (g.shape.length > 0) {
      if (g.shape.length !== d.shape.length) throw fail(`${where}.shape`, `has rank ${d.shape.length}, the graph's is ${g.shape.length} ([${g.shape.join(',')}])`);
      g.shape.forEach((gd, k) => {
        if (gd !== -1 && d.shape[k] !== gd) throw fail(`${where}.shape`, `dimension ${k} is ${d.shape[k]}, the graph fixes it at ${gd}`);
      });
    }
    return { name: d.name, datatype: d.datatype, shape: [...d.shape] };
  });
}
