import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkpointPayload, readAuditPublicKey, verifyCheckpoint } from '../../../runtime/audit/checkpoint.js';
import { auditFolder, openLog, predictEntry } from './audit-fixture.js';

/** RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID param="v" ...] MSG */
const RFC5424 = /^<(\d+)>1 (\S+) (\S+) clinfer (\d+) audit-checkpoint \[clinferCheckpoint@32473 seq="(\d+)" head="([0-9a-f]{64})" reason="(\w+)" keyId="([0-9a-f]{16})" sig="([A-Za-z0-9+/=]+)"\] audit checkpoint \d+$/;

function checkSigned(message: string, pubFile: string, logFile: string) {
  const m = RFC5424.exec(message);
  expect(m, message).not.toBeNull();
  const [, pri, time, , , seq, head, reason, keyId, sig] = m!;
  expect(Number(pri)).toBe(13 * 8 + 5);
  const line = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.seq === Number(seq));
  expect(line).toMatchObject({ action: 'checkpoint', reason, prev: head, key_id: keyId, signature: sig, time });
  // The copy outside the host carries all that is needed to check the chain head against the key.
  expect(verifyCheckpoint({ seq: Number(seq), time: time!, reason: reason as 'interval', prev: head!, key_id: keyId! }, sig!, readAuditPublicKey(readFileSync(pubFile, 'utf8')))).toBe(true);
  expect(checkpointPayload({ seq: 1, time: 't', reason: 'interval', prev: 'p', key_id: 'k' }).toString()).toBe('clinfer-audit-checkpoint/1\n1\np\ninterval\nt\nk');
}

describe('checkpoints copied to syslog', () => {
  it('over UDP: each checkpoint arrives as an RFC 5424 message whose signature verifies', async () => {
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const received: string[] = [];
    udp.on('message', (m) => received.push(m.toString('utf8')));
    const f = auditFolder();
    const log = openLog(f.path, f.keyFile, { checkpointEvery: 2, syslog: { host: '127.0.0.1', port: (udp.address() as AddressInfo).port, protocol: 'udp' } });
    for (let i = 1; i <= 2; i++) await log.append(predictEntry(i));
    await log.close();
    for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    udp.close();
    expect(received.map((m) => RFC5424.exec(m)?.[7])).toEqual(['interval', 'shutdown']);
    for (const m of received) checkSigned(m, f.pubFile, f.path);
  });

  it('over TCP, octet-counted (RFC 6587)', async () => {
    const chunks: Buffer[] = [];
    const server = createServer((socket) => socket.on('data', (d) => chunks.push(d)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const f = auditFolder();
    const log = openLog(f.path, f.keyFile, { checkpointEvery: 1, syslog: { host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'tcp' } });
    await log.append(predictEntry(1));
    await log.close();
    for (let i = 0; i < 100 && !Buffer.concat(chunks).toString().includes('reason="shutdown"'); i++) await new Promise((r) => setTimeout(r, 20));
    server.close();
    const messages: string[] = [];
    let rest = Buffer.concat(chunks).toString('utf8');
    while (rest.length) {
      const space = rest.indexOf(' ');
      const length = Number(rest.slice(0, space));
      messages.push(rest.slice(space + 1, space + 1 + length));
      rest = rest.slice(space + 1 + length);
    }
    expect(messages).toHaveLength(2);
    for (const m of messages) checkSigned(m, f.pubFile, f.path);
  });
});
