import { type ChannelCredentials, type ChannelOptions, type Client, type ClientDuplexStream, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadInferenceProto } from '../../runtime/grpc/grpc-server.js';

/** A unary method of the generated client: request, metadata, callback. */
export type UnaryMethod = (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response: any) => void) => void;

/** The generated inference.GRPCInferenceService client: unary methods by name, and the bidirectional stream. */
export type InferenceClient = Client & Record<string, UnaryMethod> & { ModelStreamInfer(metadata?: Metadata): ClientDuplexStream<unknown, any> };

/**
 * A test's client of the server's gRPC endpoint, generated from the server's own proto (as Triton's clients
 * are): promise-returning calls, and the raw client for streams and anything else.
 */
export interface GrpcTestClient {
  readonly raw: InferenceClient;
  /** Resolves with the response; rejects with the ServiceError. */
  rpc(method: string, request: unknown, metadata?: Metadata): Promise<any>;
  /** Resolves with the ServiceError; rejects when the call succeeds. */
  rpcError(method: string, request: unknown, metadata?: Metadata): Promise<ServiceError>;
  close(): void;
}

/** Metadata holding `authorization: Bearer <token>`. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** A client of `address` (host:port); plain-text channel unless `channelCredentials` say otherwise. */
export function grpcTestClient(address: string, options: { channelCredentials?: ChannelCredentials; channelOptions?: ChannelOptions } = {}): GrpcTestClient {
  const Service = loadInferenceProto();
  const raw = new Service(address, options.channelCredentials ?? credentials.createInsecure(), options.channelOptions) as unknown as InferenceClient;
  const rpc = (method: string, request: unknown, metadata = new Metadata()): Promise<any> =>
    new Promise((ok, fail) => {
      const call = raw[method];
      if (typeof call !== 'function') throw new Error(`GRPCInferenceService has no method ${method}`);
      call.call(raw, request, metadata, (error, response) => (error ? fail(error) : ok(response)));
    });
  return {
    raw,
    rpc,
    rpcError: (method, request, metadata) => rpc(method, request, metadata).then(() => { throw new Error(`expected ${method} to fail`); }, (e: ServiceError) => e),
    close: () => raw.close(),
  };
}
