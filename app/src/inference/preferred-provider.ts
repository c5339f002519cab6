export type ExecutionProvider = 'webgpu' | 'wasm';

/**
 * The build a model asks for: the user's `?ep=` first, then the bundle's `web.execution_provider`, else
 * none (WASM). The page runs one build of ONNX Runtime Web: the first model loaded (or the URL) chooses it.
 */
export function preferredProvider(fromUrl: ExecutionProvider | undefined, fromBundle: unknown): ExecutionProvider | undefined {
  if (fromUrl) return fromUrl;
  return fromBundle === 'webgpu' || fromBundle === 'wasm' ? fromBundle : undefined;
}
