import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditFolder, openLog } from './audit-fixture.js';

const rows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
const denied = (source: string) => ({ source, method: 'POST', route: '/v2/repository/models/:model/unload', status: 401, code: 'UNAUTHENTICATED' });

describe('recordAccessDenied', () => {
  it('a flood of 8,000 401s from one source costs 60 entries and one summary a minute; other sources keep their own budget', async () => {
    const f = auditFolder();
    let now = Date.parse('2026-12-04T10:00:00Z');
    const log = openLog(f.path, undefined, { accessDeniedPerMinute: 60, now: () => now });
    for (let i = 0; i < 8000; i++) log.recordAccessDenied(denied('10.0.0.66'));
    log.recordAccessDenied({ ...denied('10.0.0.7'), caller: 'ehr-a', status: 403, code: 'FORBIDDEN' });
    await log.settled();
    const size = statSync(f.path).size;
    expect(rows(f.path)).toHaveLength(61);
    expect(rows(f.path)[0]).toMatchObject({ action: 'access_denied', caller: 'unauthenticated', source: '10.0.0.66', method: 'POST', route: '/v2/repository/models/:model/unload', status: 401, outcome: 'UNAUTHENTICATED', transport: 'http' });
    expect(rows(f.path)[60]).toMatchObject({ action: 'access_denied', caller: 'ehr-a', source: '10.0.0.7', status: 403, outcome: 'FORBIDDEN' });
    expect(size).toBeLessThan(61 * 400);

    // The next minute: first the summary of what was suppressed, then the new denial.
    now += 61_000;
    log.recordAccessDenied(denied('10.0.0.66'));
    await log.settled();
    const [summary, next] = rows(f.path).slice(61);
    expect(summary).toMatchObject({ action: 'access_denied_suppressed', source: '10.0.0.66', suppressed: 7940, since: '2026-12-04T10:00:00.000Z', until: '2026-12-04T10:01:01.000Z' });
    expect(next).toMatchObject({ action: 'access_denied', source: '10.0.0.66' });

    // What is suppressed when the server stops is summed up before the shutdown.
    for (let i = 0; i < 100; i++) log.recordAccessDenied(denied('10.0.0.66'));
    await log.close();
    expect(rows(f.path).at(-1)).toMatchObject({ action: 'access_denied_suppressed', source: '10.0.0.66', suppressed: 41 });
  });

  it('caps client-chosen text and never throws, even when the log cannot be written', async () => {
    const f = auditFolder();
    const log = openLog(f.path, undefined);
    log.recordAccessDenied({ source: '10.0.0.1', method: 'GET', route: `/v2/models/${'x'.repeat(5000)}`, status: 404, code: 'UNAUTHENTICATED' });
    await log.settled();
    expect(rows(f.path)[0]!.route.length).toBeLessThanOrEqual(129);
    const full = openLog('/dev/full', undefined, { failurePolicy: 'refuse' });
    expect(() => full.recordAccessDenied(denied('10.0.0.1'))).not.toThrow();
    await full.settled(); // and no unhandled rejection follows
    await Promise.all([log.close(), full.close()]);
  });
});
