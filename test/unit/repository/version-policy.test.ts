import { describe, expect, it } from 'vitest';
import { selectVersions } from '../../../runtime/repository/version-policy.js';

describe('selectVersions', () => {
  const available = ['1', '10', '2', '3'];
  it('orders numerically and applies latest, all and specific', () => {
    expect(selectVersions(available, { latest: 1 })).toEqual(['10']);
    expect(selectVersions(available, { latest: 2 })).toEqual(['10', '3']);
    expect(selectVersions(available, { all: true })).toEqual(['10', '3', '2', '1']);
    expect(selectVersions(available, { specific: ['2', '7'] })).toEqual(['2']);
  });
});
