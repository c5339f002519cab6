import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where onnxruntime-node keeps its native libraries for this platform. */
export function onnxruntimeBinDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * The execution providers for models whose bundle does not choose: CUDA then CPU when the CUDA provider
 * library is installed (`ONNXRUNTIME_NODE_INSTALL=cuda12`), else CPU. A CUDA that is installed but cannot
 * start (no driver, no GPU) still falls back to CPU when the session is created.
 */
export function defaultProviders(binDir: string = onnxruntimeBinDir()): ('cuda' | 'cpu')[] {
  return existsSync(join(binDir, 'libonnxruntime_providers_cuda.so')) ? ['cuda', 'cpu'] : ['cpu'];
}
