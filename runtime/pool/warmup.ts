import type { ValueInfo, WireTensor } from './messages.js';
import type { OrtType } from '../tensor/datatypes.js';
import { decodeSampleInput, type WarmupSampleInput } from './warmup-sample.js';
import { ownEntry } from '../../adapters/own-entry.js';

/** Dynamic dimensions other than the batch get this size during a synthetic warm-up. */
const WARMUP_DYNAMIC_DIM = 32;

/**
 * How a worker warms a new session up (built on the main thread from bundle.json, see
 * runtime/bundle/warmup-plan.ts). Contract: only a failed `samples` warm-up may make the version
 * UNAVAILABLE (the bundle author declared those inputs valid); a failed `synthetic` warm-up (zeros with
 * guessed sizes, meaningless for e.g. an STFT front end or a sample-rate input) is a warning only.
 * The plan is small (file paths and bounded inline values): it travels with every infer task.
 */
export type WarmupPlan =
  | { kind: 'synthetic'; shapes: Record<string, number[]> }
  | { kind: 'samples'; samples: WarmupSample[] }
  | { kind: 'off' };

export interface WarmupSample {
  /** For messages: the sample's name in bundle.json, or its index. */
  label: string;
  inputs: Record<string, WarmupSampleInput>;
}

export interface WarmupOutcome {
  warmupMs: number;
  /** First line of the first failure, prefixed with the sample it came from. */
  warmupError?: string;
}

/** Runs the plan against a session (`run` wraps session.run); never throws, failures are reported. */
export async function runWarmup(
  plan: WarmupPlan,
  inputs: readonly ValueInfo[],
  outputs: readonly ValueInfo[],
  run: (feeds: WireTensor[], fetches: string[]) => Promise<unknown>,
  readFile: (path: string) => Buffer,
): Promise<WarmupOutcome> {
  const started = performance.now();
  const fetches = outputs.filter((o) => o.isTensor).map((o) => o.name);
  const feedSets: { label: string; feeds: () => WireTensor[] }[] =
    plan.kind === 'off' ? []
    : plan.kind === 'synthetic' ? [{ label: 'synthetic warm-up (zeros)', feeds: () => warmupFeeds(inputs, plan.shapes) }]
    : plan.samples.map((s) => ({ label: `warmup sample ${s.label}`, feeds: () => sampleFeeds(inputs, s, readFile) }));
  for (const set of feedSets) {
    try {
      await run(set.feeds(), fetches);
    } catch (error) {
      return { warmupMs: performance.now() - started, warmupError: `${set.label}: ${firstLine(error)}` };
    }
  }
  return { warmupMs: performance.now() - started };
}

/** Feeds for one declared sample: every graph input, none other, each decoded to the graph's type. */
export function sampleFeeds(inputs: readonly ValueInfo[], sample: WarmupSample, readFile: (path: string) => Buffer): WireTensor[] {
  const unknown = Object.keys(sample.inputs).find((name) => !inputs.some((i) => i.name === name));
  if (unknown) throw new Error(`input '${unknown}' is not an input of the graph (it has ${inputs.map((i) => i.name).join(', ')})`);
  return inputs.map((input) => {
    const given = ownEntry(sample.inputs, input.name);
    if (!given) throw new Error(`gives no value for graph input '${input.name}'`);
    return decodeSampleInput(input, given, readFile);
  });
}

/** Zero-filled feeds for one synthetic run: `shapes` wins, else dynamic dims become 1 (batch) or 32. */
export function warmupFeeds(inputs: readonly ValueInfo[], shapes: Record<string, number[]>): WireTensor[] {
  return inputs.map((input) => {
    const dims =
      ownEntry(shapes, input.name) ??
      (input.shape ?? []).map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? 1 : WARMUP_DYNAMIC_DIM));
    const n = dims.reduce((a, b) => a * b, 1);
    const type = (input.type ?? 'float32') as OrtType;
    return { name: input.name, type, dims, data: zeros(type, n) };
  });
}

function zeros(type: OrtType, n: number): WireTensor['data'] {
  switch (type) {
    case 'string': return new Array<string>(n).fill('');
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': case 'float16': return new Uint16Array(n);
    case 'int8': return new Int8Array(n);
    default: return new Uint8Array(n);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}
