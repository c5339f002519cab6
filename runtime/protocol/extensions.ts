/** The protocol extensions clinfer serves, by Triton's names (server metadata, HTTP and gRPC). */
export const SERVER_EXTENSIONS: readonly string[] = Object.freeze(['binary_tensor_data', 'model_repository', 'model_configuration', 'statistics', 'classification']);
