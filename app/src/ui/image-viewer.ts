import { decodeDicom } from '../../../adapters/imaging/dicom/index.js';
import type { RasterImage } from '../../../adapters/imaging/raster.js';
import { readDicomHeader, type DicomHeader } from '../decode/dicom-header.js';
import { decodeJpeg } from '../decode/jpeg.js';
import { decodePng } from '../decode/png.js';
import { sniffImage } from '../decode/sniff.js';
import { h } from './dom.js';
import type { ViewContext } from './view-context.js';

interface Window_ { center: number; width: number }

/**
 * The loaded file at full resolution, beside the model's view: window/level by keyboard (arrows on the
 * image, or the two number fields), mouse (drag) and presets (the file's VOI windows, full range), frame
 * navigation for multi-frame files, and the header (modality, body part, view, study date, patient age
 * and sex, institution). Decoded here with the server's decoders; nothing of it is sent. Display only:
 * the model's input is computed apart (inference/image-predict.ts).
 */
export class ImageViewer {
  readonly element: HTMLElement;
  #ctx: ViewContext;
  readonly #bytes: Promise<Uint8Array>;
  #header: DicomHeader | undefined;
  #frames = 1;
  #frame = 0;
  #window: Window_ = { center: 127.5, width: 256 };
  /** For DICOM, the frames mapped through the window; for PNG/JPEG, the image on 0..255 (windowed here). */
  #raster: RasterImage | undefined;
  #drawing: Promise<void> = Promise.resolve();
  #failed = false;

  constructor(file: Blob, ctx: ViewContext) {
    this.#ctx = ctx;
    this.element = h('section', { class: 'viewer', id: 'image-viewer', 'aria-labelledby': 'viewer-heading' });
    this.#bytes = file.arrayBuffer().then((b) => new Uint8Array(b));
    void this.#open();
  }

  setContext(ctx: ViewContext): void {
    this.#ctx = ctx;
    this.#build();
  }

