/**
 * Replaces the generated block of benchmarks/README.md with a report: only on `--write-readme`, so an
 * ordinary run leaves the tracked README alone (its report goes to results/report.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, ROOT } from './paths.js';

const START = '<!-- bench:generated:start -->';
const END = '<!-- bench:generated:end -->';

export function writeReadmeBlock(markdown: string, file = join(ROOT, 'benchmarks/README.md')): boolean {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    log(`${file} has no ${START} … ${END} block: not updated`);
    return false;
  }
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${markdown}\n${text.slice(b)}`);
  log(`updated the generated block of ${file}`);
  return true;
}
