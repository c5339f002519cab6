import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CdsRequestError, readHookRequest } from '../../adapters/cds-hooks/gather-resources.js';
import { extractPatients, FhirInputError } from '../../adapters/fhir/extract-patients.js';
import { recordsToRows, RecordsError } from '../../adapters/tabular/records.js';
import { parseTabularSpec } from '../../adapters/tabular/tabular-spec.js';
import { bundleSchema } from '../../runtime/bundle/bundle-schema.js';
import { pack, unpack } from '../../runtime/bundle/tar.js';
import { isClinferError } from '../../runtime/errors/index.js';
import { contentsToBytes } from '../../runtime/grpc/tensor-contents.js';
import type { ModelConfig } from '../../runtime/model/model-config.js';
import { parseInferRequest } from '../../runtime/protocol/infer-request.js';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runs } from './runs.js';

/**
 * Property-based and mutation fuzzing of every parser at the edge: whatever the bytes, each answers or
 * refuses with its own typed error, never anything else (which the HTTP layer would turn into a 500).
 */
const RUNS = runs(2000);
const model: ModelConfig = {
  name: 'm', version: '1', platform: 'onnxruntime_onnx',
  inputs: [{ name: 'a', datatype: 'FP32', shape: [-1, 3] }, { name: 's', datatype: 'BYTES', shape: [-1, 1] }, { name: 'i', datatype: 'INT64', shape: [-1, 2] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
  unsupportedOutputs: [], maxBatchSize: 8, maxRequestBytes: 1 << 20, requestBytesNeeded: undefined, warmup: undefined, memory: undefined, instances: 1, digest: 'd'.repeat(64),
  scheduling: { maxQueueDelayMs: 0, preferredBatchSizes: [], maxQueueSize: 10, defaultTimeoutMs: 0 },
  provider: 'cpu', source: 'autofill', bundle: undefined, tabular: undefined, image: undefined, driftReference: undefined,
};
const heartBundle = JSON.parse(readFileSync(new URL('../../models/heart-disease-risk/1/bundle.json', import.meta.url), 'utf8'));
const spec = parseTabularSpec(heartBundle.preprocessing, { name: 'features', shape: [-1, 13] });

const expectTyped = (run: () => unknown, ...allowed: (new (...a: never[]) => Error)[]) => {
  try {
    run();
  } catch (error) {
    if (isClinferError(error) || allowed.some((c) => error instanceof c)) return;
    throw error;
  }
};

/** A valid infer request, to be mutated. */
const validRequest = { id: 'x', inputs: [
  { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
  { name: 's', shape: [2, 1], datatype: 'BYTES', data: ['p', 'q'] },
  { name: 'i', shape: [2, 2], datatype: 'INT64', data: [1, 2, 3, 4] },
], outputs: [{ name: 'y', parameters: { binary_data: true } }] };

/** Replaces a random node of a JSON value with arbitrary JSON (mutation fuzzing). */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const copy: any = Array.isArray(value) ? [...value] : { ...value };
  copy[key] = mutate(child, path.slice(1), replacement);
  return copy;
}
const mutation = <T>(base: T) => fc.tuple(fc.array(fc.nat(), { maxLength: 5 }), fc.jsonValue({ maxDepth: 3 })).map(([path, r]) => mutate(base, path, r));

describe('fuzzing the edge parsers', () => {
  it('OIP JSON requests: arbitrary JSON and mutations of a valid request', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutation(validRequest)), (json) => {
      expectTyped(() => parseInferRequest(Buffer.from(JSON.stringify(json) ?? 'null'), undefined, model));
    }), { numRuns: RUNS });
  });

  it('OIP binary framing: arbitrary header lengths and bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.oneof(fc.nat({ max: 500 }).map(String), fc.string({ maxLength: 6 })), (bytes, header) => {
      expectTyped(() => parseInferRequest(Buffer.from(bytes), header, model));
      const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: bytes.length } }] }));
      expectTyped(() => parseInferRequest(Buffer.concat([json, Buffer.from(bytes)]), String(json.length), model));
    }), { numRuns: RUNS });
  });

  it('gRPC typed contents', () => {
    const datatypes = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'NOPE'];
    fc.assert(fc.property(fc.constantFrom(...datatypes), fc.array(fc.nat({ max: 5 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), (dt, shape, contents) => {
      expectTyped(() => contentsToBytes('x', dt, shape, contents as never));
    }), { numRuns: RUNS });
  });

  it('tar bundles: arbitrary bytes, gzip of arbitrary bytes, mutations of a valid archive', () => {
    const valid = pack([{ name: 'bundle.json', data: Buffer.from('{}') }, { name: 'model.onnx', data: Buffer.alloc(700, 7) }]);
    const raw = gunzipSync(valid);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: raw.length - 1 }), fc.nat({ max: 255 }), (bytes, at, value) => {
      const limits = { maxTotalBytes: 1 << 20, maxFiles: 8 };
      expectTyped(() => unpack(Buffer.from(bytes), limits));
      expectTyped(() => unpack(gzipSync(Buffer.from(bytes)), limits));
      const m = Buffer.from(raw);
      m[at] = value;
      expectTyped(() => unpack(gzipSync(m), limits));
    }), { numRuns: RUNS });
  });

  it('bundle manifests: mutations of the demo bundle.json are parsed or refused by the schema', () => {
    fc.assert(fc.property(mutation(heartBundle), (json) => {
      const parsed = bundleSchema.safeParse(json);
      expect(typeof parsed.success).toBe('boolean');
      if (parsed.success && (json as any)?.preprocessing?.kind === 'tabular') {
        try {
          parseTabularSpec(parsed.data.preprocessing, { name: 'features', shape: [-1, 13] });
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/^preprocessing/);
        }
      }
    }), { numRuns: runs(500) });
  });

  it('FHIR Bundles and records', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/fhir/two-patients.json', import.meta.url), 'utf8'));
    const at = new Date('2026-11-15T00:00:00Z');
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutation(fixture)), (json) => {
      expectTyped(() => extractPatients(spec, json, at), FhirInputError);
    }), { numRuns: RUNS });
    const record = { records: [{ age: 63, sex: 'male', chol: { value: 6, unit: 'mmol/L' }, cp: 'typical_angina' }] };
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutation(record)), (json) => {
      expectTyped(() => recordsToRows(spec, json), RecordsError);
    }), { numRuns: RUNS });
  });

  it('CDS Hooks requests', () => {
    const base = { hook: 'patient-view', hookInstance: 'h', context: { patientId: 'a' }, prefetch: { patient: null } };
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), mutation(base)), (json) => {
      expectTyped(() => readHookRequest(json, 'patient-view'), CdsRequestError);
    }), { numRuns: RUNS });
  });
});
