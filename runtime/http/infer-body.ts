import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../app-context.js';
import { ClinferError } from '../errors/index.js';
import type { ModelVersion } from '../repository/model-version.js';
import { BodyReservations, boundedRawBody, DEFAULT_BODY_RESERVATION_BYTES } from './bounded-raw-body.js';

/** The version each infer request was resolved to when its body was read (once per request). */
const TARGETS = new WeakMap<Request, ModelVersion>();

/**
 * The version an infer request targets: the one its body reader resolved, or (when that failed) resolved
 * now, which throws the coded error (MODEL_NOT_FOUND, ...) the route answers.
 */
export function targetVersion(ctx: AppContext, req: Request): ModelVersion {
  const { model, version } = req.params as { model: string; version?: string };
  return TARGETS.get(req) ?? ctx.repository.resolve(model, version);
}

/**
 * The infer body parser: its limit is the target model's `maxRequestBytes` (its need from static
 * shapes within maxBodyBytesCeiling), or maxBodyBytes when the model cannot be resolved (the route
 * then answers 404 or 503 itself). A Content-Length over the limit is refused before any byte is read
 * and the connection closed.
 */
export function inferBodyParser(ctx: AppContext): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  // One ceiling for every model's parser: what slow clients can make this server set aside, between them.
  const reservations = new BodyReservations(DEFAULT_BODY_RESERVATION_BYTES);
  const limitOf = (req: Request): number => {
    const { model, version } = req.params as { model: string; version?: string };
    try {
      const target = ctx.repository.resolve(model, version);
      TARGETS.set(req, target);
      return target.config?.maxRequestBytes ?? ctx.config.maxBodyBytes;
    } catch {
      return ctx.config.maxBodyBytes;
    }
  };
  return (req, res, next) => {
    const limit = limitOf(req);
    // Refused from the header alone: the body is never read (body-parser would read it all first).
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      res.setHeader('Connection', 'close');
      next(new ClinferError('BODY_TOO_LARGE', `the request body (Content-Length ${declared}) exceeds the limit of ${limit} bytes for this model (max_request_bytes in its metadata); large tensors belong in the binary tensor data extension, JSON takes 3 to 6 times their size`));
      return;
    }
    let parser = parsers.get(limit);
    if (!parser) {
      parser = boundedRawBody(limit, reservations);
      parsers.set(limit, parser);
    }
    parser(req, res, next);
  };
}
