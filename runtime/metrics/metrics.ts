import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LAG_BUCKETS, sampleEventLoopLag } from './event-loop-lag.js';
import { InferenceStatistics } from './inference-statistics.js';

/** 100 µs to 10 s, roughly 1-2.5-5 per decade: fine enough for a 200 µs tabular model and a 3 s CT. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every metric clinfer exports (README "Metrics" documents them). One registry per server, so that
 * several servers in one process (tests) never mix their counts. What the metrics report is owned
 * elsewhere: the model states by the lifecycle (repository/model-state.ts, reported into `modelState`),
 * the drift gauge by monitoring/drift-gauge.ts (registered by server.ts once the repository exists).
 */
export class Metrics {
  readonly registry = new Registry();
  /** Triton's statistics extension, fed where the request, queue, compute and batch metrics are. */
  readonly stats = new InferenceStatistics();

  readonly requests = new Counter({
    name: 'clinfer_inference_requests_total',
    help: 'Inference requests answered, by outcome (success or the error code)',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'clinfer_inference_request_duration_seconds',
    help: 'End-to-end time of an inference request, from body received to response written',
    labelNames: ['model', 'version'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly queueDuration = new Histogram({
    name: 'clinfer_inference_queue_duration_seconds',
    help: 'Time a request waited in the scheduler queue before its batch started',
    labelNames: ['model', 'version'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly computeDuration = new Histogram({
    name: 'clinfer_inference_compute_duration_seconds',
    help: 'ONNX Runtime execution time of the batch that carried the request',
    labelNames: ['model', 'version'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'clinfer_inference_batch_size',
    help: 'Rows per executed batch (after dynamic batching)',
    labelNames: ['model', 'version'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly pending = new Gauge({
    name: 'clinfer_inference_pending_requests',
    help: 'Requests accepted and not yet answered (queued plus executing)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: 'clinfer_inference_rejections_total',
    help: 'Requests accepted by the protocol layer but never executed, by reason (queue_full, deadline_exceeded, cancelled, sequence_limit)',
    labelNames: ['model', 'version', 'reason'] as const,
    registers: [this.registry],
  });
  readonly lentBatches = new Counter({
    name: 'clinfer_lent_batches_total',
    help: 'Batches run on a worker thread lent to the model beyond its maxInstancesPerModel share, while that thread was idle and no other model had requests waiting (docs/isolation.md#lending)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly liveSequences = new Gauge({
    name: 'clinfer_sequences_live',
    help: 'Stateful models: sequences holding state (started, not yet ended or freed)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly sequencesFreed = new Counter({
    name: 'clinfer_sequences_freed_total',
    help: 'Stateful models: sequences freed, by reason (end: sequence_end answered; idle_timeout)',
    labelNames: ['model', 'version', 'reason'] as const,
    registers: [this.registry],
  });
  readonly shadowComparisons = new Counter({
    name: 'clinfer_shadow_comparisons_total',
    help: 'Shadow mode: rows compared between the serving version and the candidate (result: agree, disagree, compared, failed)',
    labelNames: ['model', 'version', 'candidate_version', 'result'] as const,
    registers: [this.registry],
  });
  readonly shadowDifference = new Histogram({
    name: 'clinfer_shadow_mean_abs_difference',
    help: 'Shadow mode, non-classifiers: mean absolute difference between the serving and the candidate outputs per request',
    labelNames: ['model', 'version', 'candidate_version'] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.5, 1, 10],
    registers: [this.registry],
  });
  readonly cdsFeedback = new Counter({
    name: 'clinfer_cds_feedback_total',
    help: 'CDS Hooks card feedback received, by service and outcome (accepted, overridden)',
    labelNames: ['service', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly modelState = new Gauge({
    name: 'clinfer_model_state',
    help: 'Lifecycle state of each model version: 1 for its current state, 0 for the others',
    labelNames: ['model', 'version', 'state'] as const,
    registers: [this.registry],
  });
  readonly loadDuration = new Histogram({
    name: 'clinfer_model_load_duration_seconds',
    help: 'Time to load a model version: read, verify, create sessions on every worker and warm up',
    labelNames: ['model', 'version'] as const,
    buckets: LOAD_BUCKETS,
    registers: [this.registry],
  });
  readonly executionProvider = new Gauge({
    name: 'clinfer_model_execution_provider',
    help: 'Execution provider a READY model version runs on (value 1)',
    labelNames: ['model', 'version', 'provider'] as const,
    registers: [this.registry],
  });
  readonly warmupFailures = new Counter({
    name: 'clinfer_model_warmup_failures_total',
    help: 'Synthetic warm-ups (zeros, guessed sizes) that failed; the version serves anyway (a failed declared sample makes it UNAVAILABLE instead)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly modelMemory = new Gauge({
    name: 'clinfer_model_memory_bytes',
    help: 'Memory a READY model version holds, estimated at load: max(model file x sessions, RSS growth during load and warm-up)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly workerExits = new Counter({
    name: 'clinfer_worker_exits_total',
    help: 'Inference worker threads that died (crash, heap limit); each is replaced, the requests it held retried once',
    registers: [this.registry],
  });
  readonly workersAbandoned = new Counter({
    name: 'clinfer_worker_threads_abandoned_total',
    help: 'Inference worker threads given up by the watchdog (a run past its execution or load timeout); each is replaced',
    registers: [this.registry],
  });
  readonly stuckWorkers = new Gauge({
    name: 'clinfer_stuck_worker_threads',
    help: 'Abandoned worker threads still inside ONNX Runtime: each holds a core until its run returns or the process restarts',
    registers: [this.registry],
  });
  readonly dicomInstances = new Counter({
    name: 'clinfer_dicom_instances_received_total',
    help: 'DICOM instances received (STOW-RS or C-STORE) by what became of them on arrival: accepted (into the inbox), unrouted, failed (refused)',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly dicomResults = new Counter({
    name: 'clinfer_dicom_results_total',
    help: 'DICOM result objects by destination and event: enqueued (durably on disk), delivered, failed (given up, moved to failed/)',
    labelNames: ['destination', 'event'] as const,
    registers: [this.registry],
  });
  readonly dicomDeliveryRetries = new Counter({
    name: 'clinfer_dicom_delivery_retries_total',
    help: 'Failed delivery attempts of DICOM results, each followed by a back-off wait',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });
  readonly dicomInboxPending = new Gauge({
    name: 'clinfer_dicom_inbox_pending',
    help: 'Received DICOM instances in the inbox waiting for their study to settle or for a retry',
    registers: [this.registry],
  });
  readonly dicomProcessingRetries = new Counter({
    name: 'clinfer_dicom_processing_retries_total',
    help: 'Studies whose processing failed for a transient reason (model not ready, queue full, worker exited) and waits for a back-off retry',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly dicomDeadLettered = new Counter({
    name: 'clinfer_dicom_dead_lettered_total',
    help: 'Received DICOM instances set aside in the inbox dead-letter folder, by error code (clinfer inbox list shows them)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly dicomResultsPending = new Gauge({
    name: 'clinfer_dicom_results_pending',
    help: 'DICOM result objects in the outbox not yet delivered',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });
  readonly fhirWriteBack = new Counter({
    name: 'clinfer_fhir_write_back_total',
    help: 'RiskAssessments written back to the EHR FHIR server, by destination and event: enqueued (durably on disk), delivered, failed (given up, moved to failed/)',
    labelNames: ['destination', 'event'] as const,
    registers: [this.registry],
  });
  readonly fhirWriteBackRetries = new Counter({
    name: 'clinfer_fhir_write_back_retries_total',
    help: 'Failed write-back attempts, each followed by a back-off wait, by code (e.g. SMART_TOKEN_REFUSED, FHIR_NETWORK, FHIR_UNAUTHORIZED)',
    labelNames: ['destination', 'code'] as const,
    registers: [this.registry],
  });
  readonly fhirWriteBackPending = new Gauge({
    name: 'clinfer_fhir_write_back_pending',
    help: 'RiskAssessments in the write-back outbox not yet delivered',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly eventLoopLag = new Histogram({
    name: 'clinfer_event_loop_lag_seconds',
    help: 'How late a 20 ms timer on the main thread ran: time the event loop was blocked (no request is served meanwhile)',
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  readonly #stopLagSampling = sampleEventLoopLag(this.eventLoopLag);

  // Live performance from reported outcomes (POST /v1/models/{m}/outcomes), over the retention window.
  readonly liveRocAuc = new Gauge({
    name: 'clinfer_live_roc_auc',
    help: 'ROC AUC of the predictions whose outcome has been reported, within outcomeRetentionDays (set once both outcomes are seen)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly liveCalibration = new Gauge({
    name: 'clinfer_live_calibration_observed_expected',
    help: 'Observed positives / expected (sum of predicted probabilities) of the predictions with a reported outcome; 1 is calibrated in the large',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly livePositiveRate = new Gauge({
    name: 'clinfer_live_positive_rate',
    help: 'Share of the predictions with a reported outcome whose outcome was positive',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly liveOutcomes = new Gauge({
    name: 'clinfer_live_outcomes',
    help: 'Predictions with a reported outcome that the live figures rest on',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly validatedRocAuc = new Gauge({
    name: 'clinfer_validated_roc_auc_floor',
    help: "The lowest ROC AUC that still performs as declared: the bundle's provenance.evaluation.metrics.roc_auc minus its tolerance",
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Stops the event-loop lag sampler (the server calls it on close). */
  close(): void {
    this.#stopLagSampling();
  }
}
