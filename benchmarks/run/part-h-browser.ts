/**
 * Part H, the web app's cold load in headless Chromium: benchmarks/browser.ts's measureBrowser (a
 * byte-counting proxy in front of clinfer). Where Chromium is missing, the part says so and the run
 * goes on: the only optional part.
 */
import { browserReport } from '../browser-report.js';
import type { BenchContext } from './context.js';

export async function runPartH(ctx: BenchContext): Promise<void> {
  // Imported here: browser.ts loads the server, sharp and playwright, which no other part needs.
  const { chromiumAvailable, measureBrowser } = await import('../browser.js');
  if (!chromiumAvailable()) {
    ctx.results.skipped.push({ part: 'H', why: 'Chromium is not installed (set CLINFER_CHROMIUM or apt-get install chromium)' });
    ctx.log('H. not measured: no Chromium');
    return;
  }
  ctx.log(`H. web app in Chromium, ${ctx.opts.browserRuns} cold run(s)`);
  try {
    const figures = await measureBrowser(ctx.opts.browserRuns, 50);
    const last = figures.coldBytes[figures.coldBytes.length - 1];
    if (!last) throw new Error('no cold load measured');
    ctx.results.browser = { coldBytes: last.toFirstResult.bytes, byEncoding: last.toFirstResult.byEncoding, figures };
    ctx.log(browserReport(figures).split('\n').slice(0, 3).map((l) => `  ${l}`).join('\n'));
  } catch (error) {
    ctx.results.skipped.push({ part: 'H', why: error instanceof Error ? error.message : String(error) });
    ctx.log(`  H failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
