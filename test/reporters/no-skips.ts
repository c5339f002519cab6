import type { Reporter, TestModule } from 'vitest/node';

/**
 * Under CI, a skipped test fails the run: every test runs against real peers (scripts/test-peers.sh
 * installs them), so a skip means something is missing. Prints which tests were skipped and why.
 * Outside CI it only prints them (a developer may filter tests with -t).
 */
export default class NoSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'skipped') skipped.push(`${module.moduleId.replace(process.cwd() + '/', '')} > ${test.fullName}${result.note ? ` (${result.note})` : ''}`);
      }
    }
    if (skipped.length === 0) return;
    const strict = process.env.CI === 'true' || process.env.CI === '1';
    process.stderr.write(`\n${skipped.length} test(s) skipped${strict ? ' (CI: a skipped test fails the run)' : ''}:\n${skipped.slice(0, 50).map((s) => `  - ${s}`).join('\n')}\n`);
    if (strict) process.exitCode = 1;
  }
}
