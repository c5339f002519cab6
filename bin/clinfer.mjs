#!/usr/bin/env node
// clinfer command line. The runtime is TypeScript run through tsx (also in the worker threads).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runtime/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
