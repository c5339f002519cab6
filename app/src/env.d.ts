/** Set by app/build/ort-assets.ts: ONNX Runtime's WASM folder, relative to the app's base. */
declare const __ORT_ASSET_DIR__: string;

interface ImportMeta {
  readonly env: { readonly BASE_URL: string };
}
