/**
 * Imaging figures: decode + preprocess time per 512x512 CT slice by transfer syntax (the very code the
 * imaging threads run), split into its steps (header parse, pixel decode, modality LUT + window,
 * resize + normalise), next to the demo model's compute time, and STOW-RS instances per second: accepted
 * (HTTP, header read, routed, written durably to the inbox) and end to end (then decode, input-scope check,
 * inference, SR built and written to the outbox), one study per instance, settle time 0. Medians; the
 * load average is printed with the figures, as other work on the machine moves them.
 *
 *   node --import tsx benchmarks/imaging.ts [--seconds 3] [--concurrency 4] [--no-stow]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { imageSpecSchema } from '../adapters/imaging/image-spec.js';
import { decodeSourceFrame } from '../adapters/imaging/dicom/frame-decoder.js';
import { instanceInfo } from '../adapters/imaging/dicom/instance-info.js';
import { readPart10 } from '../adapters/imaging/dicom/part10.js';
import { pixelSource } from '../adapters/imaging/dicom/pixel-source.js';
import { frameToRaster } from '../adapters/imaging/dicom/to-raster.js';
import { imagesToTensor } from '../adapters/imaging/to-tensor.js';
import { prepareImage } from '../runtime/imaging/prepare-image.js';
import { parseConfig } from '../runtime/config/load-config.js';
import { startServer } from '../runtime/server.js';
import { chestRadiograph } from '../tools/dicom/chest-radiograph.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seconds = option('seconds', 3);
const concurrency = option('concurrency', 4);
const stowToo = !args.includes('--no-stow');
const ROOT = new URL('../', import.meta.url).pathname;
const CT = join(ROOT, 'test/fixtures/dicom/cornerstoneWADOImageLoader');
const SYNTAXES: [string, string][] = [
  ['explicit VR little endian (uncompressed)', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'],
  ['deflated explicit VR LE', 'CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm'],
  ['RLE lossless', 'CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm'],
  ['JPEG baseline 8-bit (.50)', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm'],
  ['JPEG extended 12-bit (.51)', 'CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm'],
  ['JPEG lossless SV1 (.70)', 'CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm'],
  ['JPEG-LS lossless (.80)', 'CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm'],
  ['JPEG 2000 lossless (.90)', 'CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm'],
  ['JPEG 2000 (.91)', 'CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm'],
];
const spec = imageSpecSchema.parse({ kind: 'image', input: 'image', color: 'grayscale', width: 28, height: 28, mean: [0.5], std: [0.5] });
const limits = { maxImagePixels: 8192 * 8192, maxFrames: 100, maxDecodedBytes: 1 << 30 };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU time of this process in ms (user + system): steadier than the wall clock when other work shares the cores. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function timeIt(run: () => Promise<unknown>): Promise<{ medianMs: number; cpuMs: number; n: number }> {
  for (let i = 0; i < 3; i++) await run(); // warm-up: codecs loaded, JIT warm
  const times: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    const c = cpuMs();
    await run();
    cpu.push(cpuMs() - c);
    times.push(performance.now() - t);
  }
  return { medianMs: median(times), cpuMs: median(cpu), n: times.length };
}

/**
 * The same work as prepareImage, one step at a time, each step's CPU time on its own: the header (Part 10
 * framing, data set, instance description), the pixel decode to stored samples, the display pipeline
 * (modality LUT, window, MONOCHROME1), and resize + normalise into the tensor.
 */
async function timeSteps(bytes: Uint8Array): Promise<{ parseMs: number; decodeMs: number; windowMs: number; tensorMs: number }> {
  const parse: number[] = [];
  const decode: number[] = [];
  const window: number[] = [];
  const tensor: number[] = [];
  const once = async () => {
    let t = cpuMs();
    const file = readPart10(bytes, { maxInflatedBytes: limits.maxDecodedBytes });
    const info = instanceInfo(file);
    parse.push(cpuMs() - t);
    t = cpuMs();
    const source = pixelSource(file, info, () => undefined);
    const samples = await decodeSourceFrame(source, 0);
    decode.push(cpuMs() - t);
    t = cpuMs();
    const raster = frameToRaster(samples, file.dataSet, spec.window);
    window.push(cpuMs() - t);
    t = cpuMs();
    imagesToTensor([raster], spec);
    tensor.push(cpuMs() - t);
  };
  for (let i = 0; i < 3; i++) await once();
  parse.length = decode.length = window.length = tensor.length = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) await once();
  return { parseMs: median(parse), decodeMs: median(decode), windowMs: median(window), tensorMs: median(tensor) };
}

