import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exposeZipMapInputs } from '../../../runtime/onnx/expose-zipmap.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const read = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, 'generated', name)));
const row = new Float32Array([63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6]);

describe('exposeZipMapInputs (scikit-learn-onnx ZipMap, rewritten in memory)', () => {
  it('turns the ZipMap output into the [N,2] probabilities tensor, with the same values as the model without ZipMap', async () => {
    const original = read('sklearn_logreg_heart_zipmap.onnx');
    const edit = exposeZipMapInputs(original);
    expect(edit.exposed).toEqual(['output_probability']);
    const zipped = await ort.InferenceSession.create(edit.bytes);
    expect(zipped.outputMetadata.find((o) => o.name === 'output_probability')).toMatchObject({ isTensor: true, type: 'float32', shape: [expect.anything(), 2] });
    const plain = await ort.InferenceSession.create(read('sklearn_logreg_heart.onnx'));
    const feed = { float_input: new ort.Tensor('float32', row, [1, 13]) };
    const a = (await zipped.run(feed)).output_probability!.data as Float32Array;
    const b = (await plain.run(feed)).probabilities!.data as Float32Array;
    expect([...a]).toEqual([...b]);
    expect(a[0]! + a[1]!).toBeCloseTo(1, 6);
  });

  it('keeps every other byte: a model without ZipMap is returned as it is, and the rewrite is deterministic', () => {
    const plain = read('sklearn_logreg_heart.onnx');
    expect(exposeZipMapInputs(plain).bytes).toBe(plain);
    const original = read('sklearn_logreg_heart_zipmap.onnx');
    const once = exposeZipMapInputs(original).bytes;
    expect(Buffer.from(exposeZipMapInputs(original).bytes).equals(Buffer.from(once))).toBe(true);
    // The initial fields (ir_version, producer, ...) and the nodes before the ZipMap are copied verbatim.
    expect(Buffer.from(once).includes(Buffer.from('skl2onnx'))).toBe(true);
    expect(Buffer.from(once).includes(Buffer.from('\x22\x06ZipMap'))).toBe(false); // op_type (field 4)
    expect(Buffer.from(original).includes(Buffer.from('\x22\x06ZipMap'))).toBe(true);
  });

  it('leaves a model whose bytes merely mention ZipMap alone, and does not throw on garbage', () => {
    const text = new TextEncoder().encode('not a model, but it says ZipMap');
    expect(exposeZipMapInputs(text)).toEqual({ bytes: text, exposed: [] });
  });
});
