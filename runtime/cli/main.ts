import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import { ClinferError, isClinferError } from '../errors/index.js';
import { startServer } from '../server.js';

const USAGE = `usage: clinfer serve [--models DIR] [--model-name N] [--host H] [--port P] [--grpc-port P] [--workers N] [--config FILE]

  --models DIR    model repository (env CLINFER_MODELS, default ./models)
  --model-name N  name of the model when DIR holds a single model directly, as KServe's /mnt/models
                  (env CLINFER_MODEL_NAME, default model)
  --host H        address to bind (env CLINFER_HOST, default 127.0.0.1)
  --port P        port, 0 for a free one (env CLINFER_PORT, default 8080)
  --grpc-port P   gRPC port, 0 for a free one, -1 for none (env CLINFER_GRPC_PORT, default 8081)
  --workers N     worker threads (env CLINFER_WORKERS, default: one per core)
  --config FILE   JSON file with any of the settings (docs/configuration.md)`;

/** `clinfer serve`: returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`clinfer: unknown command '${command}'\n${USAGE}\n`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        models: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'grpc-port': { type: 'string' }, 'model-name': { type: 'string' },
        workers: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
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
        models: values.models, host: values.host, modelName: values['model-name'],
        port: values.port === undefined ? undefined : numberFlag('--port', values.port),
        grpcPort: values['grpc-port'] === undefined ? undefined : values['grpc-port'] === '-1' ? -1 : numberFlag('--grpc-port', values['grpc-port']),
        workers: values.workers === undefined ? undefined : numberFlag('--workers', values.workers),
      },
    });
    const server = await startServer(config);
    process.stdout.write(`listening on ${server.url}\n`);
    if (server.grpcAddress) process.stdout.write(`grpc listening on ${server.grpcAddress}\n`);
    for (const e of server.repository.index()) {
      process.stdout.write(`model ${e.name}${e.version ? ` version ${e.version}` : ''}: ${e.state}${e.reason ? ` (${e.reason})` : ''}\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stdout.write(`${signal}: draining and shutting down\n`);
        void server.close().then(resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  } catch (error) {
    process.stderr.write(`clinfer: ${isClinferError(error) || (error as NodeJS.ErrnoException).code ? (error as Error).message : String(error)}\n`);
    return 1;
  }
}

function numberFlag(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new ClinferError('CONFIG_INVALID', `${flag} must be a non-negative integer, got '${value.slice(0, 40)}'`);
  return Number(value);
}
