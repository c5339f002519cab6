import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import { Inbox } from '../dicom-node/inbox.js';

export const INBOX_USAGE = `usage: clinfer inbox list [--json]
         instances waiting in the DICOM inbox, and those set aside in dead-letter/ with the reason
         (error code, message, models, hashed study; no patient data)
       clinfer inbox retry ID... | --all
         moves dead-letter entries back to the inbox; a running server processes them within seconds
       clinfer inbox purge --yes [--older-than DURATION]
         deletes dead-letter entries (all, or those set aside more than DURATION ago: 90m, 12h, 7d)
  --inbox DIR     the inbox folder (default: inboxDir of --config FILE, else ./inbox)
  --config FILE   the server's configuration file
  Exit 0 done, 1 an ID not found, 2 usage or I/O.`;

type Out = { log: (line: string) => void; err: (line: string) => void };
const stdio: Out = { log: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

/** `clinfer inbox ...`: lists, retries and purges the DICOM inbox's dead-letter entries. Returns the exit code. */
export async function inboxCommand(args: string[], out: Out = stdio): Promise<number> {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: { inbox: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' }, yes: { type: 'boolean' }, 'older-than': { type: 'string' } },
    });
  } catch (error) {
    out.err(`clinfer inbox: ${(error as Error).message}\n${INBOX_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (sub !== 'list' && sub !== 'retry' && sub !== 'purge') return usage(out);
  try {
    const dir = resolve(values.inbox ?? loadConfig(values.config ? { file: values.config } : {}).inboxDir);
    if (!existsSync(dir)) {
      out.err(`clinfer inbox: ${dir}: no such folder (inboxDir; the server creates it when DICOM routing is configured)`);
      return 2;
    }
    const inbox = new Inbox(dir);
    switch (sub) {
      case 'list': return positionals.length === 0 ? await list(inbox, values.json ?? false, out) : usage(out);
      case 'retry': {
        if ((positionals.length > 0) === (values.all ?? false)) return usage(out, 'retry takes the IDs to retry, or --all');
        const { moved, unknown } = await inbox.retry(values.all ? undefined : positionals);
        out.log(`moved ${moved.length} dead-letter entr${moved.length === 1 ? 'y' : 'ies'} back to the inbox`);
        for (const id of unknown) out.err(`clinfer inbox: no dead-letter entry '${id.slice(0, 80)}'`);
        return unknown.length > 0 ? 1 : 0;
      }
      case 'purge': {
        if (!values.yes) return usage(out, 'purge deletes instances for good: add --yes');
        let before: Date | undefined;
        if (values['older-than'] !== undefined) {
          const ms = parseDuration(values['older-than']);
          if (ms === undefined) return usage(out, `--older-than: expected a duration such as 90m, 12h or 7d, got '${values['older-than'].slice(0, 40)}'`);
          before = new Date(Date.now() - ms);
        }
        const purged = await inbox.purge(before);
        out.log(`deleted ${purged.length} dead-letter entr${purged.length === 1 ? 'y' : 'ies'}`);
        return 0;
      }
      default: return usage(out);
    }
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    out.err(`clinfer inbox: ${e.code && e.path ? `${e.path} ${e.code}` : e.message}`);
    return 2;
  }
}

async function list(inbox: Inbox, json: boolean, out: Out): Promise<number> {
  const pending = await inbox.pending();
  const dead = await inbox.deadLetters();
  if (json) {
    out.log(JSON.stringify({ inbox: inbox.dir, pending: pending.map((p) => p.id), deadLetter: dead }, null, 2));
    return 0;
  }
  out.log(`${inbox.dir}: ${pending.length} waiting, ${dead.length} in dead-letter`);
  for (const p of pending) out.log(`waiting      ${p.id}`);
  for (const d of dead) {
    out.log(`dead-letter  ${d.id}  ${d.time}  ${d.code}  study ${d.study ?? '-'}${d.models.length ? `  models ${d.models.join(',')}` : ''}  ${d.message}`);
  }
  return 0;
}

function usage(out: Out, why?: string): number {
  out.err(why ? `clinfer inbox: ${why}\n${INBOX_USAGE}` : INBOX_USAGE);
  return 2;
}

function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
