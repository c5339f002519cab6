import express from 'express';
import { ClinferError } from '../../errors/index.js';
import type { AppContext } from '../../app-context.js';
import { callerOf } from '../caller.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';
import type { PredictionIdKind } from '../../outcomes/outcome-store.js';

/** Observed outcomes, as a hospital's systems may send them: 0/1, true/false. */
const LABELS = new Map<unknown, 0 | 1>([[0, 0], [1, 1], [false, 0], [true, 1]]);

/**
 * POST /v1/models/{m}/outcomes: the observed outcome of an earlier prediction (a diagnosis confirmed weeks
 * later), named by the prediction's request id (the X-Request-Id of its answer) or the id of the FHIR
 * RiskAssessment it returned. Joined to the recorded prediction, it moves the live performance gauges.
 */
export function outcomeRoutes(ctx: AppContext, routes: RouteTable): void {
  routes.post('/v1/models/:model/outcomes', { access: needs('infer'), summary: 'the observed outcome of an earlier prediction (live performance)' }, express.json({ limit: '16kb' }), async (req, res) => {
    const model = req.params.model as string;
    if (!ctx.outcomes) throw new ClinferError('OUTCOMES_DISABLED', 'this server keeps no predictions to join outcomes to: set outcomeDatabase (docs/validation.md#live-performance)');
    const b: unknown = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ClinferError('INVALID_REQUEST', 'the body must be a JSON object {"request_id" or "risk_assessment_id", "label"}');
    const { request_id: requestId, risk_assessment_id: raId, index, label } = b as Record<string, unknown>;
    if ((requestId === undefined) === (raId === undefined)) throw new ClinferError('INVALID_REQUEST', "give exactly one of 'request_id' (the X-Request-Id of the prediction's answer) and 'risk_assessment_id' (the id of the RiskAssessment it returned)");
    const [kind, id]: [PredictionIdKind, unknown] = requestId !== undefined ? ['request', requestId] : ['risk_assessment', raId];
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new ClinferError('INVALID_REQUEST', `'${kind === 'request' ? 'request_id' : 'risk_assessment_id'}' must be a string of 1 to 200 characters`);
    if (index !== undefined && (typeof index !== 'number' || !Number.isInteger(index) || index < 0)) throw new ClinferError('INVALID_REQUEST', "'index' (which record of the request) must be an integer from 0");
    const observed = LABELS.get(label);
    if (observed === undefined) throw new ClinferError('INVALID_REQUEST', "'label' (the observed outcome) must be 0 or 1 (or false or true)");
    let result;
    try {
      result = ctx.outcomes.recordOutcome(model, kind, id, index as number | undefined, observed);
    } catch (error) {
      await ctx.audit?.append({ action: 'outcome', caller: callerOf(res), model, outcome: (error as { code?: string }).code ?? 'INTERNAL', secret: { requestId: `${kind}:${id}` } });
      throw error;
    }
    await ctx.audit?.append({ action: 'outcome', caller: callerOf(res), model, version: result.version, outcome: 'success', secret: { requestId: `${kind}:${id}` } });
    res.status(200).json({ model_name: model, model_version: result.version, label: observed, previous_label: result.previousLabel });
  });
}
