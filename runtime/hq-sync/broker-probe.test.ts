import * as net from 'node:net';
import { SimulatedClock } from '../../kernel/clock';
import { probeBroker } from './broker-probe';

describe('broker probe', () => {
  it('gives up after the timeout when the server accepts the connection but never answers', async () => {
    const sockets: net.Socket[] = [];
    let connected!: () => void;
    const gotConnection = new Promise<void>((resolve) => (connected = resolve));
    const server = net.createServer((s) => {
      sockets.push(s);
      connected();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const clock = new SimulatedClock();
    try {
      const result = probeBroker(`mqtt://127.0.0.1:${port}`, {}, clock, 5000);
      await gotConnection;
      clock.advance(4999);
      let settled = false;
      void result.then(() => (settled = true));
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      clock.advance(1);
      expect(await result).toEqual({ ok: false, error: `no answer from mqtt://127.0.0.1:${port} within 5 s` });
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a refused connection', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await probeBroker(`mqtt://127.0.0.1:${port}`, {}, new SimulatedClock(), 5000)).toEqual({ ok: false, error: expect.stringContaining('ECONNREFUSED') });
  });
});
