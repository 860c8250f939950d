import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/**
 * A real Aedes broker (npm `aedes`, the kiosk's embedded broker: MQTT 3.1/3.1.1 only, no shared subscriptions) in a
 * child process on a loopback port. A child because aedes v1 is an ES module that jest's CommonJS registry cannot load.
 *
 * `closeMqtt5`: a broker that does not answer an MQTT 5 CONNECT at all but closes the connection (as some 3.1.1-only
 * brokers and proxies do), instead of Aedes's CONNACK "unacceptable protocol version". Counts are kept of the
 * CONNECTs by protocol level (`connects()`).
 */
export class AedesBroker {
  private readonly counts = { 4: 0, 5: 0, other: 0 };
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (b: Buffer) => {
      for (const m of b.toString().matchAll(/^CONNECT (\d+)$/gm)) {
        const level = Number(m[1]);
        if (level === 4 || level === 5) this.counts[level]++;
        else this.counts.other++;
      }
    });
  }

  static start(opts: { closeMqtt5?: boolean } = {}): Promise<AedesBroker> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, CLOSE_MQTT5: opts.closeMqtt5 ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = /^PORT (\d+)$/m.exec(out);
        if (!m) return;
        child.stdout!.off('data', onData);
        resolve(new AedesBroker(child, Number(m[1])));
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`aedes broker exited (${code}) before listening: ${err}`)));
    });
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** CONNECT packets seen so far, by protocol level (4 = 3.1.1, 5 = MQTT 5). */
  connects(): { 4: number; 5: number; other: number } {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

const SCRIPT = `
import * as net from 'node:net';
import { Aedes } from 'aedes';
const closeMqtt5 = process.env.CLOSE_MQTT5 === '1';
const broker = await Aedes.createBroker();
/** The protocol level of a CONNECT packet at the start of buf, or null. */
function level(buf) {
  if (buf.length < 2 || buf[0] !== 0x10) return null;
  let i = 1;
  while (i < 5 && buf[i] & 0x80) i++;
  i++;
  if (buf.length < i + 2) return null;
  const nameLen = buf.readUInt16BE(i);
  return buf.length > i + 2 + nameLen ? buf[i + 2 + nameLen] : null;
}
const server = net.createServer((sock) => {
  sock.on('error', () => undefined);
  sock.once('data', (buf) => {
    sock.pause();
    const l = level(buf);
    process.stdout.write('CONNECT ' + l + '\\n');
    if (closeMqtt5 && l === 5) return sock.destroy();
    sock.unshift(buf);
    broker.handle(sock);
    sock.resume();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.on('SIGTERM', () => {
  setTimeout(() => process.exit(0), 1000).unref();
  broker.close(() => server.close(() => process.exit(0)));
});
`;
