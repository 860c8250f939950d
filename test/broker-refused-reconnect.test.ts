/**
 * A kiosk the broker refuses (CONNACK "not authorized": its password is not in the broker's password file yet, or was
 * taken out and put back) connects again by itself once the broker takes it — without a restart. mqtt.js stops
 * reconnecting after a refused CONNACK unless `reconnectOnConnackError`; the HQ uplink (runtime/hq-sync/uplink-worker.ts)
 * sets it, so the refusal is retried on the reconnect backoff like a lost connection. Real Mosquitto with a password
 * file (mosquitto_passwd) re-read on SIGHUP; the uplink in its worker thread and inline.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemoteMqttClient } from '../runtime/hq-sync/remote-mqtt-client';
import { UplinkThread } from '../runtime/hq-sync/uplink-thread';
import { Mosquitto } from './support/mosquitto';
import { kioskDb, tmpDir, waitFor } from './support/sync-fixtures';

jest.setTimeout(60_000);

const STORE = 's1';
const DEVICE = 'lane-01';
const USER = `${STORE}/${DEVICE}`;

describe.each([
  ['in a worker thread', false],
  ['inline', true],
])('the HQ uplink %s, refused by the broker (not authorized)', (_name, inline) => {
  it('keeps trying on its backoff and connects once the broker takes its password (SIGHUP), no restart', async () => {
    const dir = tmpDir('refused-reconnect-');
    fs.chmodSync(dir, 0o755); // mosquitto drops to its own user and reads the password file from here
    const passwd = path.join(dir, 'kiosk.passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwd, 'someone-else', 'pw-other']);
    fs.chmodSync(passwd, 0o644);
    const broker = await Mosquitto.start({ extraConfig: ['allow_anonymous false', `password_file ${passwd}`] });
    const db = await kioskDb(dir);
    const mqttOpts = { clientId: USER, username: USER, password: 'pw-kiosk', clean: false, protocolVersion: 5 as const, reconnectPeriod: 100, properties: { sessionExpiryInterval: 3600 } };
    const thread = new UplinkThread(
      {
        brokerUrl: broker.url,
        mqtt: mqttOpts,
        reconnect: { baseMs: 100, capMs: 400 },
        dbFile: db.file,
        storeId: STORE,
        deviceId: DEVICE,
        drain: { deleteEveryMs: 0, slice: 64, atLane: { window: 4, pauseMs: 5 }, between: { window: 64, pauseMs: 0 } },
        nice: 10,
      },
      100,
      inline,
    );
    const client = new RemoteMqttClient(thread, mqttOpts);
    const refusals: string[] = [];
    client.on('error', (e: Error) => refusals.push(e.message));
    try {
      client.connect();
      // refused again and again (each attempt asked anew), never connected
      await waitFor(() => refusals.filter((m) => /not authorized/i.test(m)).length >= 3, 15_000, 'three refused CONNACKs');
      expect(client.connected).toBe(false);

      execFileSync('mosquitto_passwd', ['-b', passwd, USER, 'pw-kiosk']);
      broker.reload();
      await waitFor(() => client.connected, 15_000, 'the kiosk to connect once the broker takes its password');
      await client.publishAsync(`kiosk/v1/${STORE}/${DEVICE}/probe`, 'x', { qos: 1 });
    } finally {
      await client.endAsync(true);
      await broker.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
