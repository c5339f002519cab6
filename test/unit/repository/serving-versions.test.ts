import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servingVersions } from '../../../runtime/repository/serving-versions.js';

const modelFolder = (versions: string[], files: string[] = []) => {
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-serving-'));
  for (const v of versions) mkdirSync(join(dir, v));
  for (const f of files) writeFileSync(join(dir, f), 'x');
  return dir;
};
const none = { pinned: undefined, candidate: undefined };

describe('servingVersions', () => {
  it('applies the policy to the version folders, ignoring other names', async () => {
    const dir = modelFolder(['1', '2', '10', 'notes', '03']);
    expect(await servingVersions(dir, { latest: 1 }, none)).toEqual({ flat: false, selected: ['10'] });
    expect(await servingVersions(dir, { all: true }, none)).toEqual({ flat: false, selected: ['10', '2', '1'] });
  });

  it('serves a pinned version alone, over the policy, while its folder exists', async () => {
    const dir = modelFolder(['1', '2', '3']);
    expect((await servingVersions(dir, { latest: 1 }, { pinned: '1', candidate: undefined })).selected).toEqual(['1']);
    expect((await servingVersions(dir, { latest: 1 }, { pinned: '7', candidate: undefined })).selected).toEqual(['3']);
  });

  it('leaves the candidate outside the policy', async () => {
    const dir = modelFolder(['1', '2', '3']);
    expect((await servingVersions(dir, { latest: 1 }, { pinned: undefined, candidate: '3' })).selected).toEqual(['2']);
  });

  it("takes a folder holding the model itself as version 1 (KServe's layout)", async () => {
    expect(await servingVersions(modelFolder([], ['model.onnx']), { latest: 1 }, none)).toEqual({ flat: true, selected: ['1'] });
  });

  it('refuses a folder with nothing to serve, naming it (BUNDLE_INVALID)', async () => {
    const empty = modelFolder([]);
    await expect(servingVersions(empty, { latest: 1 }, none)).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: `${empty}: holds no version folder (expected ${empty}/1/bundle.json or ${empty}/1/model.onnx)` });
    const dir = modelFolder(['1', '2']);
    await expect(servingVersions(dir, { specific: ['5'] }, none)).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringContaining('the version policy selects none of the versions') });
  });
});
