import type { AuditLog } from './audit/audit-log.js';
import type { Authenticator } from './auth/authenticator.js';
import type { RateLimiter } from './auth/rate-limiter.js';
import type { Config } from './config/config-schema.js';
import type { Logger } from './log/logger.js';
import type { Metrics } from './metrics/metrics.js';
import type { DicomNode } from './dicom-node/dicom-node.js';
import type { FhirWriteBack } from './write-back/fhir-write-back.js';
import type { ImagingService } from './predict/image-predictor.js';
import type { InferRequestParser } from './protocol/infer-request-pool.js';
import type { ModelRepository } from './repository/model-repository.js';
import type { LiveMonitor } from './outcomes/live-monitor.js';

/** What the HTTP routes depend on; built once in server.ts. */
export interface AppContext {
  readonly config: Config;
  readonly repository: ModelRepository;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly version: string;
  /** True once shutdown began: readiness turns false and new work is refused. */
  readonly isShuttingDown: () => boolean;
  readonly auth: Authenticator;
  readonly rateLimiter: RateLimiter | undefined;
  readonly audit: AuditLog | undefined;
  /** Image decoding threads and limits. */
  readonly imaging: ImagingService;
  /** OIP infer request parsing: large JSON bodies on threads, off the event loop. */
  readonly inferRequests: InferRequestParser;
  /** STOW-RS and C-STORE reception, routing, and result delivery. */
  readonly dicomNode: DicomNode;
  /** RiskAssessments to the EHR's FHIR server (fhirWriteBack); undefined when not configured. */
  readonly fhirWriteBack?: FhirWriteBack | undefined;
  /** Predictions and their reported outcomes, live performance gauges; undefined without outcomeDatabase. */
  readonly outcomes?: LiveMonitor | undefined;
}
