import { classify, classScores, type ClassScore, type LabelDeclaration } from '../prediction/classify.js';

/** Which image (and frame) a prediction is about. */
export interface ImageSource {
  /** Position of the image in the request (a multipart part, or 0 for a single body). */
  readonly index: number;
  /** 1-based frame number for multi-frame DICOM. */
  readonly frame?: number | undefined;
  readonly sop_instance_uid?: string | undefined;
  readonly series_instance_uid?: string | undefined;
  readonly study_instance_uid?: string | undefined;
}

export interface ImagePrediction {
  readonly source: ImageSource;
  readonly label: { readonly id: string; readonly text: string };
  readonly score: number;
  readonly scores: ClassScore[];
}

/** The JSON answer of `/v1/models/{m}/predict` for images; the browser app returns the same object. */
export interface ImagePredictResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly model_digest: string;
  readonly language: string;
  readonly predictions: ImagePrediction[];
}

/**
 * Turns a classifier's output tensor (one row per source image or frame) into labelled predictions.
 * `kind` is the bundle's postprocessing kind (softmax, sigmoid, probability).
 */
export function classifyImages(
  kind: string,
  output: ArrayLike<number>,
  sources: readonly ImageSource[],
  labels: readonly LabelDeclaration[],
  language: string,
): ImagePrediction[] {
  const perRow = output.length / sources.length;
  return sources.map((source, i) => {
    const row = Array.prototype.slice.call(output, i * perRow, (i + 1) * perRow) as number[];
    const { label, score, scores } = classify(classScores(kind, row), labels, language);
    return { source, label, score, scores };
  });
}
