import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, type Server, type Socket } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyReservations, boundedRawBody } from '../../../runtime/http/bounded-raw-body.js';

/**
 * Shared body buffers are set aside at the declared Content-Length before the bytes arrive: a ceiling on
 * those reservations keeps slow or silent clients from making the server reserve memory they never send.
 * Real express on a loopback port, raw sockets for the slow client.
 */
const reservations = new BodyReservations(100);
let server: Server;
let port: number;

beforeAll(async () => {
  const app = express();
  app.post('/body', boundedRawBody(1000, reservations), (req, res) => {
    const body = req.body as Buffer;
    res.json({ shared: body.buffer instanceof SharedArrayBuffer, length: body.length, bytes: [...body] });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const bytes = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) % 256));
const post = async (body: Buffer) => (await fetch(`http://127.0.0.1:${port}/body`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })).json() as Promise<{ shared: boolean; length: number; bytes: number[] }>;

/** A client that declares `declared` bytes and sends only the first `sent`. */
async function slowClient(declared: number, sent: Buffer): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`POST /body HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
  socket.write(sent);
  return socket;
}

describe('body reservations', () => {
  it('reads a body within the ceiling into shared memory, bytes intact, and gives the reservation back', async () => {
    const answer = await post(bytes(80));
    expect(answer).toEqual({ shared: true, length: 80, bytes: [...bytes(80)] });
    expect(reservations.reserved).toBe(0);
  });

  it('collects a body chunk by chunk while slow clients hold the ceiling, and reserves again once they are done', async () => {
    const slow = await slowClient(80, bytes(10));
    await expect.poll(() => reservations.reserved).toBe(80);
    // 80 more would pass the ceiling of 100: this body is read as it arrives, not set aside.
    expect(await post(bytes(80, 7))).toEqual({ shared: false, length: 80, bytes: [...bytes(80, 7)] });
    expect(reservations.reserved).toBe(80);
    // The slow client finishes: its body is whole and in shared memory, and its reservation is given back.
    const reply = once(slow, 'data');
    slow.write(bytes(70, 10));
    const [chunk] = (await reply) as [Buffer];
    const text = chunk.toString('latin1');
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ shared: true, length: 80, bytes: [...bytes(80)] });
    slow.destroy();
    expect(reservations.reserved).toBe(0);
    expect((await post(bytes(80))).shared).toBe(true);
  });

  it('gives the reservation back when a slow client goes away mid-body', async () => {
    const slow = await slowClient(90, bytes(5));
    await expect.poll(() => reservations.reserved).toBe(90);
    slow.destroy();
    await expect.poll(() => reservations.reserved).toBe(0);
  });
});
