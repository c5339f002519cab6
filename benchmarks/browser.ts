/**
 * The web app in headless Chromium (Debian's, driven by playwright-core): page open to first result,
 * cold (a fresh profile: nothing cached) and warm (the service worker and the bundle cache in place),
 * then decode + preprocess and inference times in the page against the server side (the same modules in
 * Node, onnxruntime-node) for the demo X-ray model, a 512x512 CT slice and the tabular model. The page
 * goes through a byte-counting proxy (tools/browser/transfer-meter.ts): the cold bytes transferred, by
 * Content-Encoding, to the first result and once the service worker has precached the app shell.
 *
 * Last, cold loads over a paced link of --mbit Mbit/s, compressed and uncompressed (Accept-Encoding dropped).
 *
 *   node --import tsx benchmarks/browser.ts [--runs 3] [--mbit 50]
 *
 * npm run bench (part H) calls measureBrowser() and shows the cold bytes against issue 16's goal.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { imageSpecSchema } from '../adapters/imaging/image-spec.js';
import { parseConfig } from '../runtime/config/load-config.js';
import { prepareImage } from '../runtime/imaging/prepare-image.js';
import { startServer } from '../runtime/server.js';
import { ensureAppBuilt } from '../tools/browser/build-app.js';
import { startTransferMeter } from '../tools/browser/transfer-meter.js';
import { CHROMIUM, launchChromium, type BrowserSession } from '../tools/browser/chromium.js';
import { pathToFileURL } from 'node:url';
import { type BrowserFigures, type Bytes, browserReport } from './browser-report.js';

const ROOT = new URL('../', import.meta.url).pathname;
const XRAY = 'chest-xray-pneumonia';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;


/** Whether Debian's Chromium (or CLINFER_CHROMIUM) is there to drive. */
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export async function measureBrowser(runs = 3, mbit = 50): Promise<BrowserFigures> {
  await ensureAppBuilt();
  const server = await startServer(parseConfig({ models: join(ROOT, 'models'), port: 0, grpcPort: -1, logLevel: 'error' }));
  const meter = await startTransferMeter(server);
  const pixels = Buffer.alloc(64 * 64);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 251;
  const png = await sharp(pixels, { raw: { width: 64, height: 64, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  const ct = readFileSync(join(ROOT, 'test/fixtures/dicom/cornerstoneWADOImageLoader/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'));
  const ctJ2k = readFileSync(join(ROOT, 'test/fixtures/dicom/cornerstoneWADOImageLoader/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm'));
  const record = { age: 63, sex: 1, cp: 1, trestbps: 145, chol: 233, fbs: 1, restecg: 2, thalach: 150, exang: 0, oldpeak: 2.3, slope: 3, ca: 0, thal: 6 };
  const cold: number[] = [];
  const coldBytes: { toFirstResult: Bytes; withServiceWorker: Bytes }[] = [];
  const warm: number[] = [];
  let inPage: Record<string, { decodeMs: number; inferenceMs: number }> = {};
  let raw: Record<string, { decode: number[]; infer: number[] }> = {};
  const overLink: Record<'compressed' | 'uncompressed', { ms: number[]; bytes: number[] }> = { compressed: { ms: [], bytes: [] }, uncompressed: { ms: [], bytes: [] } };
  try {
    async function openToResult(session: BrowserSession, base = meter.url): Promise<number> {
      const started = Date.now();
      await session.page.goto(`${base}/app/?model=${XRAY}`);
      await session.page.waitForFunction(() => (globalThis as any).clinfer !== undefined);
      await session.page.locator('#file-input').setInputFiles({ name: 'xray.png', mimeType: 'image/png', buffer: png });
      await session.page.locator('#result-label').waitFor();
      return Date.now() - started;
    }

    for (let r = 0; r < runs; r++) {
      const session = await launchChromium({ timeoutMs: 60_000 });
      try {
        meter.answers.length = 0;
        cold.push(await openToResult(session));
        const toFirstResult = meter.totals();
        // ready: the worker is active, so its install (the precache of the app shell) has finished.
        await session.page.evaluate(() => (globalThis as any).navigator.serviceWorker.ready);
        coldBytes.push({ toFirstResult, withServiceWorker: meter.totals() });
        for (let w = 0; w < 2; w++) warm.push(await openToResult(session));
        if (r === runs - 1) {
          // No named helpers inside: the page runs this function's source as is.
          raw = await session.page.evaluate(async ({ inputs, record }) => {
            const api = (globalThis as any).clinfer;
            const out: Record<string, { decode: number[]; infer: number[] }> = {};
            for (const [name, model, input] of [
              ['xray png 64x64', 'chest-xray-pneumonia', new Uint8Array(inputs.png).buffer],
              ['CT 512x512 uncompressed', 'chest-xray-pneumonia', new Uint8Array(inputs.ct).buffer],
              ['CT 512x512 JPEG 2000', 'chest-xray-pneumonia', new Uint8Array(inputs.ctJ2k).buffer],
              ['heart record', 'heart-disease-risk', record],
            ] as const) {
              const decode: number[] = [];
              const infer: number[] = [];
              try {
                for (let i = 0; i < 15; i++) {
                  await api.predict(model, input);
                  decode.push(api.lastTimings.decodeMs);
                  infer.push(api.lastTimings.inferenceMs);
                }
              } catch {
                // Refused (the demo X-ray model's input scope is CR and DX: the CT slices are outside it).
                continue;
              }
              out[name] = { decode: decode.slice(3), infer: infer.slice(3) };
            }
            return out;
          }, { inputs: { png: [...png], ct: [...ct], ctJ2k: [...ctJ2k] }, record });
        }
      } finally {
        await session.close();
      }
    }
    inPage = Object.fromEntries(Object.entries(raw).map(([name, t]) => [name, { decodeMs: median(t.decode), inferenceMs: median(t.infer) }]));

    // Cold loads over a slower link, compressed and not (the proxy drops Accept-Encoding), taking turns.
    for (let r = 0; r < runs; r++) {
      for (const kind of ['uncompressed', 'compressed'] as const) {
        const link = await startTransferMeter(server, { bytesPerSecond: (mbit * 1e6) / 8, identityOnly: kind === 'uncompressed' });
        const session = await launchChromium({ timeoutMs: 120_000 });
        try {
          overLink[kind].ms.push(await openToResult(session, link.url));
          overLink[kind].bytes.push(link.totals().bytes);
        } finally {
          await session.close();
          await link.close();
        }
      }
    }
  } finally {
    await meter.close().catch(() => undefined);
    await server.close();
  }

  // The server side of the same work: the imaging thread's code and onnxruntime-node, in this process.
  const spec = imageSpecSchema.parse(JSON.parse(readFileSync(join(ROOT, 'models', XRAY, '1/bundle.json'), 'utf8')).preprocessing);
  const limits = { maxImagePixels: 1 << 26, maxFrames: 10, maxDecodedBytes: 1 << 30 };
  const nodeDecode = async (bytes: Buffer, format: 'png' | 'dicom') => {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      const result = await prepareImage({ bytes: new Uint8Array(bytes), format, spec, limits });
      if (!result.ok) throw new Error(result.message);
      times.push(performance.now() - t);
    }
    return median(times.slice(3));
  };
  const session = await ort.InferenceSession.create(join(ROOT, 'models', XRAY, '1/model.onnx'), { intraOpNumThreads: 1 });
  const feeds = { image: new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]) };
  const nodeInfer: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await session.run(feeds);
    nodeInfer.push(performance.now() - t);
  }
  await session.release();
  const server_ = {
    'xray png 64x64': await nodeDecode(png, 'png'),
    'CT 512x512 uncompressed': await nodeDecode(ct, 'dicom'),
    'CT 512x512 JPEG 2000': await nodeDecode(ctJ2k, 'dicom'),
  };

  return { date: new Date().toISOString(), runs, cold, coldBytes, overLink: { mbit, ...overLink }, warm, inPage, server: server_, nodeInferMs: median(nodeInfer.slice(5)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
  /** The link for the cold loads compared with and without compression (Mbit/s). */
  const mbit = args.includes('--mbit') ? Number(args[args.indexOf('--mbit') + 1]) || 50 : 50;
  const figures = await measureBrowser(runs, mbit);
  console.log(browserReport(figures));
  writeFileSync(join(ROOT, 'benchmarks/results/browser.json'), JSON.stringify(figures, null, 2));
}
