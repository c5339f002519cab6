import { checkLinearModel } from '../predict/linear-model-check.js';
import { sessionScheduler } from '../scheduler/session-scheduler.js';
import { exposeZipMapInputs } from '../onnx/expose-zipmap.js';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readVersionFolder, sha256File, BUNDLE_FILE } from '../bundle/read-bundle.js';
import { fileDigests, keyId, SIGNATURE_FILE, signManifest, verifyFolder } from '../bundle/signature.js';
import { pack, unpack } from '../bundle/tar.js';
import { buildModelConfig } from '../model/build-model-config.js';
import { createSession, describeValues } from '../pool/session-factory.js';
import { runWarmup } from '../pool/warmup.js';
import { warmupPlan } from '../repository/warmup-plan.js';
import * as ort from 'onnxruntime-node';
import { bundleDigest } from '../bundle/signature.js';

const USAGE = `usage: clinfer bundle <command>
  init ONNX --name N [--version V] --out DIR   scaffold a bundle folder: the model and a bundle.json filled from its graph
  validate DIR                                 schema, sha256, then load the model and run a warm-up
  pack DIR --out FILE.tar.gz                   one reproducible archive (same files, same bytes)
  keygen --out PREFIX                          an Ed25519 key pair: PREFIX.key (private) and PREFIX.pub (public), PEM
  sign DIR --key PRIVATE.pem                   write signature.json (covers the manifest and every file's digest)
  verify DIR|FILE.tar.gz --key PUBLIC.pem ...  check the signature against trusted keys
  inspect DIR|FILE.tar.gz                      print the model card`;

type Out = { log: (line: string) => void; err: (line: string) => void };

