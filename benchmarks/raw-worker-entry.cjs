// Entry of the raw ONNX Runtime baseline's worker threads. A worker thread cannot start from a .ts
// file, and in a worker tsx (--import tsx in execArgv) only hooks require(), so this JavaScript file
// requires the TypeScript one, as piscina does for runtime/pool/worker.ts.
require('./raw-worker.ts');
