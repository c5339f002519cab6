import express, { type Request, type Response } from 'express';
import { extractPatients } from '../../../adapters/fhir/extract-patients.js';
import { operationOutcome, resultBundle, riskAssessment, type OutcomeCoding } from '../../../adapters/fhir/risk-assessment.js';
import { pickLanguage, translate } from '../../../adapters/tabular/language.js';
import { recordsToRows } from '../../../adapters/tabular/records.js';
import { describeShortfall, imputedNames, shortfall } from '../../../adapters/tabular/least-observed.js';
import { positiveLabelOf } from '../../predict/tabular-postprocessing.js';
import { ClinferError } from '../../errors/index.js';
import { countRequest } from '../../inference/count-request.js';
import { callerOf } from '../caller.js';
import type { ModelConfig } from '../../model/model-config.js';
import { predictRows } from '../../predict/tabular-predictor.js';
import { PRIORITY_HEADER, readSchedulingParameters, TIMEOUT_HEADER } from '../../protocol/scheduling-parameters.js';
import type { AppContext } from '../../app-context.js';
import { requireReady } from '../../repository/model-version.js';
import { resolveVersion } from './model-metadata.js';
import { checkJsonDepth, MAX_JSON_DEPTH } from '../../protocol/json-depth.js';
import { imagesOfBody, IMAGE_MEDIA_TYPES, isImageRequest } from '../image-body.js';
import { predictImages, type ImagingModel } from '../../predict/image-predictor.js';
import type { ImagePredictResponse } from '../../../adapters/imaging/image-prediction.js';
import { scopeNotes } from '../../../adapters/imaging/input-scope.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';
import { queueWriteBack, readWriteBack, requireServerPatients } from '../write-back.js';

const FHIR_JSON = 'application/fhir+json';

/**
 * POST /v1/models/{m}[/versions/{v}]/predict: domain input in, domain answer out.
 * application/json {"records": [...]} -> predictions; application/fhir+json Bundle -> RiskAssessments;
 * application/dicom, image/png|jpeg|tiff|webp or multipart/related -> per image (or frame) classifications.
 */
