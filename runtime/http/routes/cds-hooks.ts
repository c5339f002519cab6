import express, { type Request } from 'express';
import { cdsHooksDeclaration, describeService, serverQueries, type CdsHooksDeclaration } from '../../../adapters/cds-hooks/cds-service.js';
import { insufficientDataCard, riskCard } from '../../../adapters/cds-hooks/cards.js';
import { describeShortfall, imputedNames, shortfall } from '../../../adapters/tabular/least-observed.js';
import { positiveLabelOf } from '../../predict/tabular-postprocessing.js';
import { gatherResources, readHookRequest } from '../../../adapters/cds-hooks/gather-resources.js';
import { extractPatients } from '../../../adapters/fhir/extract-patients.js';
import { isObject } from '../../../adapters/fhir/fhir-json.js';
import { pickLanguage, translate } from '../../../adapters/tabular/language.js';
import { ClinferError } from '../../errors/index.js';
import type { ModelConfig } from '../../model/model-config.js';
import { predictRows } from '../../predict/tabular-predictor.js';
import type { ModelVersion } from '../../repository/model-version.js';
import type { AppContext } from '../../app-context.js';
import { cdsAuthHandler } from '../cds-auth.js';
import { checkFhirServer } from '../cds-fhir-server.js';
import { callerOf } from '../caller.js';
import { cdsHookAuditRecord } from '../../audit/cds-hook-audit-record.js';
import { CDS_HOOKS } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';
import { riskAssessment, type OutcomeCoding } from '../../../adapters/fhir/risk-assessment.js';
import { queueHookWriteBack } from '../write-back.js';
import { checkJsonDepth, MAX_JSON_DEPTH } from '../../protocol/json-depth.js';

type Service = { version: ModelVersion & { config: ModelConfig & { tabular: NonNullable<ModelConfig['tabular']> } }; declaration: CdsHooksDeclaration };

