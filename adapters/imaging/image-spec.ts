import { z } from 'zod';

/**
 * The `preprocessing` of an imaging bundle (kind "image"): how a decoded image becomes the model's input
 * tensor. Parsed once when the bundle loads; the browser app reads the same declaration.
 */
const window = z.union([
  z.strictObject({ center: z.number(), width: z.number().positive() }),
  /** The file's first Window Center/Width, else the frame's min..max. */
  z.literal('file'),
  /** The frame's min..max after the modality LUT. */
  z.literal('minmax'),
]);

export const imageSpecSchema = z.strictObject({
  kind: z.literal('image'),
  /** The model input the tensor feeds. */
  input: z.string().min(1),
  color: z.enum(['grayscale', 'rgb']),
  width: z.number().int().positive().max(8192),
  height: z.number().int().positive().max(8192),
  layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
  /** Downsampling averages the source pixels a target pixel covers (area); upsampling is bilinear. */
  resize: z.enum(['area', 'bilinear', 'nearest']).default('area'),
  /** value = (pixel * scale - mean[c]) / std[c], pixel on the display scale 0..255. */
  scale: z.number().default(1 / 255),
  mean: z.array(z.number()).min(1).default([0]),
  std: z.array(z.number().positive()).min(1).default([1]),
  /** DICOM only: the VOI window mapped to 0..255. */
  window: window.default('file'),
  /** DICOM multi-frame: the first frame, each frame as its own prediction, or all frames as one volume. */
  frames: z.enum(['first', 'each', 'volume']).default('first'),
});

export type ImageSpec = z.infer<typeof imageSpecSchema>;
export type WindowSpec = ImageSpec['window'];

/** Validates an image preprocessing declaration against the model input it feeds. Throws Error('field: message'). */
export function parseImageSpec(raw: unknown, input: { name: string; shape: readonly number[] } | undefined): ImageSpec {
  const parsed = imageSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`preprocessing.${issue.path.join('.')}: ${issue.message}`);
  }
  const spec = parsed.data;
  const channels = spec.color === 'rgb' ? 3 : 1;
  for (const [field, values] of [['mean', spec.mean], ['std', spec.std]] as const) {
    if (values.length !== 1 && values.length !== channels) throw new Error(`preprocessing.${field}: give 1 or ${channels} values for color '${spec.color}', got ${values.length}`);
  }
  if (!input) throw new Error(`preprocessing.input: the model has no input named '${spec.input}'`);
  if (spec.frames === 'volume' && spec.layout !== 'NCHW') throw new Error(`preprocessing.layout: a volume (frames 'volume') is laid out [N, C, D, H, W]; layout must be 'NCHW'`);
  const expected = spec.frames === 'volume' ? [channels, -1, spec.height, spec.width]
    : spec.layout === 'NCHW' ? [channels, spec.height, spec.width] : [spec.height, spec.width, channels];
  const tail = input.shape.slice(-expected.length);
  const fits = input.shape.length === expected.length + 1 && tail.every((d, i) => d === -1 || expected[i] === -1 || d === expected[i]);
  const shown = expected.map((d) => (d === -1 ? 'D' : d)).join(', ');
  if (!fits) throw new Error(`preprocessing: input '${input.name}' has shape [${input.shape.join(', ')}]; expected [N, ${shown}] (${spec.frames === 'volume' ? 'volume' : spec.layout}, ${spec.color} ${spec.width}x${spec.height})`);
  return spec;
}