export function predictRoutes(ctx: AppContext, routes: RouteTable): void {
  // The raw bytes are kept for the audit log's input digest (the parsed body is what is used).
  const rawBodies = new WeakMap<Request, Buffer>();
  // Nesting is bounded before JSON.parse runs (a 60 MB `[[[[...` holds the event loop for seconds): 400.
  const json = express.json({ type: ['application/json', FHIR_JSON], limit: ctx.config.maxBodyBytes, strict: true, verify: (req, _res, buf) => { checkJsonDepth(buf, MAX_JSON_DEPTH, 'records and FHIR Bundles nest far less deep'); rawBodies.set(req as Request, buf); } });
  const raw = express.raw({ type: IMAGE_MEDIA_TYPES, limit: ctx.config.maxBodyBytes, verify: (req, _res, buf) => { rawBodies.set(req as Request, buf); } });

  // The work returns how to answer; the answer is sent once countRequest has written the audit entry.
  const predict = async (req: Request, res: Response) => (await countRequest(ctx, callerOf(res), rawBodies.get(req), async (note): Promise<() => void> => {
      note({ requestedModel: String(req.params.model) });
      const v = requireReady(resolveVersion(ctx, req));
      note({ model: v.name, version: v.version, bundleDigest: v.config.digest });
      const model = v.config;
      const scheduling = readSchedulingParameters({}, { priority: req.get(PRIORITY_HEADER), timeout: req.get(TIMEOUT_HEADER) });
      const language = pickLanguage(req.get('accept-language'));
      // Labels, cards and notes are in the caller's language: caches must key on it.
      res.vary('Accept-Language');
      res.set('Content-Language', language);
      const abort = new AbortController();
      res.on('close', () => { if (!res.writableFinished) abort.abort(); });
      const options = { ...scheduling, language, signal: abort.signal, drift: v.drift };
      const writeBack = readWriteBack(ctx, req, req.is(FHIR_JSON) === FHIR_JSON);

      if (isImageRequest(req)) {
        if (!model.image) {
          throw new ClinferError('NOT_AN_IMAGING_MODEL', `model '${model.name}' declares no image preprocessing in its bundle; send it ${model.tabular ? 'records or FHIR' : `tensors at /v2/models/${model.name}/infer`}`);
        }
        const outcomes = await predictImages(ctx.imaging, model as ImagingModel, v.scheduler, imagesOfBody(req, ctx.config.maxParts), options);
        const answer: ImagePredictResponse = {
          model_name: model.name, model_version: model.version, model_digest: model.digest, language, predictions: outcomes.flatMap((o) => o.predictions),
          // Only present when the bundle warns rather than refuses (out_of_scope), or a condition could not be checked.
          ...scopeNotes(outcomes.map((o) => o.scope)),
        };
        return () => res.json(answer);
      }
      if (!req.is(['application/json', FHIR_JSON])) {
        throw new ClinferError('UNSUPPORTED_MEDIA_TYPE', `Content-Type '${(req.get('content-type') ?? 'none').slice(0, 60)}' is not read here; send application/json {"records": [...]}, application/fhir+json (a FHIR Bundle), or an image (application/dicom, image/png, image/jpeg, image/tiff, image/webp, or multipart/related with one image per part)`);
      }
      if (!model.tabular) {
        throw new ClinferError('NOT_A_TABULAR_MODEL', `model '${model.name}' declares no tabular features in its bundle; call /v2/models/${model.name}/infer with tensors instead`);
      }
      const tabularModel = model as ModelConfig & { tabular: NonNullable<ModelConfig['tabular']> };

      if (req.is(FHIR_JSON)) {
        const at = referenceTime(req);
        const patients = extractPatients(tabularModel.tabular, req.body, at);
        // A patient with less observed data than the bundle asks is not assessed; the issue says what to record.
        const short = new Map(patients.map((p) => [p, shortfall(tabularModel.tabular, p.row.imputed)] as const));
        const valid = patients.filter((p) => !p.row.issues.some((i) => i.severity === 'error'));
        const usable = valid.filter((p) => !short.get(p));
        if (writeBack) requireServerPatients(usable);
        // Nobody to assess, only for want of data: 422. Otherwise the OperationOutcome says it per patient.
        if (usable.length === 0 && valid.length === patients.length) {
          throw new ClinferError('INSUFFICIENT_DATA', valid.map((p) => `${p.reference}: too little observed data: ${describeShortfall(tabularModel.tabular, short.get(p)!)}`).join('; '));
        }
        const predictions = usable.length ? await predictRows(tabularModel, v.scheduler, usable.map((p) => p.row), options) : [];
        const post = (model.bundle?.postprocessing ?? {}) as { outcome?: OutcomeCoding };
        const positive = positiveLabelOf(model);
        const occurrence = at.toISOString();
        const resources = usable.map((p, i) => riskAssessment(
          { name: model.name, version: model.version, description: model.bundle?.description ?? '', digest: model.digest, horizon: model.bundle?.prediction_horizon },
          {
            reference: p.reference, probability: predictions[i]!.value, basis: p.basis, contributions: predictions[i]!.contributions ?? [],
            outcomeText: translate(positive?.text, language, positive?.id ?? 'outcome'), status: p.status, imputed: imputedNames(tabularModel.tabular, p.row.imputed), language,
          },
          post.outcome,
          occurrence,
        ));
        const insufficient = valid.filter((p) => short.get(p)).map((p) => ({
          feature: '', severity: 'error' as const, code: 'incomplete' as const, expression: `Bundle.entry[${p.index}].resource`,
          message: `${p.reference}: not assessed, too little observed data: ${describeShortfall(tabularModel.tabular, short.get(p)!)}`,
        }));
        const issues = [...insufficient, ...patients.flatMap((p) => p.row.issues.map((i) => ({ ...i, message: `${p.reference}: ${i.message}` })))];
        if (issues.length) resources.push(operationOutcome(issues));
        recordPredictions(ctx, model, 'risk_assessment', usable.map((_, i) => [resources[i]!.id as string, predictions[i]!.value]));
        const answered = writeBack ? await queueWriteBack(ctx, resources) : resources;
        return () => res.status(200).type(FHIR_JSON).send(JSON.stringify(resultBundle(answered, new Date().toISOString())));
      } else {
        const rows = recordsToRows(tabularModel.tabular, req.body);
        const short = rows.map((r, i) => ({ i, s: shortfall(tabularModel.tabular, r.imputed) })).filter((x) => x.s);
        if (short.length) {
          throw new ClinferError('INSUFFICIENT_DATA', short.map(({ i, s }) => `records[${i}]: too little observed data: ${describeShortfall(tabularModel.tabular, s!)}`).join('; '));
        }
        const predictions = await predictRows(tabularModel, v.scheduler, rows, options);
        recordPredictions(ctx, model, 'request', [[String(res.locals.requestId), ...predictions.map((p) => p.value)]]);
        return () => res.json({
          model_name: model.name,
          model_version: model.version,
          model_digest: model.digest,
          language,
          predictions: predictions.map((p, i) => ({
            ...(model.bundle?.task === 'classification' ? { probability: p.value } : { value: p.value }),
            ...(p.scores ? { scores: p.scores } : {}),
            ...(p.label ? { label: p.label } : {}),
            ...(p.contributions ? { contributions: p.contributions.map((c) => ({ ...c, value: round(c.value), contribution: round(c.contribution) })) } : {}),
            imputed: imputedNames(tabularModel.tabular, rows[i]!.imputed),
          })),
          ...(predictions.some((p) => p.contributions) ? { contributions_method: 'exact: coefficient x standardised value, in log-odds, relative to the training mean' } : {}),
        });
      }
  }))();
  routes.post('/v1/models/:model/predict', { access: needs('infer'), summary: 'records, FHIR or images (serving version)' }, json, raw, predict);
  routes.post('/v1/models/:model/versions/:version/predict', { access: needs('infer'), summary: 'records, FHIR or images (a version)' }, json, raw, predict);
}

/** `?reference_time=` (ISO 8601) fixes "now" for ages and look-back windows; default: the current time. */
function referenceTime(req: Request): Date {
  const raw = req.query.reference_time;
  if (raw === undefined) return new Date();
  const at = typeof raw === 'string' ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new ClinferError('INVALID_PARAMETER', `reference_time must be an ISO 8601 date-time, got '${String(raw).slice(0, 40)}'`);
  return at;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * Keeps a classifier's predictions (id digest and probability) for outcomes reported later, when
 * outcomeDatabase is set: each entry is [id, ...probabilities of its rows]. A failed write is logged and the
 * answer still goes out: monitoring data must not stand between a clinician and a prediction.
 */
function recordPredictions(ctx: AppContext, model: ModelConfig, kind: 'request' | 'risk_assessment', entries: Array<[string, ...number[]]>): void {
  if (!ctx.outcomes || model.bundle?.task !== 'classification') return;
  try {
    for (const [id, ...scores] of entries) ctx.outcomes.recordPredictions(kind, id, { model: model.name, version: model.version, scores });
  } catch (error) {
    ctx.log.warn('prediction not recorded for outcomes', { model: model.name, version: model.version, error: (error as Error).message.slice(0, 200) });
  }
}
