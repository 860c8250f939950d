/**
 * The boot fault shell's HQ presence (device/fault-presence.ts) against a real Mosquitto: it logs in on the kiosk's
 * persistent session without consuming what HQ queued there (a command sent while the kiosk was away must reach
 * the booted kiosk, issue 11 point 4), publishes the retained fault state, leaves without firing its will, and is
 * absent when no broker is configured (the embedded default's HQ store is on the broken data dir).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { faultPresence } from '../device/fault-presence';
import { SystemClock } from '../kernel/clock';
import type { BootFault } from '../runtime/db/boot-check';
import { laneCondition } from '../runtime/supervision/lane-condition';
import { kioskClientId } from '../runtime/hq-sync/client-id';
import { stateTopic } from '../protocol/topics';
import { writeIdentity } from '../runtime/trust/identity';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

const FAULT: BootFault = { source: 'storage', code: 'STORAGE_FAILED', reason: '/x/kiosk.sqlite is not a SQLite database (SQLITE_NOTADB): restore it from a backup', retry: true };
const log = pino({ level: process.env.FP_LOG ?? 'silent' });

describe('fault shell presence at HQ', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: a command queued on the kiosk's session survives the shell; retained fault state; no will`, async () => {
      const store = `S-fp${protocolVersion}`;
      const device = 'K1';
      const clientId = kioskClientId(store, device);
      const cmdTopic = `test/${store}/cmd`;
      const session = { clientId, clean: false, protocolVersion, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}) };
      // the kiosk's session, as a running kiosk left it: subscribed, then away
      const kiosk = await mqtt.connectAsync(broker.url, session);
      await kiosk.subscribeAsync(cmdTopic, { qos: 1 });
      await kiosk.endAsync();
      const hq = await mqtt.connectAsync(broker.url, { clientId: `hq-${store}`, clean: true, protocolVersion });
      const states: { online: boolean; fault?: { reason: string } }[] = [];
      hq.on('message', (t, p) => {
        if (t === stateTopic(store, device)) states.push(JSON.parse(p.toString()) as (typeof states)[number]);
      });
      await hq.subscribeAsync(stateTopic(store, device), { qos: 1 });
      await hq.publishAsync(cmdTopic, 'lock', { qos: 1 });

      const config = loadConfig({ env: {}, overrides: { dataDir: tempDir('kiosk-fp-'), device: { storeId: store, deviceId: device }, hq: { broker: broker.url, protocolVersion } } });
      const shell = faultPresence(config, { clock: new SystemClock(), log, software: 'kiosk-runtime/test' });
      expect(shell).not.toBeNull();
      await shell!.announce(FAULT, laneCondition({}, [], null, [`storage: ${FAULT.reason}`]));
      const seen = await waitFor('the fault state', () => states.find((s) => s.fault));
      expect(seen.online).toBe(true);
      expect(seen.fault?.reason).toBe(FAULT.reason);
      await shell!.disconnect();

      // the booted kiosk resumes its session: the command HQ queued is delivered to it
      const back = mqtt.connect(broker.url, { ...session, manualConnect: true });
      const got: string[] = [];
      back.on('message', (t, p) => t === cmdTopic && got.push(p.toString()));
      back.connect();
      await waitFor('the queued command at the booted kiosk', () => got.length > 0);
      expect(got).toEqual(['lock']);
      await back.endAsync();
      await hq.endAsync();
      expect(states.filter((s) => !s.online)).toEqual([]);
    }, 30_000);
  }

  it('a provisioned kiosk (identity.json, no hq.broker): its broker, credentials and client id', async () => {
    const data = tempDir('kiosk-fp-id-');
    fs.mkdirSync(path.join(data, 'secrets'));
    fs.writeFileSync(path.join(data, 'secrets', 'broker.pw'), 'pw', { mode: 0o600 });
    writeIdentity(data, { v: 1, store: 'S-id', device: 'K-id', broker: { url: broker.url, auth: { kind: 'password', username: 'S-id/K-id', passwordFile: 'secrets/broker.pw' } }, provisionedAt: new Date(0).toISOString() });
    const config = loadConfig({ env: {}, overrides: { dataDir: data, device: { storeId: 'S-id', deviceId: 'K-id' } } });
    expect(config.hq.broker ?? null).toBeNull();
    const shell = faultPresence(config, { clock: new SystemClock(), log, software: 'kiosk-runtime/test' });
    expect(shell).not.toBeNull();
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'hq-id', clean: true });
    const states: { online: boolean; fault?: { reason: string } }[] = [];
    watcher.on('message', (_t, p) => states.push(JSON.parse(p.toString()) as (typeof states)[number]));
    await watcher.subscribeAsync(stateTopic('S-id', 'K-id'), { qos: 1 });
    await shell!.announce(FAULT, laneCondition({}, [], null, [`storage: ${FAULT.reason}`]));
    await waitFor('the fault state', () => states.find((s) => s.fault));
    // a login with the kiosk's client id (clean start) takes the connection over and the shell's will fires: it was the kiosk's own
    const takeover = await mqtt.connectAsync(broker.url, { clientId: 'S-id/K-id', clean: true, reconnectPeriod: 0 });
    await waitFor('the will of the taken-over shell', () => states.find((s) => !s.online));
    await takeover.endAsync();
    await shell!.stop();
    await watcher.endAsync();
  });

  it('no broker configured or provisioned: nothing to tell', () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: tempDir('kiosk-fp-none-') } });
    expect(faultPresence(config, { clock: new SystemClock(), log, software: 'x' })).toBeNull();
  });
});
