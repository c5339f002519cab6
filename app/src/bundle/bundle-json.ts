import type { LabelDeclaration } from '../../../adapters/prediction/classify.js';

/**
 * What the page reads from a version's bundle.json (docs/bundle-format.md; the server's schema is
 * runtime/bundle/bundle-schema.ts, which validated the file when the version loaded).
 */
export interface BundleJson {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly task: 'classification' | 'regression' | 'segmentation' | 'other';
  readonly model: { readonly file: string; readonly sha256: string };
  readonly labels?: LabelDeclaration[];
  readonly preprocessing?: { readonly kind: string } & Record<string, unknown>;
  readonly postprocessing?: { readonly kind: string } & Record<string, unknown>;
  readonly intended_use?: string;
  /** Shown on every result, e.g. "CE class IIa (MDR)" or "Research use only: not for diagnostic use". */
  readonly regulatory_status?: string;
  /** The images the model was made for, and what happens to others (adapters/imaging/input-scope.ts). */
  readonly input_scope?: unknown;
  readonly out_of_scope?: unknown;
  /** Which ONNX Runtime Web build the bundle asks for (docs/bundle-format.md, `web`). */
  readonly web?: { readonly execution_provider?: 'wasm' | 'webgpu' };
  /** The texts above in other languages, and unit names (docs/bundle-format.md). */
  readonly i18n?: Readonly<Record<string, BundleTexts>>;
  readonly provenance?: {
    readonly training_data?: { name?: string; citation?: string; licence?: string; url?: string } | unknown;
    readonly evaluation?: { split?: string; n?: number; metrics?: Record<string, number> } | unknown;
    readonly licence?: string;
    readonly created?: string;
  } & Record<string, unknown>;
}

export interface BundleTexts {
  readonly description?: string;
  readonly intended_use?: string;
  readonly regulatory_status?: string;
  readonly units?: Readonly<Record<string, string>>;
}
