// Entry file of an inference worker thread. The code is TypeScript (worker-entry.ts): in a worker thread,
// Node 20 applies the require hook of tsx (passed in execArgv) but not its ESM loader to the entry file,
// so this plain CommonJS file requires it, as piscina's own worker does.
require('./worker-entry.ts');