/** `clinfer bundle ...`: returns the exit code (0 ok, 1 the bundle fails, 2 bad usage). */
export async function bundleCommand(args: string[], out: Out = { log: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') }): Promise<number> {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { name: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' }, key: { type: 'string', multiple: true } } });
  } catch (error) {
    out.err(`clinfer bundle: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const target = positionals[0];
  try {
    switch (sub) {
      case 'init': {
        if (!target || !values.name || !values.out) return usage(out);
        const version = values.version ?? '1';
        mkdirSync(values.out, { recursive: true });
        const file = basename(target).endsWith('.ort') ? 'model.ort' : 'model.onnx';
        copyFileSync(target, join(values.out, file));
        // As the server sees it: a scikit-learn ZipMap output is the probabilities tensor behind it.
        const session = await ort.InferenceSession.create(exposeZipMapInputs(new Uint8Array(readFileSync(join(values.out, file)))).bytes);
        const spec = (list: readonly ort.InferenceSession.ValueMetadata[]) => describeValues(list).filter((v) => v.isTensor);
        const graph = { inputs: spec(session.inputMetadata), outputs: spec(session.outputMetadata), provider: 'cpu' };
        await session.release();
        const config = buildModelConfig({ name: values.name, version, bundleFile: BUNDLE_FILE, digest: '' }, graph, undefined, { autofillMaxBatchSize: 32, instances: 1, maxQueueSize: 1, maxQueueDelayUs: undefined });
        const bundle = {
          schema_version: 1, name: values.name, version, description: '', task: 'other',
          model: { file, sha256: await sha256File(join(values.out, file)) },
          inputs: config.inputs, outputs: config.outputs, max_batch_size: config.maxBatchSize,
          labels: [], preprocessing: { kind: 'none' }, postprocessing: { kind: 'none' }, intended_use: '',
          provenance: { training_data: {}, evaluation: {}, licence: '' },
          execution: { providers: ['cpu'] },
        };
        writeFileSync(join(values.out, BUNDLE_FILE), JSON.stringify(bundle, null, 2) + '\n');
        out.log(`wrote ${join(values.out, BUNDLE_FILE)}: ${config.inputs.length} inputs, ${config.outputs.length} outputs, max_batch_size ${config.maxBatchSize}; fill in task, description, labels, intended_use and provenance`);
        return 0;
      }
      case 'validate': {
        if (!target) return usage(out);
        const folder = await readVersionFolder(target, undefined);
        // Its files and wiring are checked above; the graphs' wiring is checked when the server loads it.
        if (folder.pipeline) throw new Error(`${join(target, BUNDLE_FILE)}: field 'pipeline': bundle validate does not load pipelines yet; load the bundle in a server (a miswired pipeline is refused there, naming the step)`);
        const started = performance.now();
        const plan = await warmupPlan(target, folder.bundle, join(target, BUNDLE_FILE));
        const created = await createSession({ key: 'validate', modelPath: folder.modelPath, modelSha256: await sha256File(folder.modelPath), executionTimeoutMs: 0, providers: [...(folder.bundle?.execution.providers ?? ['cpu'])], intraOpThreads: 1, warmup: plan });
        const inputs = describeValues(created.session.inputMetadata);
        const outputs = describeValues(created.session.outputMetadata);
        const config = buildModelConfig({ name: folder.bundle?.name ?? basename(target), version: folder.bundle?.version ?? '1', bundleFile: join(target, BUNDLE_FILE), digest: bundleDigest(await fileDigests(target, false)) }, { inputs, outputs, provider: created.provider }, folder.bundle, { autofillMaxBatchSize: 32, instances: 1, maxQueueSize: 1, maxQueueDelayUs: undefined });
        // The same warm-up as the server: declared samples must run; a synthetic one only warns.
        const warm = await runWarmup(plan, inputs, outputs, (feeds, fetches) => created.session.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor(f.type as never, f.data as never, f.dims)])), fetches), (path) => readFileSync(path));
        // The same check of a tabular bundle's linear_model against the graph as at load.
        if (config.tabular) {
          await checkLinearModel(config as typeof config & { tabular: NonNullable<typeof config.tabular> }, sessionScheduler(created.session), join(target, BUNDLE_FILE))
            .finally(() => created.session.release());
        } else {
          await created.session.release();
        }
        if (warm.warmupError && plan.kind === 'samples') throw new Error(`${join(target, BUNDLE_FILE)}: field 'warmup': ${warm.warmupError}`);
        if (warm.warmupError) out.err(`warning: ${warm.warmupError} (the server serves the model anyway; declare warmup.samples in ${BUNDLE_FILE}, or warmup: false)`);
        const ran = plan.kind === 'off' ? 'warm-up off' : plan.kind === 'samples' ? `runs ${plan.samples.length} warm-up sample(s)` : warm.warmupError ? 'synthetic warm-up failed' : 'runs a synthetic warm-up';
        out.log(`ok: ${config.name} version ${config.version}, ${config.source === 'bundle' ? 'bundle.json valid, sha256 matches' : 'bare model'}, loads on ${created.provider} and ${ran} (${Math.round(performance.now() - started)} ms); digest ${config.digest}`);
        return 0;
      }
      case 'pack': {
        if (!target || !values.out) return usage(out);
        await readVersionFolder(target, undefined);
        const names = readdirSync(target).filter((n) => statSync(join(target, n)).isFile()).sort();
        let done = 0;
        const total = names.reduce((n, f) => n + statSync(join(target, f)).size, 0);
        const files = names.map((name) => {
          const data = readFileSync(join(target, name));
          done += data.byteLength;
          if (total > 16 * 1024 * 1024) out.err(`packing ${name}: ${Math.round((done / total) * 100)}% of ${(total / 1048576).toFixed(1)} MiB`);
          return { name, data };
        });
        writeFileSync(values.out, pack(files));
        out.log(`wrote ${values.out}: ${files.length} files (${names.join(', ')})`);
        return 0;
      }
      case 'keygen': {
        if (!values.out) return usage(out);
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        writeFileSync(`${values.out}.key`, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        writeFileSync(`${values.out}.pub`, publicKey.export({ type: 'spki', format: 'pem' }));
        out.log(`wrote ${values.out}.key (keep it secret) and ${values.out}.pub (give it to the servers: trustedKeys); key id ${keyId(publicKey)}`);
        return 0;
      }
      case 'sign': {
        if (!target || !values.key?.length) return usage(out);
        const folder = await readVersionFolder(target, undefined);
        if (!folder.bundle) throw new Error(`${target}: only a bundle with a bundle.json can be signed (name and version come from it)`);
        const doc = signManifest(folder.bundle.name, folder.bundle.version, await fileDigests(target), readFileSync(values.key[0]!, 'utf8'));
        writeFileSync(join(target, SIGNATURE_FILE), JSON.stringify(doc, null, 2) + '\n');
        out.log(`signed ${folder.bundle.name} version ${folder.bundle.version} with key ${doc.key_id}: ${Object.keys(doc.files).join(', ')}`);
        return 0;
      }
      case 'verify': {
        if (!target || !values.key?.length) return usage(out);
        const keys = values.key.map((k) => createPublicKey(readFileSync(k, 'utf8')));
        return await withFolder(target, async (dir) => {
          const result = await verifyFolder(dir, keys);
          out.log(`verified: signed by key ${result.keyId}; bundle digest ${result.digest}`);
          return 0;
        });
      }
      case 'inspect': {
        if (!target) return usage(out);
        return await withFolder(target, async (dir) => {
          const folder = await readVersionFolder(dir, undefined);
          const b = folder.bundle;
          if (!b) {
            out.log(`bare model ${basename(folder.modelPath)} (no bundle.json): metadata comes from the graph`);
            return 0;
          }
          const metrics = (b.provenance.evaluation as { metrics?: Record<string, number>; n?: number } | undefined);
          out.log(`${b.name} version ${b.version} (${b.task})`);
          out.log(`  ${b.description}`);
          out.log(`  inputs:  ${(b.inputs ?? []).map((t) => `${t.name} ${t.datatype}[${t.shape.join(',')}]`).join(', ') || 'from the graph'}`);
          out.log(`  outputs: ${(b.outputs ?? []).map((t) => `${t.name} ${t.datatype}[${t.shape.join(',')}]`).join(', ') || 'from the graph'}`);
          out.log(`  labels:  ${b.labels.map((l) => l.text?.en ?? l.id).join(', ') || 'none'}`);
          out.log(`  evaluation: ${metrics?.metrics ? Object.entries(metrics.metrics).map(([k, v]) => `${k} ${v}`).join(', ') : 'none declared'}${metrics?.n ? ` (n = ${metrics.n})` : ''}`);
          out.log(`  licence: ${b.provenance.licence ?? 'not declared'}`);
          out.log(`  intended use: ${b.intended_use || 'not declared'}`);
          out.log(`  signed: ${existsSync(join(dir, SIGNATURE_FILE)) ? 'yes (verify with clinfer bundle verify)' : 'no'}`);
          return 0;
        });
      }
      default:
        return usage(out);
    }
  } catch (error) {
    out.err(`clinfer bundle ${sub}: ${(error as Error).message}`);
    return 1;
  }
}

function usage(out: Out): number {
  out.err(USAGE);
  return 2;
}

/** A folder as is, or a .tar.gz unpacked (with the server's checks) into a temporary folder. */
async function withFolder(target: string, work: (dir: string) => Promise<number>): Promise<number> {
  if (statSync(target).isDirectory()) return work(target);
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-bundle-'));
  try {
    for (const f of unpack(readFileSync(target), { maxTotalBytes: 4 * 1024 * 1024 * 1024, maxFiles: 64 })) writeFileSync(join(dir, f.name), f.data);
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
