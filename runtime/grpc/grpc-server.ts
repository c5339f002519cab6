import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, Server, ServerCredentials, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { AppContext } from '../http/app-context.js';
import { readTlsMaterial } from '../http/tls.js';
import { inferenceService } from './inference-service.js';

/** The Open Inference Protocol's proto (kserve/kserve, Apache-2.0), shipped beside this file. */
export const PROTO_PATH = fileURLToPath(new URL('./grpc_predict_v2.proto', import.meta.url));

export function loadInferenceProto(): ServiceClientConstructor {
  const definition = loadSync(PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  return ((loadPackageDefinition(definition).inference as GrpcObject).GRPCInferenceService) as ServiceClientConstructor;
}

export interface GrpcEndpoint {
  readonly address: string;
  close(): Promise<void>;
}

/** Starts the gRPC endpoint on its own port (0 = any free one). */
export async function startGrpcServer(ctx: AppContext, host: string, port: number): Promise<GrpcEndpoint> {
  const server = new Server({
    'grpc.max_receive_message_length': ctx.config.maxBodyBytes,
    'grpc.max_send_message_length': -1,
  });
  server.addService(loadInferenceProto().service, inferenceService(ctx));
  const bind = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  // TLS like the HTTP endpoint (certificates are read at start; a rotation needs a restart of gRPC).
  const credentials = ctx.config.tlsCertFile
    ? (() => {
        const tls = readTlsMaterial(ctx.config);
        return ServerCredentials.createSsl(tls.ca ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], false);
      })()
    : ServerCredentials.createInsecure();
  const bound = await new Promise<number>((ok, fail) => server.bindAsync(bind, credentials, (error, p) => (error ? fail(error) : ok(p))));
  return {
    address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
    close: () => new Promise<void>((ok) => {
      const timer = setTimeout(() => { server.forceShutdown(); ok(); }, 5_000);
      server.tryShutdown(() => { clearTimeout(timer); ok(); });
    }),
  };
}
