import { fileURLToPath } from 'node:url';
import { experimental, loadPackageDefinition, Server, ServerCredentials, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import type { Config } from '../config/config-schema.js';
import { loadSync } from '@grpc/proto-loader';
import type { AppContext } from '../app-context.js';
import { readTlsMaterial } from '../tls/tls-material.js';
import { inferenceService } from './inference-service.js';

/** The Open Inference Protocol's proto (kserve/kserve, Apache-2.0), shipped beside this file. */
export const PROTO_PATH = fileURLToPath(new URL('./grpc_predict_v2.proto', import.meta.url));

export function loadInferenceProto(): ServiceClientConstructor {
  const definition = loadSync(PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  return ((loadPackageDefinition(definition).inference as GrpcObject).GRPCInferenceService) as ServiceClientConstructor;
}

/**
 * TLS like the HTTP endpoint. With tlsClientCaFile, client certificates are requested and verified
 * against it but not required (a caller may use a bearer token instead), exactly as on HTTPS; the files
 * are watched, so a rotated certificate is picked up without a restart.
 */
function serverCredentials(config: Config): ServerCredentials {
  if (!config.tlsCertFile) return ServerCredentials.createInsecure();
  readTlsMaterial(config); // refuses unreadable files with CONFIG_INVALID, naming them
  const identity = new experimental.FileWatcherCertificateProvider({ certificateFile: config.tlsCertFile, privateKeyFile: config.tlsKeyFile!, refreshIntervalMs: 60_000 });
  const clientCa = config.tlsClientCaFile ? new experimental.FileWatcherCertificateProvider({ caCertificateFile: config.tlsClientCaFile, refreshIntervalMs: 60_000 }) : null;
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, false);
}

export interface GrpcEndpoint {
  readonly address: string;
  close(): Promise<void>;
}

/** Starts the gRPC endpoint on its own port (0 = any free one). */
export async function startGrpcServer(ctx: AppContext, host: string, port: number): Promise<GrpcEndpoint> {
  const server = new Server({
    // The transport's bound is the ceiling (the option is fixed when the server starts, models come and
    // go); each model's own limit (ModelConfig.maxRequestBytes) is checked by ModelInfer before parsing.
    'grpc.max_receive_message_length': ctx.config.maxBodyBytesCeiling,
    'grpc.max_send_message_length': -1,
  });
  server.addService(loadInferenceProto().service, inferenceService(ctx));
  const bind = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const credentials = serverCredentials(ctx.config);
  const bound = await new Promise<number>((ok, fail) => server.bindAsync(bind, credentials, (error, p) => (error ? fail(error) : ok(p))));
  return {
    address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
    close: () => new Promise<void>((ok) => {
      const timer = setTimeout(() => { server.forceShutdown(); ok(); }, 5_000);
      server.tryShutdown(() => { clearTimeout(timer); ok(); });
    }),
  };
}
