#!/usr/bin/env node
// clinfer command line. The runtime is TypeScript run through tsx (also in the worker threads).
import { register } from 'tsx/esm/api';

// onnxruntime on Linux otherwise sends usage telemetry and keeps a device id under ~/.cache: not in a hospital.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

register();
// `clinfer bundle inspect ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../runtime/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
