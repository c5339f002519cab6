import { exitHard } from '../pool/hard-exit.js';
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './args.js';
import { SCOPES } from '../config/access-vocabulary.js';
import { auditCommand } from './audit-command.js';
import { bundleCommand } from './bundle-command.js';
import { inboxCommand } from './inbox-command.js';
import { validateCommand } from './validate-command.js';
import { loadConfig } from '../config/load-config.js';
import { isClinferError } from '../errors/index.js';

const USAGE = `usage: clinfer serve [--models DIR] [--model-name N] [--host H] [--port P] [--grpc-port P] [--workers N] [--config FILE]

  --models DIR    model repository (env CLINFER_MODELS, default ./models)
  --model-name N  name of the model when DIR holds a single model directly, as KServe's /mnt/models
                  (env CLINFER_MODEL_NAME, default model)
  --host H        address to bind (env CLINFER_HOST, default 127.0.0.1)
  --port P        port, 0 for a free one (env CLINFER_PORT, default 8080)
  --grpc-port P   gRPC port, 0 for a free one, -1 for none (env CLINFER_GRPC_PORT, default 8081)
  --workers N     worker threads (env CLINFER_WORKERS, default: one per core)
  --watch         load a model again when its folder changes (a version copied in), once complete
  --insecure      allow a non-loopback --host without authentication (env CLINFER_INSECURE=1)
  --config FILE   JSON file with any of the settings (docs/configuration.md)

       clinfer bundle init|validate|pack|keygen|sign|verify|inspect ...   (clinfer bundle for details)
       clinfer audit verify|keygen|export ...   checks, signs, exports the audit log (clinfer audit for details)
       clinfer inbox list|retry|purge ...   the DICOM inbox and its dead-letter entries (clinfer inbox for details)
       clinfer validate ... | verify | combine ...   local validation report of a bundle on a site's labelled data, and the network's view (clinfer validate --help)
       clinfer key create --name NAME [--scopes infer,metrics,deploy,admin]
                  prints a new API key once, and the apiKeys entry (its SHA-256) for the configuration`;

/** `clinfer serve`: returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command === 'key') return keyCommand(rest);
  if (command === 'bundle') return bundleCommand(rest);
  if (command === 'audit') return auditCommand(rest);
  if (command === 'inbox') return inboxCommand(rest);
  if (command === 'validate') return validateCommand(rest);
  if (command !== 'serve') {
    process.stderr.write(`clinfer: unknown command '${command}'\n${USAGE}\n`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(rest),
      options: {
        models: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'grpc-port': { type: 'string' }, 'model-name': { type: 'string' },
        workers: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, insecure: { type: 'boolean' }, watch: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`clinfer: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  try {
    const config = loadConfig({
      ...(values.config ? { file: values.config } : {}),
      env: process.env,
      flags: {
        models: values.models, host: values.host, modelName: values['model-name'], insecure: values.insecure, watch: values.watch,
        port: values.port === undefined ? undefined : numberFlag(values.port),
        grpcPort: values['grpc-port'] === undefined ? undefined : numberFlag(values['grpc-port']),
        workers: values.workers === undefined ? undefined : numberFlag(values.workers),
      },
    });
    // Imported here: the other commands (audit, bundle, inbox, key) start in a fraction of the time without the server.
    const { startServer } = await import('../server.js');
    const server = await startServer(config);
    // The signal handlers go in before the first line is printed: a supervisor (or a test) that reacts to
    // "listening on" with SIGINT/SIGTERM must find them there, not the default action that kills at once.
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stdout.write(`${signal}: draining and shutting down\n`);
        void server.close().then(() => {
          // A worker thread stuck inside ONNX Runtime would keep the process from exiting: end it hard.
          if (server.pool.stuckThreads > 0) {
            process.stdout.write(`${server.pool.stuckThreads} worker thread(s) stuck inside ONNX Runtime: exiting hard\n`);
            exitHard();
          }
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    process.stdout.write(`listening on ${server.url}\n`);
    if (server.grpcAddress) process.stdout.write(`grpc listening on ${server.grpcAddress}\n`);
    for (const e of server.repository.index()) {
      process.stdout.write(`model ${e.name}${e.version ? ` version ${e.version}` : ''}: ${e.state}${e.reason ? ` (${e.reason})` : ''}\n`);
    }
    await stopped;
    return 0;
  } catch (error) {
    process.stderr.write(`clinfer: ${isClinferError(error) || (error as NodeJS.ErrnoException).code ? (error as Error).message : String(error)}\n`);
    return 1;
  }
}

/** A number where the flag reads as one; otherwise its text, which the configuration schema refuses with the others. */
function numberFlag(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** `clinfer key create`: a random 256-bit key, shown once; the configuration stores only its digest. */
function keyCommand(args: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({ args: args.slice(1), options: { name: { type: 'string' }, scopes: { type: 'string' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`clinfer key: ${(error as Error).message}\n`);
    return 2;
  }
  if (args[0] !== 'create' || !values.name) {
    process.stderr.write('usage: clinfer key create --name NAME [--scopes infer,metrics,deploy,admin]\n');
    return 2;
  }
  const scopes = (values.scopes ?? 'infer').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) {
    process.stderr.write(`clinfer key: unknown scope ${unknown.join(', ')} (scopes: ${SCOPES.join(', ')})\n`);
    return 2;
  }
  const key = `clk_${randomBytes(32).toString('base64url')}`;
  const sha256 = createHash('sha256').update(key).digest('hex');
  process.stdout.write(`key (shown once; give it to the caller): ${key}\n`);
  process.stdout.write(`apiKeys entry: ${JSON.stringify({ name: values.name, sha256, scopes })}\n`);
  return 0;
}

