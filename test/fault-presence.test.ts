/**
 * The boot fault shell's HQ presence (device/fault-presence.ts) against a real Mosquitto: it logs in on the kiosk's
 * persistent session without consuming what HQ queued there (a command sent while the kiosk was away must reach
 * the booted kiosk, issue 11 point 4), publishes the retained fault state, leaves without firing its will, and is
 * absent when no broker is configured (the embedded default's HQ store is on the broken data dir). Its reconnects
 * follow the HQ link's full-jitter capped backoff (hq.reconnect): measured on a stopped Mosquitto and on one that
 * refuses the login (CONNACK not authorized, then its password file re-read on SIGHUP).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import pino from 'pino';
import { loadConfig } from '../config/load';
import { faultPresence } from '../device/fault-presence';
import { SystemClock } from '../kernel/clock';
import { fullJitterDelay } from '../kernel/reconnect-backoff';
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

/** A logger that records when each line was written (pino writes synchronously to a plain stream). */
function timedLog() {
  const lines: { t: number; msg: string; err?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const o = JSON.parse(chunk.toString()) as { msg: string; err?: string };
      lines.push({ t: performance.now(), msg: o.msg, err: o.err });
      done();
    },
  });
  /** The times of the shell's link errors whose message matches `re`. */
  const errors = (re: RegExp) => lines.filter((l) => l.msg === 'fault shell: hq link error' && re.test(l.err ?? '')).map((l) => l.t);
  return { log: pino({ level: 'info' }, sink), lines, errors };
}
const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]);
/** Each measured gap is the expected wait (a timer may fire a ms early) plus at most a loaded machine's lag. */
function expectWaits(measured: number[], expected: number[]) {
  expect(measured.length).toBeGreaterThanOrEqual(expected.length);
  for (const [i, want] of expected.entries()) {
    expect(measured[i]).toBeGreaterThanOrEqual(want - 5);
    expect(measured[i]).toBeLessThan(want + 300);
  }
}

