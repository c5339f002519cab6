/** Builds an OIP binary-extension body: JSON header then the raw bytes; returns it with the header length. */
export function binaryBody(header: unknown, ...chunks: ArrayBufferView[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))]), headerLength: json.byteLength };
}

/** Splits a binary-extension response into its JSON header and the bytes after it. */
export async function readBinaryResponse(res: Response): Promise<{ json: any; rest: Buffer }> {
  const buf = Buffer.from(await res.arrayBuffer());
  const n = Number(res.headers.get('inference-header-content-length') ?? buf.byteLength);
  return { json: JSON.parse(buf.subarray(0, n).toString('utf8')), rest: buf.subarray(n) };
}

export function floatsFrom(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
