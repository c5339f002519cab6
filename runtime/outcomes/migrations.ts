/**
 * The outcome store's one schema, as numbered migrations applied in order and recorded in
 * `schema_migrations`: a database written by an older clinfer is brought up to date at start, never
 * rebuilt. A migration is never edited once released; a change is a new one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'predictions with their outcome',
    sql: `
      -- One row per prediction (a request of n records gives n rows). id_digest: HMAC-SHA256 under the audit
      -- secret (else SHA-256) of the request id or RiskAssessment id, never the id; score: the probability of
      -- the positive class; times in ms since the epoch. label: the observed outcome (0/1) once reported.
      CREATE TABLE predictions (
        model TEXT NOT NULL,
        id_digest TEXT NOT NULL,
        row_index INTEGER NOT NULL,
        version TEXT NOT NULL,
        score REAL NOT NULL,
        predicted_at INTEGER NOT NULL,
        label INTEGER CHECK (label IN (0, 1)),
        labelled_at INTEGER,
        PRIMARY KEY (model, id_digest, row_index)
      ) WITHOUT ROWID;
      CREATE INDEX predictions_by_time ON predictions (predicted_at);
      CREATE INDEX predictions_labelled ON predictions (model, version) WHERE label IS NOT NULL;
    `,
  },
];
