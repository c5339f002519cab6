import Database from 'better-sqlite3';
import { ClinferError } from '../errors/index.js';
import { MIGRATIONS } from './migrations.js';

/** Which id a prediction is known by to the hospital: the HTTP request id, or the FHIR RiskAssessment id. */
export type PredictionIdKind = 'request' | 'risk_assessment';

export interface RecordedPrediction {
  readonly model: string;
  readonly version: string;
  /** Per row of the request, in order: the probability of the positive class. */
  readonly scores: readonly number[];
}

export interface OutcomeResult {
  readonly model: string;
  readonly version: string;
  readonly previousLabel: 0 | 1 | null;
}

const DAY_MS = 86_400_000;

/**
 * Predictions (digests and scores only) and the outcomes reported for them later, in embedded SQLite
 * (better-sqlite3: synchronous, one connection, WAL). Ids are stored as `pseudonym(kind:id)`, so the
 * database holds no request id, patient or input. Rows older than the retention are deleted by `purge`.
 */
export class OutcomeStore {
  readonly #db: Database.Database;
  readonly #pseudonym: (value: string) => string;
  readonly #retentionMs: number;
  readonly #insert: Database.Statement;
  readonly #find: Database.Statement;
  readonly #label: Database.Statement;
  readonly #labelled: Database.Statement;
  readonly #purge: Database.Statement;
  readonly #versions: Database.Statement;

  constructor(options: { file: string; retentionDays: number; pseudonym: (value: string) => string }) {
    try {
      this.#db = new Database(options.file);
      this.#db.pragma('journal_mode = WAL');
      // WAL + NORMAL: no fsync per prediction (the commit is durable at the next checkpoint); a power cut may
      // lose the last predictions' records, never corrupt the file: monitoring data, not the clinical record.
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('busy_timeout = 5000');
      migrate(this.#db);
    } catch (error) {
      throw new ClinferError('CONFIG_INVALID', `outcomeDatabase ${options.file}: cannot be opened as clinfer's SQLite database (${(error as Error).message})`);
    }
    this.#pseudonym = options.pseudonym;
    this.#retentionMs = options.retentionDays * DAY_MS;
    this.#insert = this.#db.prepare('INSERT OR REPLACE INTO predictions (model, id_digest, row_index, version, score, predicted_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#find = this.#db.prepare('SELECT row_index, version, label FROM predictions WHERE model = ? AND id_digest = ? AND predicted_at >= ? ORDER BY row_index');
    this.#label = this.#db.prepare('UPDATE predictions SET label = ?, labelled_at = ? WHERE model = ? AND id_digest = ? AND row_index = ?');
    this.#labelled = this.#db.prepare('SELECT score, label FROM predictions WHERE model = ? AND version = ? AND label IS NOT NULL AND predicted_at >= ?');
    this.#purge = this.#db.prepare('DELETE FROM predictions WHERE predicted_at < ?');
    this.#versions = this.#db.prepare('SELECT DISTINCT model, version FROM predictions WHERE label IS NOT NULL');
  }

  #digest(kind: PredictionIdKind, id: string): string {
    return this.#pseudonym(`${kind}:${id}`);
  }

  /** Records the rows of one answered request under its id (one transaction). */
  recordPredictions(kind: PredictionIdKind, id: string, p: RecordedPrediction, now = Date.now()): void {
    const digest = this.#digest(kind, id);
    this.#db.transaction(() => p.scores.forEach((score, i) => this.#insert.run(p.model, digest, i, p.version, score, now)))();
  }

  /**
   * Sets the observed outcome of a recorded prediction of `model`. A request of several rows needs `index`.
   * A second report for the same prediction replaces the first (a corrected diagnosis); the answer says so.
   */
  recordOutcome(model: string, kind: PredictionIdKind, id: string, index: number | undefined, label: 0 | 1, now = Date.now()): OutcomeResult {
    const digest = this.#digest(kind, id);
    const rows = this.#find.all(model, digest, now - this.#retentionMs) as Array<{ row_index: number; version: string; label: number | null }>;
    const what = kind === 'request' ? 'request_id' : 'risk_assessment_id';
    if (rows.length === 0) throw new ClinferError('PREDICTION_NOT_FOUND', `no prediction of model '${model}' is on record under that ${what}: it was not made by this server with outcomeDatabase set, it was for another model, or it is older than outcomeRetentionDays`);
    if (index === undefined && rows.length > 1) throw new ClinferError('INVALID_REQUEST', `that request predicted ${rows.length} records: 'index' must say which one (0 to ${rows.length - 1})`);
    const row = rows.find((r) => r.row_index === (index ?? 0));
    if (!row) throw new ClinferError('INVALID_REQUEST', `'index' ${index} is out of range: that request predicted ${rows.length} record${rows.length === 1 ? '' : 's'} (0 to ${rows.length - 1})`);
    this.#label.run(label, now, model, digest, row.row_index);
    return { model, version: row.version, previousLabel: row.label === null ? null : (row.label as 0 | 1) };
  }

  /** Scores and labels of one version's labelled predictions within the retention (for live figures). */
  labelled(model: string, version: string, now = Date.now()): { scores: number[]; labels: number[] } {
    const rows = this.#labelled.all(model, version, now - this.#retentionMs) as Array<{ score: number; label: number }>;
    return { scores: rows.map((r) => r.score), labels: rows.map((r) => r.label) };
  }

  /** Model versions that have labelled predictions. */
  labelledVersions(): Array<{ model: string; version: string }> {
    return this.#versions.all() as Array<{ model: string; version: string }>;
  }

  /** Deletes predictions (and their outcomes) older than the retention; returns how many. */
  purge(now = Date.now()): number {
    return this.#purge.run(now - this.#retentionMs).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const newest = Math.max(0, ...applied);
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  if (newest > known) throw new Error(`its schema is version ${newest}, newer than this clinfer knows (${known}): it was written by a newer clinfer`);
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
  }
}
