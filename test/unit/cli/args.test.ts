import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { joinNegativeValues } from '../../../runtime/cli/args.js';

describe('command-line values', () => {
  it('takes `--grpc-port -1` as printed in --help, like `--grpc-port=-1`', () => {
    const options = { 'grpc-port': { type: 'string' as const }, port: { type: 'string' as const }, insecure: { type: 'boolean' as const } };
    expect(() => parseArgs({ args: ['--grpc-port', '-1'], options, strict: true })).toThrow();
    expect(parseArgs({ args: joinNegativeValues(['--grpc-port', '-1', '--port', '0', '--insecure']), options, strict: true }).values)
      .toEqual({ 'grpc-port': '-1', port: '0', insecure: true });
    // Only a number is joined: an option after a flag is still an option.
    expect(joinNegativeValues(['--grpc-port', '--insecure'])).toEqual(['--grpc-port', '--insecure']);
  });
});
