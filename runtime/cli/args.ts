/**
 * `--grpc-port -1` as the usage prints it: util.parseArgs reads a value that starts with '-' as an
 * option, so a negative number after a flag is joined to it (`--grpc-port=-1`) first.
 */
export function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (/^--[a-z-]+$/.test(arg) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
