import express from 'express';
import { unpackStream } from '../../bundle/tar.js';
import { boundedRawBody } from '../bounded-raw-body.js';
import { ClinferError } from '../../errors/index.js';
import type { AuditEntry } from '../../audit/audit-log.js';
import type { AppContext } from '../../app-context.js';
import { callerOf } from '../caller.js';
import { needs } from '../../auth/access.js';
import { overrideFromLoadParameters } from '../../model/config-override.js';
import type { RouteTable } from '../route-table.js';
import { PromotionGate } from '../../validation/promotion-gate.js';

/**
 * Triton's model repository extension (index, load, unload), and clinfer's deployment API: upload a
 * packed bundle as a new version (PUT), delete a version (DELETE), roll back to the previous one.
 */
export function repositoryRoutes(ctx: AppContext, routes: RouteTable): void {
  const control = (summary: string, scope: 'admin' | 'deploy') => ({ access: needs(scope), plane: 'control' as const, summary });
  // Bounded as it is read: past maxBundleBytes the upload is refused at once, not after reading it all.
  const archive = boundedRawBody(ctx.config.maxBundleBytes);
  // Key files are read once, here at start: a missing or wrong key stops the server (CONFIG_INVALID).
  const gate = new PromotionGate(ctx.config.promotionPolicy);
  const audit = (res: import('express').Response, entry: Omit<AuditEntry, 'caller'>) => ctx.audit?.append({ ...entry, caller: callerOf(res) });

  // Triton's clients send these JSON bodies without always saying so: read any body as JSON (none is {}).
  const json = express.json({ limit: '1mb', type: () => true });
  const body = (req: import('express').Request): Record<string, unknown> => {
    const b: unknown = req.body ?? {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ClinferError('INVALID_REQUEST', 'the body must be a JSON object');
    return b as Record<string, unknown>;
  };
  routes.post('/v2/repository/index', { access: needs('infer', 'admin'), plane: 'shared', summary: 'the model list (Triton repository index)' }, json, (req, res) => {
    const { ready } = body(req);
    if (ready !== undefined && typeof ready !== 'boolean') throw new ClinferError('INVALID_PARAMETER', "'ready' must be true or false");
    res.json(ctx.repository.index().filter((e) => !ready || e.state === 'READY'));
  });
  routes.post('/v2/repository/models/:model/load', control('load a model', 'admin'), json, async (req, res) => {
    const parameters = body(req).parameters ?? {};
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) throw new ClinferError('INVALID_REQUEST', "'parameters' must be an object");
    const override = overrideFromLoadParameters(req.params.model, parameters as Record<string, unknown>);
    try {
      await ctx.repository.load(req.params.model, override);
      await audit(res, { action: 'load', model: req.params.model, version: '', outcome: 'success' });
    } catch (error) {
      await audit(res, { action: 'load', model: req.params.model, version: '', outcome: (error as { code?: string }).code ?? 'INTERNAL' });
      throw error;
    }
    res.status(200).json({});
  });
  routes.post('/v2/repository/models/:model/unload', control('unload a model', 'admin'), async (req, res) => {
    await ctx.repository.unload(req.params.model);
    await audit(res, { action: 'unload', model: req.params.model, version: '', outcome: 'success' });
    res.status(200).json({});
  });
  routes.put('/v2/repository/models/:model/versions/:version', control('deploy a bundle as a new version', 'deploy'), archive, async (req, res) => {
    const { model, version } = req.params as { model: string; version: string };
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (body.byteLength === 0) throw new ClinferError('INVALID_REQUEST', 'the body must be a bundle packed with `clinfer bundle pack` (a .tar.gz)');
    let deployed;
    try {
      const files = await unpackStream(body, { maxTotalBytes: ctx.config.maxBundleBytes, maxFiles: 64, maxRatio: ctx.config.maxBundleUnpackRatio });
      deployed = await ctx.repository.deploy(model, version, files);
      if (deployed.state !== 'READY') {
        // Checked but unable to serve (e.g. the warm-up failed): take it away again, the old version serves on.
        const reason = deployed.reason;
        await ctx.repository.remove(model, version).catch(() => undefined);
        throw new ClinferError('BUNDLE_INVALID', `model '${model}' version ${version} did not load: ${reason}`);
      }
    } catch (error) {
      await audit(res, { action: 'deploy', model, version, outcome: (error as { code?: string }).code ?? 'INTERNAL' });
      throw error;
    }
    await audit(res, { action: 'deploy', model, version, bundle_digest: deployed.config?.digest, outcome: 'success' });
    ctx.log.info('deployment', { caller: callerOf(res), model, version, digest: deployed.config?.digest });
    res.status(201).json({ name: model, version, state: deployed.state, bundle_digest: deployed.config?.digest });
  });
  routes.delete('/v2/repository/models/:model/versions/:version', control('delete a version', 'deploy'), async (req, res) => {
    const { model, version } = req.params as { model: string; version: string };
    await ctx.repository.remove(model, version);
    await audit(res, { action: 'delete', model, version, outcome: 'success' });
    ctx.log.info('deletion', { caller: callerOf(res), model, version });
    res.status(200).json({});
  });
  routes.post('/v2/repository/models/:model/rollback', control('roll back to the previous version', 'deploy'), async (req, res) => {
    const now = await ctx.repository.rollback(req.params.model);
    await audit(res, { action: 'rollback', model: now.name, version: now.version, bundle_digest: now.config?.digest, outcome: 'success' });
    ctx.log.info('rollback', { caller: callerOf(res), model: now.name, version: now.version });
    res.status(200).json({ name: now.name, version: now.version, state: now.state });
  });
  routes.post('/v2/repository/models/:model/candidate', control('shadow or canary a candidate version', 'deploy'), express.json({ limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as { version?: unknown; mode?: unknown; percent?: unknown };
    if (typeof body.version !== 'string' || !/^[1-9][0-9]*$/.test(body.version)) throw new ClinferError('INVALID_REQUEST', "'version' must be the candidate's version, as a string of digits");
    if (body.mode !== 'shadow' && body.mode !== 'canary') throw new ClinferError('INVALID_REQUEST', "'mode' must be 'shadow' (a copy of the traffic, never answered) or 'canary' (a share of the traffic, answered)");
    const percent = body.mode === 'canary' ? body.percent : 0;
    if (typeof percent !== 'number' || percent < 0 || percent > 100) throw new ClinferError('INVALID_REQUEST', "'percent' (canary) must be a number from 0 to 100");
    const v = await ctx.repository.setCandidate(req.params.model, { version: body.version, mode: body.mode, percent });
    await audit(res, { action: 'candidate', model: v.name, version: v.version, bundle_digest: v.config?.digest, outcome: `${body.mode}${body.mode === 'canary' ? ` ${percent}%` : ''}` });
    res.status(200).json({ name: v.name, version: v.version, mode: body.mode, percent, state: v.state });
  });
  // A validation report is ~100 KB of aggregates at most; its subgroups grow with --group columns.
  routes.post('/v2/repository/models/:model/candidate/promote', control('promote the candidate to serving (promotion gate)', 'deploy'), express.json({ limit: '4mb', type: () => true }), async (req, res) => {
    const report = body(req).report;
    const model = req.params.model as string;
    let passed: ReturnType<PromotionGate['check']> | undefined;
    let checked: { version: string; digest: string | undefined } | undefined;
    try {
      const now = await ctx.repository.promote(model, (candidate) => {
        checked = { version: candidate.version, digest: candidate.config?.digest };
        passed = gate.check(report, { name: model, version: candidate.version, digest: candidate.config?.digest });
      });
      const r = passed?.report;
      await audit(res, {
        action: 'promote', model, version: now.version, bundle_digest: now.config?.digest, outcome: 'success',
        ...(r ? { detail: { report_key_id: r.key_id, report_site: r.site, report_data_sha256: r.data_sha256, report_created: r.created } } : {}),
      });
      ctx.log.info('promotion', { caller: callerOf(res), model, version: now.version, digest: now.config?.digest, report_key_id: r?.key_id ?? 'none' });
      res.status(200).json({ name: now.name, version: now.version, state: now.state, bundle_digest: now.config?.digest, validation_report: r ?? null });
    } catch (error) {
      await audit(res, { action: 'promote', model, version: checked?.version ?? '', bundle_digest: checked?.digest, outcome: (error as { code?: string }).code ?? 'INTERNAL' });
      throw error;
    }
  });
  routes.delete('/v2/repository/models/:model/candidate', control('end a shadow or canary', 'deploy'), async (req, res) => {
    await ctx.repository.clearCandidate(req.params.model);
    await audit(res, { action: 'candidate', model: req.params.model, version: '', outcome: 'cleared' });
    res.status(200).json({});
  });
}
