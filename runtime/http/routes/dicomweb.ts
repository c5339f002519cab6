import express, { type Request, type Response } from 'express';
import { ClinferError } from '../../errors/index.js';
import { storeAnswer } from '../stow-answer.js';
import type { AppContext } from '../../app-context.js';
import { mediaTypeParameters, parseMultipartRelated } from '../../protocol/multipart-related.js';
import { PRIORITY_HEADER, readSchedulingParameters } from '../../protocol/scheduling-parameters.js';
import { callerOf } from '../caller.js';
import { storeAuditRecord } from '../../audit/store-audit-record.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';

const DICOM_JSON = 'application/dicom+json';

/**
 * DICOMweb STOW-RS (PS3.18 10.5): POST /dicomweb/studies[/{study}] with multipart/related;
 * type="application/dicom". Each routed instance is on disk in the inbox before the answer; it runs through
 * its models with its study once the study has settled (dicomStudySettleMs), and the study's results (SR,
 * SEG) are queued durably for the configured destinations. The answer is the standard Store Instances
 * Response (DICOM JSON): referenced instances, failed ones (not kept) with a failure reason.
 */
export function dicomwebRoutes(ctx: AppContext, routes: RouteTable): void {
  const raw = express.raw({ type: () => true, limit: ctx.config.maxBodyBytes });
  const store = async (req: Request, res: Response) => {
    // The answer is DICOM JSON only (PS3.18 10.5.2: application/dicom+json or +xml): checked before anything is stored.
    if (!req.accepts([DICOM_JSON, 'application/json'])) {
      throw new ClinferError('NOT_ACCEPTABLE', `STOW-RS answers ${DICOM_JSON}; the Accept header asks for '${(req.get('accept') ?? '').slice(0, 80)}' (application/dicom+xml is not produced)`);
    }
    const contentType = req.get('content-type') ?? '';
    const { mediaType } = mediaTypeParameters(contentType);
    if (mediaType !== 'multipart/related') {
      throw new ClinferError('UNSUPPORTED_MEDIA_TYPE', `STOW-RS takes multipart/related; type="application/dicom", got '${contentType.slice(0, 60) || 'none'}'`);
    }
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body) || body.length === 0) throw new ClinferError('INVALID_REQUEST', 'the request body is empty');
    const { type, parts } = parseMultipartRelated(contentType, body, ctx.config.maxParts);
    if (type !== undefined && type !== 'application/dicom') {
      throw new ClinferError('UNSUPPORTED_MEDIA_TYPE', `STOW-RS here takes type="application/dicom" (Part 10 instances), got type="${type.slice(0, 60)}"`);
    }
    parts.forEach((part, i) => {
      const partType = part.contentType ? mediaTypeParameters(part.contentType).mediaType : 'application/dicom';
      if (partType !== 'application/dicom') throw new ClinferError('UNSUPPORTED_MEDIA_TYPE', `part ${i + 1} is ${partType.slice(0, 60)}; only application/dicom parts are stored here`);
    });
    const scheduling = readSchedulingParameters({}, { priority: req.get(PRIORITY_HEADER), timeout: undefined });
    void scheduling; // validated (400 on a bad priority); processing runs later, once the study has settled
    const study = req.params.study as string | undefined;
    // Instances of another study than the URL's are refused before anything is kept or run.
    const checked = await ctx.dicomNode.receive(parts.map((p) => p.body), callerOf(res), 'stowrs', study ? { study } : {});
    const failed = checked.filter((o) => o.status === 'failed');
    const { status, body: answer } = storeAnswer(checked, study);
    // On record as the client sees it (409: every instance failed), before it is answered.
    await ctx.audit?.append(storeAuditRecord('stowrs', callerOf(res), status, checked.length, failed.map((o) => o.code ?? 'INTERNAL'), study));
    res.status(status).type(DICOM_JSON).send(JSON.stringify(answer));
  };
  routes.post('/dicomweb/studies', { access: needs('infer'), summary: 'STOW-RS: store instances, routed to imaging models' }, raw, store);
  routes.post('/dicomweb/studies/:study', { access: needs('infer'), summary: 'STOW-RS into one study' }, raw, store);
}
