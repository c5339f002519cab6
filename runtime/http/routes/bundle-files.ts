import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Request, type Response } from 'express';
import { BUNDLE_FILE, sha256File } from '../../bundle/read-bundle.js';
import { ClinferError } from '../../errors/index.js';
import { requireReady, type ModelVersion } from '../../repository/model-version.js';
import type { AppContext } from '../../app-context.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';

/** A file's SHA-256, remembered while its size and modification time stay the same. */
interface FileDigest {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: Promise<string>;
}

/**
 * GET /v1/models/{m}/versions/{v}/files/{file}: a READY version's bundle.json and model file, for the
 * web app to run the model in the browser. Those two files only, by exact name: nothing else in the
 * version folder is reachable (the name is compared, never joined to a path first). The URL names a
 * version, so the answer is cacheable for good; the ETag is the file's own SHA-256, so a client that
 * holds the bytes gets 304. Files are hashed as served (not trusted from load time), so a file changed
 * on disk gets a new ETag and the browser's check against bundle.json's model.sha256 sees it.
 */
export function bundleFilesRoutes(ctx: Pick<AppContext, 'repository'>, routes: RouteTable): void {
  const digests = new WeakMap<ModelVersion, Map<string, FileDigest>>();

  const serve = async (req: Request, res: Response) => {
    const { model, version, file } = req.params as { model: string; version: string; file: string };
    const v = requireReady(ctx.repository.resolve(model, version));
    const bundle = v.config.bundle;
    const modelPath = v.spec?.modelPath;
    if (!bundle || v.config.source !== 'bundle' || !modelPath) {
      throw new ClinferError('ROUTE_NOT_FOUND', `model '${v.name}' version ${v.version} has no bundle.json (a bare model file): it has no files to serve`);
    }
    // The web app runs bundle.model only: for a pipeline that is its first step, a wrong answer.
    if (bundle.pipeline) throw new ClinferError('ROUTE_NOT_FOUND', `model '${v.name}' version ${v.version} is a pipeline (bundle.json 'pipeline'), which the browser cannot run; infer on the server`);
    const served = [BUNDLE_FILE, bundle.model.file];
    if (!served.includes(file)) {
      throw new ClinferError('ROUTE_NOT_FOUND', `model '${v.name}' version ${v.version} serves only ${served.join(' and ')}`);
    }
    const path = join(dirname(modelPath), file);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new ClinferError('MODEL_NOT_READY', `model '${v.name}' version ${v.version}: ${file} is no longer in its folder`);
    let perVersion = digests.get(v);
    if (!perVersion) digests.set(v, (perVersion = new Map()));
    let digest = perVersion.get(file);
    if (!digest || digest.size !== info.size || digest.mtimeMs !== info.mtimeMs) {
      digest = { size: info.size, mtimeMs: info.mtimeMs, sha256: sha256File(path) };
      perVersion.set(file, digest);
      digest.sha256.catch(() => perVersion.delete(file));
    }
    const etag = `"${await digest.sha256}"`;
    res.set({
      ETag: etag,
      'Cache-Control': 'private, max-age=31536000, immutable',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    if (fresh(req.get('if-none-match'), etag)) return void res.status(304).end();
    res.status(200).type(file === BUNDLE_FILE ? 'application/json' : 'application/octet-stream').set('Content-Length', String(info.size));
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(path), res);
  };

  routes.get('/v1/models/:model/versions/:version/files/:file', { access: needs('infer'), summary: "a bundle's bundle.json or model file (the web app)" }, serve);
}

function fresh(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

