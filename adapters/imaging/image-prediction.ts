import { classify, classScores, type ClassScore, type LabelDeclaration } from '../prediction/classify.js';
import { encodeMask, labelFractions, labelMasks, resizeMask, type EncodedMask, type LabelMask } from './segmentation.js';

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

/** A segmentation model's answer for one image or frame: the label mask at the source's size, run-length encoded. */
export interface ImageSegmentation {
  readonly source: ImageSource;
  readonly mask: EncodedMask;
  /** Each class (background first) and the share of the image's pixels it covers. */
  readonly segments: { readonly id: string; readonly text: string; readonly fraction: number }[];
}

/** The JSON answer of `/v1/models/{m}/predict` for images; the browser app returns the same object. */
export interface ImagePredictResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly model_digest: string;
  readonly language: string;
  readonly predictions: (ImagePrediction | ImageSegmentation)[];
  /** Present when the bundle says `"out_of_scope": "warn"` and an image is outside its input_scope: each failed condition. */
  readonly out_of_scope?: ScopeNote[];
  /** Conditions of the input_scope that could not be checked (a PNG has no DICOM header, an attribute is absent). */
  readonly scope_not_checked?: ScopeNote[];
}

/** One input-scope condition about one image of the request (`index`: its place in the request). */
export interface ScopeNote {
  readonly source: { readonly index: number };
  readonly condition: string;
  readonly message: string;
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

/**
 * Turns a segmentation output (per row [C, H, W] class scores, or [1, H, W] thresholded) into label masks at
 * each source's size (nearest neighbour), run-length encoded, with the share of each class.
 */
export function segmentImages(
  output: ArrayLike<number>,
  outputShape: readonly number[],
  sources: readonly (ImageSource & { readonly width: number; readonly height: number })[],
  labels: readonly LabelDeclaration[],
  language: string,
  threshold: number,
): ImageSegmentation[] {
  const masks = labelMasks(output, sources.length, outputShape, threshold);
  const classes = Math.max(2, outputShape.at(-3) ?? 1);
  return sources.map(({ width, height, ...source }, i) => {
    const mask: LabelMask = resizeMask(masks[i]!, width, height);
    const fractions = labelFractions(mask, classes);
    return {
      source,
      mask: encodeMask(mask),
      segments: fractions.map((fraction, k) => {
        const label = labels[k];
        const id = label?.id ?? String(k);
        return { id, text: label?.text?.[language] ?? label?.text?.en ?? id, fraction };
      }),
    };
  });
}
