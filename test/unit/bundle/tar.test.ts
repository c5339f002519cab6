import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pack, RATIO_FREE_BYTES, unpack, unpackStream } from '../../../runtime/bundle/tar.js';

/** The streaming unpacker (deployments) against the one-shot one (CLI): same files, same refusals, bombs bounded. */
const files = [
  { name: 'bundle.json', data: Buffer.from('{"name":"m"}') },
  { name: 'empty.txt', data: Buffer.alloc(0) },
  // Larger than a decompressed chunk (64 KiB) and not a whole number of 512-byte blocks.
  { name: 'model.onnx', data: Buffer.from(Array.from({ length: 300_001 }, (_, i) => (i * 7919) % 251)) },
];
const limits = { maxTotalBytes: 10 * 1024 * 1024, maxFiles: 8 };

/** A tar header for one regular file (ustar), as `pack` writes it, for archives pack would refuse to make. */
function header(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write(`${h.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

describe('unpackStream', () => {
  it('gives back exactly the files that were packed, as unpack does', async () => {
    const archive = pack(files);
    const streamed = await unpackStream(archive, limits);
    expect(streamed.map((f) => [f.name, f.data.toString('base64')])).toEqual(files.map((f) => [f.name, f.data.toString('base64')]));
    expect(unpack(archive, limits).map((f) => f.name)).toEqual(streamed.map((f) => f.name));
  });

  it.each([
    ['a symbolic link', gzipSync(Buffer.concat([header('link', 0, '2'), Buffer.alloc(1024)])), /is a symbolic link/],
    ['a sub-folder', gzipSync(Buffer.concat([header('a/b', 1), Buffer.alloc(512), Buffer.alloc(1024)])), /inside a sub-folder/],
    ['a name with ..', gzipSync(Buffer.concat([header('../x', 1), Buffer.alloc(512), Buffer.alloc(1024)])), /points outside the bundle/],
    ['a file cut short', gzipSync(Buffer.concat([header('model.onnx', 5000), Buffer.alloc(100)])), /is truncated/],
    ['no file at all', gzipSync(Buffer.alloc(1024)), /holds no file/],
    ['bytes that are not gzip', Buffer.from('just text'), /not a gzip-compressed tar file/],
  ])('refuses %s, with the same words as unpack', async (_what, archive, reason) => {
    await expect(unpackStream(archive, limits)).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringMatching(reason) });
    expect(() => unpack(archive, limits)).toThrow(reason);
  });

  it('refuses a file whose header claims more than maxTotalBytes before taking its memory or reading its data', async () => {
    const archive = gzipSync(Buffer.concat([header('model.onnx', 64 * 1024 * 1024), Buffer.alloc(64 * 1024 * 1024)]));
    await expect(unpackStream(archive, limits)).rejects.toThrow(/unpacks to more than 10485760 bytes/);
  });

  it('stops a gzip bomb at maxRatio times the archive size (past 64 MiB): a 100 MiB file of zeros in a 100 KiB archive', async () => {
    const size = 100 * 1024 * 1024;
    const archive = gzipSync(Buffer.concat([header('model.onnx', size), Buffer.alloc(size), Buffer.alloc(1024)]), { level: 9 });
    expect(archive.byteLength * 200).toBeLessThan(RATIO_FREE_BYTES);
    await expect(unpackStream(archive, { maxTotalBytes: 1024 ** 3, maxFiles: 8, maxRatio: 200 })).rejects.toThrow(/unpacks to more than 200 times its \d+ bytes \(maxBundleUnpackRatio\)/);
    // Without the ratio limit the same archive is a valid bundle.
    expect((await unpackStream(archive, { maxTotalBytes: 1024 ** 3, maxFiles: 8 }))[0]!.data.byteLength).toBe(size);
  });

  it('stops reading at the end-of-archive block (what follows, however large, is not decompressed)', async () => {
    const archive = gzipSync(Buffer.concat([header('a.txt', 1), Buffer.from('x'), Buffer.alloc(511), Buffer.alloc(1024), Buffer.alloc(20 * 1024 * 1024)]));
    // The limits leave room for about 11 KiB decompressed: reading on past the end would be refused.
    const out = await unpackStream(archive, { maxTotalBytes: 1024, maxFiles: 8 });
    expect(out.map((f) => f.name)).toEqual(['a.txt']);
  });
});
