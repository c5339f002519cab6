// Entry file of the digest thread when clinfer runs from source (tests, CLINFER_FROM_SOURCE=1): in a
// worker thread Node 20 applies tsx's require hook (passed in execArgv) but not its ESM loader to the entry
// file, so this plain CommonJS file requires the TypeScript entry (as runtime/pool/worker-bootstrap.cjs).
require('./input-digest-worker.ts');