describe('fault shell presence: reconnect backoff (hq.reconnect, full jitter, capped)', () => {
  const reconnect = { baseMs: 100, capMs: 800 };
  // a fixed draw of 0.9: each wait shows its window (90, 180, 360, 720, then the cap: 720 …)
  const random = () => 0.9;
  const delay = (n: number) => fullJitterDelay(reconnect, n, random);

  it('a stopped broker is asked on the backoff, not every 2 s; a connect starts it over; a new connection after one that was down waits its turn', async () => {
    expect([0, 1, 2, 3, 4].map(delay)).toEqual([90, 180, 360, 720, 720]);
    const broker = await Mosquitto.start({ persistence: false });
    const store = 'S-bo';
    const device = 'K1';
    const hq = mqtt.connect(broker.url, { clientId: 'hq-bo', clean: true, reconnectPeriod: 50 });
    hq.on('error', () => undefined);
    const states: { online: boolean; ts: number }[] = [];
    hq.on('message', (_t, p) => states.push(JSON.parse(p.toString()) as (typeof states)[number]));
    await waitFor('hq watcher', () => hq.connected);
    await hq.subscribeAsync(stateTopic(store, device), { qos: 1 });
    const { log, errors } = timedLog();
    const refused = () => errors(/ECONNREFUSED/);
    const config = loadConfig({ env: {}, overrides: { dataDir: tempDir('kiosk-fp-bo-'), device: { storeId: store, deviceId: device }, hq: { broker: broker.url, reconnect } } });
    const shell = faultPresence(config, { clock: new SystemClock(), log, software: 'kiosk-runtime/test', random })!;
    try {
      await shell.announce(FAULT, laneCondition({}, [], null, [`storage: ${FAULT.reason}`]));
      await waitFor('the fault state', () => states.some((s) => s.online));

      // the broker goes down: attempt n after the drop waits delay(n)
      await broker.stop();
      await waitFor('five refused attempts', () => refused().length >= 5, 15_000);
      expectWaits(gaps(refused()), [1, 2, 3, 4].map(delay)); // 180, 360, 720, 720: doubling, then capped

      // back up: the shell connects (its fault state again), and the next outage starts from attempt 0, not the cap
      await broker.start();
      const n = states.length;
      await waitFor('the state again after the restart', () => states.length > n && states[states.length - 1].online, 15_000);
      const before = refused().length;
      await broker.stop();
      await waitFor('three refused attempts of the second outage', () => refused().length >= before + 3, 15_000);
      expectWaits(gaps(refused().slice(before)), [1, 2].map(delay)); // 180, 360

      // let go while the broker is down (before a boot attempt): nothing reconnects behind the shell's back …
      await waitFor('the shell at the cap', () => refused().length >= before + 5, 15_000);
      await shell.disconnect();
      const atRelease = refused().length;
      await new Promise((r) => setTimeout(r, 3 * reconnect.capMs));
      expect(refused().length).toBe(atRelease);
      // … and the next connection (the boot failed again) waits its backoff instead of asking at once
      const announced = performance.now();
      await shell.announce(FAULT, laneCondition({}, [], null, [`storage: ${FAULT.reason}`]));
      await waitFor('the first attempt of the new connection', () => refused().length > atRelease, 10_000);
      const first = refused()[atRelease] - announced;
      expect(first).toBeGreaterThanOrEqual(delay(5) - 5);
      expect(first).toBeLessThan(delay(5) + 300);
    } finally {
      await shell.stop();
      await hq.endAsync(true);
      await broker.close();
    }
  }, 60_000);

  it('a refused login (CONNACK not authorized) is retried on the backoff and connects once the broker takes the password (SIGHUP)', async () => {
    const dir = tempDir('kiosk-fp-refused-');
    fs.chmodSync(dir, 0o755); // mosquitto drops to its own user and reads the password file from here
    const passwd = path.join(dir, 'kiosk.passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwd, 'hq', 'pw-hq']);
    fs.chmodSync(passwd, 0o644);
    const broker = await Mosquitto.start({ persistence: false, extraConfig: ['allow_anonymous false', `password_file ${passwd}`] });
    const data = path.join(dir, 'data');
    fs.mkdirSync(path.join(data, 'secrets'), { recursive: true });
    fs.writeFileSync(path.join(data, 'secrets', 'broker.pw'), 'pw-kiosk', { mode: 0o600 });
    writeIdentity(data, { v: 1, store: 'S-rf', device: 'K1', broker: { url: broker.url, auth: { kind: 'password', username: 'S-rf/K1', passwordFile: 'secrets/broker.pw' } }, provisionedAt: new Date(0).toISOString() });
    const config = loadConfig({ env: {}, overrides: { dataDir: data, device: { storeId: 'S-rf', deviceId: 'K1' }, hq: { reconnect } } });
    const { log, errors } = timedLog();
    const refusals = () => errors(/refused/i);
    const shell = faultPresence(config, { clock: new SystemClock(), log, software: 'kiosk-runtime/test', random })!;
    const hq = await mqtt.connectAsync(broker.url, { clientId: 'hq-rf', username: 'hq', password: 'pw-hq', clean: true });
    const states: { online: boolean; fault?: { code: string } }[] = [];
    hq.on('message', (_t, p) => states.push(JSON.parse(p.toString()) as (typeof states)[number]));
    await hq.subscribeAsync(stateTopic('S-rf', 'K1'), { qos: 1 });
    try {
      await shell.announce(FAULT, laneCondition({}, [], null, [`storage: ${FAULT.reason}`]));
      // refused again and again — mqtt.js alone would stop after the first — each attempt after its backoff
      // (the first refusal is the shell's first login: the wait after it is attempt 0's)
      await waitFor('five refused logins', () => refusals().length >= 5, 15_000);
      expectWaits(gaps(refusals()), [0, 1, 2, 3].map(delay)); // 90, 180, 360, 720
      expect(states).toEqual([]);

      execFileSync('mosquitto_passwd', ['-b', passwd, 'S-rf/K1', 'pw-kiosk']);
      broker.reload();
      const seen = await waitFor('the fault state once the broker takes the password', () => states.find((s) => s.fault), 10_000);
      expect(seen).toMatchObject({ online: true, fault: { code: FAULT.code } });
    } finally {
      await shell.stop();
      await hq.endAsync(true);
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
