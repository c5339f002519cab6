import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect, type Socket } from 'node:net';

export interface SyslogTarget {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'udp' | 'tcp';
}

/** RFC 5424 facility 13 (log audit), severity 5 (notice). */
const PRI = 13 * 8 + 5;
/** Structured-data id under the documentation enterprise number of RFC 5612. */
const SD_ID = 'clinferCheckpoint@32473';

/** RFC 5424 line for one checkpoint: the signed facts as structured data, no message text beyond a label. */
export function checkpointMessage(c: { seq: number; time: string; reason: string; prev: string; key_id: string; signature: string }, pid = process.pid, host = hostname()): string {
  const param = (v: string | number) => String(v).replace(/(["\\\]])/g, '\\$1');
  const sd = `[${SD_ID} seq="${param(c.seq)}" head="${param(c.prev)}" reason="${param(c.reason)}" keyId="${param(c.key_id)}" sig="${param(c.signature)}"]`;
  return `<${PRI}>1 ${c.time} ${host.slice(0, 255) || '-'} clinfer ${pid} audit-checkpoint ${sd} audit checkpoint ${c.seq}`;
}

/**
 * Sends checkpoints to a syslog collector so a copy of the chain heads lives outside the host. Best
 * effort by design: UDP datagrams, or TCP with octet-counting framing (RFC 6587) over one connection
 * that is opened again after an error. A failure is reported to `onError`, never to the request.
 */
export class SyslogSender {
  readonly #target: SyslogTarget;
  readonly #onError: (error: Error) => void;
  #udp: UdpSocket | undefined;
  #tcp: Socket | undefined;
  /** UDP sends not yet handed to the kernel: close waits for them. */
  readonly #pending = new Set<Promise<void>>();

  constructor(target: SyslogTarget, onError: (error: Error) => void) {
    this.#target = target;
    this.#onError = onError;
  }

  send(line: string): void {
    const bytes = Buffer.from(line, 'utf8');
    if (this.#target.protocol === 'udp') {
      this.#udp ??= createSocket(this.#target.host.includes(':') ? 'udp6' : 'udp4').on('error', (e) => this.#onError(e));
      this.#udp.unref();
      const sent = new Promise<void>((resolve) => {
        this.#udp!.send(bytes, this.#target.port, this.#target.host, (error) => {
          if (error) this.#onError(error);
          resolve();
        });
      });
      this.#pending.add(sent);
      void sent.then(() => this.#pending.delete(sent));
      return;
    }
    if (!this.#tcp || this.#tcp.destroyed) {
      const socket = connect({ host: this.#target.host, port: this.#target.port });
      socket.on('error', (e) => { this.#onError(e); socket.destroy(); });
      socket.unref();
      this.#tcp = socket;
    }
    this.#tcp.write(Buffer.concat([Buffer.from(`${bytes.length} `), bytes]));
  }

  /** Sends what is queued and closes the sockets. */
  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    await Promise.all(this.#pending);
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp && !tcp.destroyed) await new Promise<void>((r) => { tcp.end(() => r()); setTimeout(r, 1000).unref(); });
  }
}
