import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import mqtt from 'mqtt';
import type { HqIngest } from '../hq/ingest/ingest';
import type { IngestStore } from '../hq/ingest/store';
import type { Clock } from '../kernel/clock';
import { portProblem } from './port-in-use';

export interface EmbeddedHq {
  /** Where kiosks connect: mqtt://127.0.0.1:PORT. */
  url: string;
  port: number;
  store: IngestStore;
  ingest: HqIngest;
  close(): Promise<void>;
}

/**
 * The bare-machine default: an Aedes broker on 127.0.0.1 and HQ's ingest in the same process, storing every sale
 * exactly once in `<dataDir>/hq/ingest.sqlite` — so `kiosk start` syncs end to end with no HQ anywhere.
 */
export async function startEmbeddedHq(opts: { dataDir: string; port: number; clock: Clock; onPortTaken?: (port: number) => void }): Promise<EmbeddedHq> {
  // loaded here, not at boot: a kiosk with a broker configured never needs Aedes or HQ's ingest (bench/boot)
  const [{ Aedes }, { HqIngest }, { IngestStore }] = await Promise.all([import('aedes'), import('../hq/ingest/ingest'), import('../hq/ingest/store')]);
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const closeBroker = async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  };
  try {
    await listen(opts.port);
  } catch (e) {
    // another broker already has the port (a local Mosquitto, a second kiosk): any free port will do (the kiosk's
    // own link is told the port in-process); anything else (a privileged port) is one clear line
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.port === 0) {
      await closeBroker();
      throw portProblem(e, 'embedded MQTT', opts.port, 'hq.embeddedPort');
    }
    opts.onPortTaken?.(opts.port);
    await listen(0).catch(async (e2: unknown) => {
      await closeBroker();
      throw portProblem(e2, 'embedded MQTT', 0, 'hq.embeddedPort');
    });
  }
  server.on('error', () => undefined); // a client's socket error is not the broker's end
  const port = (server.address() as net.AddressInfo).port;
  const url = `mqtt://127.0.0.1:${port}`;
  let store: IngestStore;
  try {
    fs.mkdirSync(path.join(opts.dataDir, 'hq'), { recursive: true });
    store = await IngestStore.open(path.join(opts.dataDir, 'hq', 'ingest.sqlite'));
  } catch (e) {
    await closeBroker(); // nothing half-open: the broker goes with a store that did not open
    throw e;
  }
  const client = mqtt.connect(url, { clientId: 'hq-embedded', reconnectPeriod: 1000 });
  client.on('error', () => undefined); // reconnects by itself
  const ingest = new HqIngest({ store, client, clock: opts.clock });
  await ingest.start();
  return {
    url,
    port,
    store,
    ingest,
    async close() {
      await ingest.stop();
      await client.endAsync(true).catch(() => undefined);
      await store.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
