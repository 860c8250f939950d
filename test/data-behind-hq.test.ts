/**
 * HQ knows the lane sold more than its database holds (issue 11, point 1: the marker and the database both lost, or
 * an old backup restored together with its marker): HQ's retained ack names a seq above the kiosk's journal, the
 * publisher refuses it ('ahead'), and the lane goes out of service with the reason instead of re-issuing numbers
 * HQ already holds. Real kiosk (bootKiosk) and HQ link against a real Mosquitto.
 */
import * as fs from 'node:fs';
import mqtt from 'mqtt';
import { loadConfig } from '../config/load';
import { startHqLink } from '../device/hq-link';
import { bootKiosk } from '../device/kiosk';
import { ackTopic } from '../protocol/topics';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));

it("an ack from HQ above the kiosk's journal puts the lane out of service: the database is behind HQ", async () => {
  const broker = await Mosquitto.start();
  const dir = tempDir('kiosk-behind-hq-');
  const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: 'S-behind', deviceId: 'K-behind' }, hq: { broker: broker.url } } }), {
    confirmCash: async () => true,
  });
  const link = await startHqLink(k, {});
  const hq = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  try {
    expect(k.condition().inService).toBe(true);
    const head = (await k.db.read.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM journal'))?.seq ?? 0;
    // HQ's retained ack: it stored 500 entries of this lane, far more than this (fresh) database has
    await hq.publishAsync(ackTopic('S-behind', 'K-behind'), JSON.stringify({ v: 1, seq: head + 500, hash: 'ab'.repeat(32) }), { qos: 1, retain: true });
    await waitFor('the data fault', () => k.faults.get('data'));
    expect(k.faults.get('data')?.reason).toMatch(new RegExp(`^database is behind HQ: HQ acknowledged journal entry ${head + 500}, which this kiosk's journal does not have`));
    const c = k.condition();
    expect(c.inService).toBe(false);
    expect(c.reasons[0]).toMatch(/^data: database is behind HQ/);
    // nothing is sold: a scan opens no order
    const [item] = await k.catalog.sample('plain', 1);
    const scan = await k.lane.scan(item.barcodes[0]);
    expect(scan.ok).toBe(false);
    expect(!scan.ok && scan.code).toBe('OUT_OF_SERVICE');
    expect(await k.engine.openOrder()).toBeNull();
  } finally {
    await hq.endAsync(true);
    await link.close();
    await k.close();
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