/** CDS Hooks 2.0: discovery, one service per READY tabular bundle that declares a hook, and feedback. */
export function cdsHooksRoutes(ctx: AppContext, routes: RouteTable): void {
  // The EHR's JWT is checked first; only then is the body read, within its own limit.
  const authenticate = cdsAuthHandler(ctx.config);
  const json = express.json({ limit: ctx.config.cdsHooksMaxBodyBytes, verify: (_req, _res, buf) => checkJsonDepth(buf, MAX_JSON_DEPTH, "a hook request's context and prefetch nest far less deep") });
  const baseUrl = (req: Request) => (ctx.config.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/$/, '');

  const services = (): Service[] => {
    const found = new Map<string, Service>();
    for (const name of new Set(ctx.repository.index().map((e) => e.name))) {
      let v: ModelVersion;
      try {
        v = ctx.repository.resolve(name);
      } catch {
        continue;
      }
      const raw = v.config?.bundle?.cds_hooks;
      if (v.state !== 'READY' || !v.config?.tabular || !raw) continue;
      const parsed = cdsHooksDeclaration.safeParse(raw);
      if (!parsed.success || found.has(parsed.data.id)) continue;
      found.set(parsed.data.id, { version: v as Service['version'], declaration: parsed.data });
    }
    return [...found.values()];
  };
  const service = (id: string) => {
    const s = services().find((x) => x.declaration.id === id);
    if (!s) throw new ClinferError('CDS_SERVICE_NOT_FOUND', `no CDS Hooks service '${id.slice(0, 60)}'; GET /cds-services lists them`);
    return s;
  };

  routes.get('/cds-services', { access: CDS_HOOKS, summary: 'CDS Hooks discovery' }, authenticate, async (_req, res) => {
    res.json({ services: services().map((s) => describeService(s.declaration, s.version.config.tabular)) });
  });

  routes.post('/cds-services/:id', { access: CDS_HOOKS, summary: 'a CDS Hooks service call' }, authenticate, json, async (req, res) => {
    const { version, declaration } = service(req.params.id as string);
    const model = version.config;
    const labels = { model: model.name, version: model.version };
    // Cards are in the clinician's language: caches must key on it.
    const language = pickLanguage(req.get('accept-language'));
    res.vary('Accept-Language');
    res.set('Content-Language', language);
    const at = new Date();
    const request = checkFhirServer(readHookRequest(req.body, declaration.hook), ctx.config.cdsHooksFhirServers);
    const queries = serverQueries(model.tabular, at, ctx.config.cdsHooksFhirPageSize);
    const resources = await gatherResources(request, queries, fetch, { maxPages: ctx.config.cdsHooksFhirMaxPages, maxResources: ctx.config.cdsHooksFhirMaxResources });
    await ctx.audit?.append(cdsHookAuditRecord({ caller: callerOf(res), service: declaration.id, hookInstance: request.hookInstance, model: model.name, version: model.version, fhirServer: request.fhirServer, resources }));
    const hasPatient = (resources.entry as { resource?: { resourceType?: string } }[]).some((e) => e.resource?.resourceType === 'Patient');
    // The EHR has no such patient (prefetch null, or 404 from its server): nothing to say.
    const patient = hasPatient ? extractPatients(model.tabular, resources, at).find((p) => p.reference === `Patient/${request.context.patientId}`) : undefined;
    if (!patient) {
      res.json({ cards: [] });
      return;
    }
    const cardUrl = `${baseUrl(req)}/v2/models/${model.name}/versions/${model.version}`;
    const errors = patient.row.issues.filter((i) => i.severity === 'error');
    if (errors.length) {
      res.json({ cards: [{ summary: translate({ en: 'Risk not computed: a recorded value cannot be used', fr: 'Risque non calculé : une valeur du dossier est inutilisable', de: 'Risiko nicht berechnet: ein Wert der Akte ist unbrauchbar' }, language, ''), detail: errors.map((e) => `- ${e.message}`).join('\n'), indicator: 'info', source: { label: `clinfer ${model.name} v${model.version}` } }] });
      ctx.metrics.requests.inc({ ...labels, outcome: 'INVALID_INPUT' });
      return;
    }
    const short = shortfall(model.tabular, patient.row.imputed);
    if (short) {
      res.json({ cards: [insufficientDataCard({ name: model.name, version: model.version, cardUrl }, describeShortfall(model.tabular, short, language), language)] });
      ctx.metrics.requests.inc({ ...labels, outcome: 'INSUFFICIENT_DATA' });
      return;
    }
    const [prediction] = await predictRows(model, version.scheduler!, [patient.row], { priority: 2, timeoutMs: undefined, language });
    const positive = positiveLabelOf(model);
    const card = riskCard({
      declaration, spec: model.tabular, language,
      model: { name: model.name, version: model.version, digest: model.digest, cardUrl, horizon: model.bundle?.prediction_horizon },
      probability: prediction!.value, outcomeText: translate(positive?.text, language, positive?.id ?? 'risk'),
      contributions: prediction!.contributions ?? [],
      imputed: imputedNames(model.tabular, patient.row.imputed),
      preliminary: patient.status === 'preliminary',
    });
    // Written back (fhirWriteBack.cdsHooks) as the RiskAssessment /v1 predict would answer for this patient.
    await queueHookWriteBack(ctx, request.fhirServer, () => riskAssessment(
      { name: model.name, version: model.version, description: model.bundle?.description ?? '', digest: model.digest, horizon: model.bundle?.prediction_horizon },
      {
        reference: patient.reference, probability: prediction!.value, basis: patient.basis, contributions: prediction!.contributions ?? [],
        outcomeText: translate(positive?.text, language, positive?.id ?? 'outcome'), status: patient.status, imputed: imputedNames(model.tabular, patient.row.imputed), language,
      },
      ((model.bundle?.postprocessing ?? {}) as { outcome?: OutcomeCoding }).outcome,
      at.toISOString(),
    ));
    ctx.metrics.requests.inc({ ...labels, outcome: 'success' });
    res.json({ cards: [card] });
  });

  routes.post('/cds-services/:id/feedback', { access: CDS_HOOKS, summary: 'CDS Hooks card feedback' }, authenticate, json, async (req, res) => {
    const { declaration } = service(req.params.id as string);
    const items = isObject(req.body) && Array.isArray(req.body.feedback) ? req.body.feedback : undefined;
    if (!items || items.length === 0) throw new ClinferError('INVALID_REQUEST', "the body must be {\"feedback\": [{\"card\", \"outcome\", \"outcomeTimestamp\"}, ...]}");
    items.forEach((item: unknown, i: number) => {
      if (!isObject(item) || typeof item.card !== 'string' || (item.outcome !== 'accepted' && item.outcome !== 'overridden') || typeof item.outcomeTimestamp !== 'string') {
        throw new ClinferError('INVALID_REQUEST', `feedback[${i}] needs 'card' (the card uuid), 'outcome' (accepted or overridden) and 'outcomeTimestamp'`);
      }
    });
    for (const item of items as { outcome: string }[]) ctx.metrics.cdsFeedback.inc({ service: declaration.id, outcome: item.outcome });
    res.status(200).json({});
  });
}