const loadBefore = loadavg()[0]!;
const rows: { name: string; bytes: number; medianMs: number; cpuMs: number; n: number; parseMs: number; decodeMs: number; windowMs: number; tensorMs: number }[] = [];
for (const [name, file] of SYNTAXES) {
  const bytes = new Uint8Array(readFileSync(join(CT, file)));
  const r = await timeIt(async () => {
    const result = await prepareImage({ bytes, format: 'dicom', spec, limits });
    if (!result.ok) throw new Error(`${name}: ${result.message}`);
  });
  const steps = await timeSteps(bytes);
  rows.push({ name, bytes: bytes.length, ...r, ...steps });
  process.stderr.write(`${name}: ${r.medianMs.toFixed(2)} ms, CPU ${r.cpuMs.toFixed(2)} ms (parse ${steps.parseMs.toFixed(3)}, decode ${steps.decodeMs.toFixed(2)}, LUT+window ${steps.windowMs.toFixed(2)}, resize+normalise ${steps.tensorMs.toFixed(2)})\n`);
}
const loadAfter = loadavg()[0]!;

if (!stowToo) {
  printSteps();
  process.exit(0);
}

const session = await ort.InferenceSession.create(join(ROOT, 'models/chest-xray-pneumonia/1/model.onnx'), { intraOpNumThreads: 1 });
const input = new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]);
const compute = await timeIt(() => session.run({ image: input }));
await session.release();

// STOW-RS, one instance (its own study) per request, `concurrency` clients, results into a local outbox.
const outbox = mkdtempSync(join(tmpdir(), 'clinfer-bench-outbox-'));
const config = parseConfig({
  models: join(ROOT, 'models'), port: 0, grpcPort: -1, logLevel: 'error',
  dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR'] }],
  // A destination nobody listens on: results stay in the outbox (written and fsynced), as when the PACS is down.
  dicomDestinations: [{ name: 'nowhere', kind: 'cstore', host: '127.0.0.1', port: 9, calledAeTitle: 'NOWHERE' }],
  inboxDir: mkdtempSync(join(tmpdir(), 'clinfer-bench-inbox-')), outboxDir: outbox, deliveryRetry: { initialMs: 600_000, maxMs: 600_000 },
  dicomStudySettleMs: 0,
});
const server = await startServer(config);
const boundary = 'bench';
// Paediatric chest CRs (256x256, 12-bit, uncompressed), each its own study, made before the clock starts.
const bodies = Array.from({ length: Math.ceil(seconds * 2 * 150) }, (_, i) => Buffer.concat([
  Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), chestRadiograph({ serial: 1000 + i, size: 256 }), Buffer.from(`\r\n--${boundary}--\r\n`),
]));
let next = 0;
const stow = async () => {
  const body = bodies[next++ % bodies.length]!;
  const res = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } });
  if (res.status !== 200) throw new Error(`STOW-RS answered ${res.status}`);
  await res.arrayBuffer();
};
const enqueued = async () => Number(/clinfer_dicom_results_total\{destination="nowhere",event="enqueued"\} (\d+)/.exec(await server.metrics.registry.metrics())?.[1] ?? 0);
for (let i = 0; i < 5; i++) await stow();
while ((await enqueued()) < 5) await new Promise((r) => setTimeout(r, 20));
let done = 0;
const started = performance.now();
const until = started + seconds * 2000;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < until && next < bodies.length) {
    await stow();
    done++;
  }
}));
const acceptedSeconds = (performance.now() - started) / 1000;
const stowPerSecond = done / acceptedSeconds;
while ((await enqueued()) < done + 5) await new Promise((r) => setTimeout(r, 20));
const endToEndPerSecond = done / ((performance.now() - started) / 1000);
await server.close();

printSteps();
const report = [
  `Decode + preprocess of one 512x512 CT slice (16-bit) to the demo model's 28x28 input, one thread, median of ${seconds} s per row:`,
  '',
  '| transfer syntax | file bytes | decode + preprocess (ms) | CPU (ms) | runs |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${r.bytes} | ${r.medianMs.toFixed(2)} | ${r.cpuMs.toFixed(2)} | ${r.n} |`),
  `| *model compute (chest-xray-pneumonia, batch 1, onnxruntime-node)* | | ${compute.medianMs.toFixed(3)} | ${compute.cpuMs.toFixed(3)} | ${compute.n} |`,
  '',
  `STOW-RS (one 256x256 chest CR per request, each its own study, ${concurrency} clients): **${stowPerSecond.toFixed(1)} instances/s accepted** (answered once in the inbox, fsynced), **${endToEndPerSecond.toFixed(1)} instances/s end to end** (SR written to the outbox); ${done} instances.`,
].join('\n');
console.log(report);
writeFileSync(join(ROOT, 'benchmarks/results/imaging.json'), JSON.stringify({ date: new Date().toISOString(), seconds, concurrency, load: [loadBefore, loadAfter], rows, computeMs: compute.medianMs, stowPerSecond, endToEndPerSecond }, null, 2));

function printSteps(): void {
  console.log([
    `Per 512x512 CT slice, medians in ms: decode + preprocess as the imaging thread runs it (wall clock and CPU time), then the CPU time of each step (load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${cpus().length} cores):`,
    '',
    '| transfer syntax | wall | CPU | parse | decode | LUT + window | resize + normalise |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${r.medianMs.toFixed(2)} | ${r.cpuMs.toFixed(2)} | ${r.parseMs.toFixed(2)} | ${r.decodeMs.toFixed(2)} | ${r.windowMs.toFixed(2)} | ${r.tensorMs.toFixed(2)} |`),
    '',
  ].join('\n'));
}
