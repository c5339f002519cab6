import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ClinferError } from '../errors/index.js';

/** A cell of the input: a number, a string (a category name), a {value, unit} quantity, or absent. */
export type Cell = number | string | boolean | { value: number; unit: string } | null;

export interface Dataset {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<Readonly<Record<string, Cell>>>;
  /** sha256 of the file's bytes: names the data set in the report without holding any of it. */
  readonly sha256: string;
}

const invalid = (message: string) => new ClinferError('INVALID_INPUT', message);
const ABSENT = new Set(['', '?', 'NA', 'NaN', 'nan', 'null']);

/** Reads a CSV (header row, comma-separated, RFC 4180 quotes) or a JSON array of records ({"records": [...]} too). */
export function readDataset(path: string): Dataset {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw invalid(`--data ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const json = /\.json$/i.test(path) || /^\s*[[{]/.test(text);
  const parsed = json ? fromJson(path, text) : fromCsv(path, text);
  if (parsed.rows.length === 0) throw invalid(`--data ${path}: holds no records`);
  return { ...parsed, sha256 };
}

function fromJson(path: string, text: string): Omit<Dataset, 'sha256'> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalid(`--data ${path}: is not valid JSON (${(error as Error).message})`);
  }
  const records = Array.isArray(body) ? body : (body as { records?: unknown })?.records;
  if (!Array.isArray(records)) throw invalid(`--data ${path}: expected a JSON array of records or {"records": [...]}`);
  const columns = new Set<string>();
  const rows = records.map((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw invalid(`--data ${path}: records[${i}] is not an object`);
    for (const [key, value] of Object.entries(r)) {
      columns.add(key);
      const ok = value === null || ['number', 'string', 'boolean'].includes(typeof value) || (typeof value === 'object' && typeof (value as { value?: unknown }).value === 'number' && typeof (value as { unit?: unknown }).unit === 'string');
      if (!ok) throw invalid(`--data ${path}: records[${i}].${key.slice(0, 40)}: expected a number, a string, a boolean, null or {"value": number, "unit": "UCUM unit"}`);
    }
    return r as Record<string, Cell>;
  });
  return { columns: [...columns], rows };
}

function fromCsv(path: string, text: string): Omit<Dataset, 'sha256'> {
  const lines = parseCsv(text).filter((l) => !(l.length === 1 && l[0] === ''));
  const [header, ...body] = lines;
  if (!header) throw invalid(`--data ${path}: is empty`);
  const columns = header.map((h) => h.trim());
  if (new Set(columns).size !== columns.length) throw invalid(`--data ${path}: a column name appears twice in the header`);
  const rows = body.map((cells, i) => {
    if (cells.length !== columns.length) throw invalid(`--data ${path}: line ${i + 2} has ${cells.length} fields, the header has ${columns.length}`);
    return Object.fromEntries(columns.map((c, j) => [c, csvCell(cells[j]!)]));
  });
  return { columns, rows };
}

function csvCell(raw: string): Cell {
  const s = raw.trim();
  if (ABSENT.has(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? n : s;
}

/** RFC 4180: fields separated by commas, optionally in double quotes ("" inside is a quote). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The outcome of a row as 0/1, or undefined when absent; anything else is an error naming the row. */
export function outcomeOf(value: Cell, column: string, row: number): 0 | 1 | undefined {
  if (value === null || value === undefined) return undefined;
  if (value === 1 || value === true || value === '1' || value === 'true' || value === 'yes') return 1;
  if (value === 0 || value === false || value === '0' || value === 'false' || value === 'no') return 0;
  throw invalid(`--label ${column}: row ${row + 1} has '${String(typeof value === 'object' ? JSON.stringify(value) : value).slice(0, 20)}'; the outcome must be 0 or 1 (or true/false, yes/no)`);
}