  async #open(): Promise<void> {
    const bytes = await this.#bytes;
    try {
      if (sniffImage(bytes) === 'dicom') {
        this.#header = readDicomHeader(bytes);
        this.#frames = Math.max(1, this.#header.info.image?.numberOfFrames ?? 1);
        const fromFile = this.#header.windows[0];
        if (fromFile) this.#window = { ...fromFile };
        else await this.#fullRange();
      } else {
        this.#raster = sniffImage(bytes) === 'png' ? decodePng(bytes) : await decodeJpeg(bytes);
      }
    } catch {
      // The prediction reports what is wrong with the file; the viewer just stays empty.
      this.#failed = true;
    }
    this.#build();
  }

  /**
   * The frame's range after the modality LUT, as a window: decoded through one very wide linear window
   * (values within ±2^17 stay unclipped) and read back from the display scale.
   */
  async #fullRange(): Promise<void> {
    const wide = 262_144;
    const { frames } = await decodeDicom(await this.#bytes, { window: { center: 0.5, width: wide }, frames: 'all' });
    const data = frames[this.#frame]?.data ?? new Float32Array([0, 255]);
    let low = Infinity;
    let high = -Infinity;
    for (const x of data) { if (x < low) low = x; if (x > high) high = x; }
    const value = (x: number) => (x / 255 - 0.5) * (wide - 1);
    let [a, b] = [value(low), value(high)];
    // MONOCHROME1 comes back inverted (255 is black).
    if (this.#header?.info.image?.photometricInterpretation === 'MONOCHROME1') [a, b] = [-b, -a];
    this.#window = { center: round((a + b) / 2), width: Math.max(1, round(b - a + 1)) };
  }

  #build(): void {
    const { t, fmt } = this.#ctx;
    if (this.#failed) return void this.element.replaceChildren();
    const canvas = h('canvas', { id: 'full-image', class: 'full-image', role: 'img', tabindex: '0', 'aria-describedby': 'viewer-help' });
    const centre = h('input', { type: 'number', id: 'window-centre', step: 'any', value: String(round(this.#window.center)) });
    const width = h('input', { type: 'number', id: 'window-width', step: 'any', min: '1', value: String(round(this.#window.width)) });
    const presets = h('select', { id: 'window-preset' },
      this.#header?.windows.map((w, i) => h('option', { value: String(i) }, `${t.presetFile} ${i + 1}: ${fmt.number(w.center)} / ${fmt.number(w.width)}`)) ?? [],
      h('option', { value: 'full' }, t.presetFull));
    const frameLabel = h('span', { id: 'frame-label' }, t.frameOf(this.#frame + 1, this.#frames));
    const previous = h('button', { type: 'button', id: 'frame-previous', disabled: this.#frame === 0 }, t.previousFrame);
    const next = h('button', { type: 'button', id: 'frame-next', disabled: this.#frame >= this.#frames - 1 }, t.nextFrame);
    this.element.replaceChildren(
      h('h2', { id: 'viewer-heading' }, t.wholeImage),
      h('div', { class: 'viewer-image' }, canvas),
      h('p', { id: 'viewer-help', class: 'hint' }, t.windowLevel),
      h('div', { class: 'viewer-controls' },
        h('label', { for: 'window-centre' }, t.windowCentre), centre,
        h('label', { for: 'window-width' }, t.windowWidth), width,
        h('label', { for: 'window-preset' }, t.preset), presets,
        this.#frames > 1 ? h('span', { class: 'frames' }, previous, ' ', frameLabel, ' ', next) : ''),
      this.#headerPanel());
    const apply = (w: Window_) => {
      this.#window = { center: w.center, width: Math.max(1, w.width) };
      centre.value = String(round(this.#window.center));
      width.value = String(round(this.#window.width));
      void this.#draw(canvas);
    };
    centre.addEventListener('change', () => Number.isFinite(centre.valueAsNumber) && apply({ ...this.#window, center: centre.valueAsNumber }));
    width.addEventListener('change', () => Number.isFinite(width.valueAsNumber) && apply({ ...this.#window, width: width.valueAsNumber }));
    presets.addEventListener('change', () => {
      const file = this.#header?.windows[Number(presets.value)];
      if (file) return apply(file);
      if (this.#header) void this.#fullRange().then(() => apply(this.#window));
      else apply({ center: 127.5, width: 256 });
    });
    canvas.addEventListener('keydown', (event) => {
      const step = Math.max(1, this.#window.width * 0.05);
      const moves: Record<string, Window_> = {
        ArrowLeft: { ...this.#window, width: this.#window.width - step }, ArrowRight: { ...this.#window, width: this.#window.width + step },
        ArrowUp: { ...this.#window, center: this.#window.center + step }, ArrowDown: { ...this.#window, center: this.#window.center - step },
      };
      const move = moves[event.key];
      if (move) { event.preventDefault(); apply(move); }
      if (event.key === 'PageDown' && this.#frame < this.#frames - 1) { event.preventDefault(); this.#goTo(this.#frame + 1); }
      if (event.key === 'PageUp' && this.#frame > 0) { event.preventDefault(); this.#goTo(this.#frame - 1); }
    });
    let drag: { x: number; y: number; w: Window_ } | undefined;
    canvas.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, w: { ...this.#window } }; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener('pointermove', (e) => { if (drag) apply({ center: drag.w.center - (e.clientY - drag.y) * drag.w.width / 256, width: drag.w.width + (e.clientX - drag.x) * drag.w.width / 256 }); });
    canvas.addEventListener('pointerup', () => { drag = undefined; });
    previous.addEventListener('click', () => this.#goTo(this.#frame - 1, 'frame-previous'));
    next.addEventListener('click', () => this.#goTo(this.#frame + 1, 'frame-next'));
    void this.#draw(canvas);
  }

  #goTo(frame: number, refocus = 'full-image'): void {
    this.#frame = Math.max(0, Math.min(this.#frames - 1, frame));
    this.#build();
    document.getElementById(refocus)?.focus();
  }

  /** Draws the current frame through the current window (the latest request wins). */
  #draw(canvas: HTMLCanvasElement): Promise<void> {
    this.#drawing = this.#drawing.then(async () => {
      const { t, fmt } = this.#ctx;
      const image = this.#header ? await this.#dicomFrame() : this.#raster;
      if (!image) return;
      const windowed = this.#header ? (x: number) => x : linear(this.#window);
      canvas.width = image.width;
      canvas.height = image.height;
      // Every pixel drawn; a small image is shown larger (pixelated), a large one fits the column.
      canvas.style.width = `${Math.max(image.width, 384)}px`;
      const context = canvas.getContext('2d');
      if (!context) return;
      const pixels = context.createImageData(image.width, image.height);
      const channels = image.channels;
      for (let p = 0; p < image.width * image.height; p++) {
        for (let k = 0; k < 3; k++) pixels.data[4 * p + k] = windowed(image.data[p * channels + (channels === 3 ? k : 0)]!);
        pixels.data[4 * p + 3] = 255;
      }
      context.putImageData(pixels, 0, 0);
      canvas.setAttribute('aria-label', t.wholeImageAlt(image.width, image.height, this.#frame + 1, this.#frames, fmt.number(round(this.#window.center)), fmt.number(round(this.#window.width))));
    }).catch(() => undefined);
    return this.#drawing;
  }

  async #dicomFrame(): Promise<RasterImage | undefined> {
    const { frames } = await decodeDicom(await this.#bytes, { window: { center: this.#window.center, width: this.#window.width }, frames: 'all' });
    return frames[this.#frame];
  }

  #headerPanel(): HTMLElement | string {
    const { t, fmt } = this.#ctx;
    const info = this.#header?.info;
    if (!info) return '';
    const f = t.headerFields;
    const age = info.patient.age?.trim();
    // Codes and names from the file (CR, CHEST, the institution) are shown as they are: translate="no".
    const row = (label: string | undefined, value: string | undefined, id: string, asIs = false) => (value ? [h('dt', {}, label ?? id), h('dd', { id: `header-${id}`, ...(asIs ? { translate: 'no' } : {}) }, value)] : []);
    return h('section', { class: 'dicom-header', 'aria-labelledby': 'header-heading' },
      h('h3', { id: 'header-heading' }, t.header),
      h('dl', {},
        row(f.modality, info.modality, 'modality', true),
        row(f.bodyPart, info.bodyPartExamined, 'body-part', true),
        row(f.view, info.viewPosition, 'view', true),
        row(f.studyDate, fmt.dicomDate(info.study.date), 'study-date'),
        row(f.age, age ? ageText(age, t.ageYears, fmt.number) : undefined, 'age'),
        row(f.sex, info.patient.sex ? t.sexes[info.patient.sex.trim()] ?? info.patient.sex : undefined, 'sex'),
        row(f.institution, this.#header?.institution, 'institution', true),
        row(f.size, info.image ? `${info.image.columns} × ${info.image.rows}` : undefined, 'size'),
        row(f.frames, this.#frames > 1 ? String(this.#frames) : undefined, 'frames')));
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

/** The DICOM linear VOI function on the 0..255 scale of a PNG or JPEG. */
function linear({ center, width }: Window_): (x: number) => number {
  return (x) => Math.max(0, Math.min(255, ((x - (center - 0.5)) / Math.max(1, width - 1) + 0.5) * 255));
}

/** An Age String (018Y, 006M) in words; other units as given. */
function ageText(as: string, years: (n: string) => string, number: (n: number) => string): string {
  const match = /^(\d{3})Y$/.exec(as);
  return match ? years(number(Number(match[1]))) : as;
}
