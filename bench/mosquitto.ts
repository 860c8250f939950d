import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Mosquitto (MOSQUITTO or /usr/sbin/mosquitto) on 127.0.0.1 for the benchmarks: no persistence, unlimited in-flight messages. */
export async function startMosquitto(dir: string): Promise<{ url: string; close(): void }> {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_inflight_messages 0', 'max_queued_messages 100000', ''].join('\n'));
  const child = spawn(process.env.MOSQUITTO ?? '/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('mosquitto did not start');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `mqtt://127.0.0.1:${port}`, close: () => void child.kill('SIGKILL') };
}
