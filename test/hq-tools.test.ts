import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { Mosquitto } from './support/mosquitto';
import { SimulatedClock, SystemClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { migrate } from '../runtime/db/migrations';
import { CommandRunner } from '../runtime/hq-control/commands';
import { keyIdOf, parsePublicKeyPem, verifyEnvelope } from '../protocol/signed-envelope';
import { T0, testKey } from './support/trust';
import { commandResultTopic, commandTopic, configTopic } from '../protocol/control/topics';
import { TrustStore } from '../runtime/trust/trust-store';
import { parseArgPairs, parseDuration, parseScopeArg } from '../hq/signing';
import { sendCommand } from '../hq/commands/cmd';
import { configPush } from '../hq/commands/config-push';
import { keygen } from '../hq/commands/keygen';

describe('hq keygen, config push, cmd', () => {
  let dir: string;
  let out: string;
  const write = (t: string) => void (out += t);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-tools-'));
    out = '';
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keygen writes a 0600 PKCS8 private key and an SPKI public key, prints the keyId, and will not overwrite', () => {
    const keyId = keygen({ out: path.join(dir, 'keys') }, write);
    const keyFile = path.join(dir, 'keys', 'hq.key');
    const pubFile = path.join(dir, 'keys', 'hq.pub');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keyIdOf(parsePublicKeyPem(fs.readFileSync(pubFile, 'utf8')))).toBe(keyId);
    expect(out).toContain(`keyId ${keyId}`);
    expect(() => keygen({ out: path.join(dir, 'keys') }, write)).toThrow(/use --force/);
    expect(keygen({ out: path.join(dir, 'keys'), force: true }, write)).not.toBe(keyId);
    expect(keygen({ out: path.join(dir, 'keys'), name: 'hq-2026' }, write)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('parses scopes, durations and command args', () => {
    expect(parseScopeArg('fleet')).toEqual({ kind: 'fleet' });
    expect(parseScopeArg('store:s1')).toEqual({ kind: 'store', store: 's1' });
    expect(parseScopeArg('device:s1/d1')).toEqual({ kind: 'device', store: 's1', device: 'd1' });
    for (const bad of ['device:s1', 'store:', 'device:s1/d1/x', 'all']) expect(() => parseScopeArg(bad)).toThrow(/bad scope/);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(() => parseDuration('30')).toThrow(/bad duration/);
    expect(parseArgPairs(['fromSeq=5', 'reason=wet floor', 'x={"a":1}'])).toEqual({ fromSeq: 5, reason: 'wet floor', x: { a: 1 } });
    expect(() => parseArgPairs(['novalue'])).toThrow(/key=value/);
  });

  it('config push --out writes an envelope the addressed kiosk accepts', async () => {
    keygen({ out: dir }, write);
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ tax: { rate: 0.06 } }));
    const next = testKey();
    fs.writeFileSync(path.join(dir, 'next.pub'), next.publicPem);
    const clock = new SimulatedClock(T0);
    const env = await configPush(
      file,
      { scope: 'device:s1/d1', key: path.join(dir, 'hq.key'), version: '7', out: path.join(dir, 'bundle.json'), trustAdd: [path.join(dir, 'next.pub')] },
      { out: write, clock },
    );
    expect(Date.parse(env.expiresAt) - Date.parse(env.issuedAt)).toBe(30 * 86_400_000);
    const store = TrustStore.open(path.join(dir, 'kiosk'));
    store.install([fs.readFileSync(path.join(dir, 'hq.pub'), 'utf8')], { replace: true, now: T0 });
    const r = verifyEnvelope(fs.readFileSync(path.join(dir, 'bundle.json')), store, T0, {
      kind: 'config',
      scope: (s) => (s.kind === 'device' && s.store === 's1' && s.device === 'd1' ? null : 'no'),
    });
    expect(r).toMatchObject({ ok: true, envelope: { version: 7, body: { tax: { rate: 0.06 }, trust: { add: [next.publicPem] } } } });
    expect(out).toContain('wrote device s1/d1 config v7');
    await expect(configPush(file, { scope: 'fleet', key: path.join(dir, 'hq.key'), version: '1' }, { out: write, clock })).rejects.toThrow(/--broker URL .* or --out FILE/);
    await expect(configPush(file, { scope: 'fleet', key: path.join(dir, 'hq.pub'), version: '1', out: path.join(dir, 'x') }, { out: write, clock })).rejects.toThrow(/not a private key/);
  });

  describe('against a broker', () => {
    let broker: Mosquitto;
    beforeAll(async () => {
      broker = await Mosquitto.start();
    });
    afterAll(async () => {
      await broker.close();
    });

    it('config push publishes the bundle retained on the scope topic', async () => {
      keygen({ out: dir }, write);
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, JSON.stringify({ loyalty: { enabled: false } }));
      await configPush(file, { scope: 'store:s1', key: path.join(dir, 'hq.key'), version: '3', broker: broker.url }, { out: write, clock: new SystemClock() });
      expect(out).toContain(`on ${configTopic({ kind: 'store', store: 's1' })}`);
      // a kiosk that subscribes later still gets it: it was retained
      const sub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      try {
        const got = new Promise<{ topic: string; payload: Buffer; retain: boolean }>((resolve) => sub.once('message', (topic, payload, packet) => resolve({ topic, payload, retain: packet.retain })));
        await sub.subscribeAsync(configTopic({ kind: 'store', store: 's1' }), { qos: 1 });
        const m = await got;
        expect(m.retain).toBe(true);
        expect(JSON.parse(m.payload.toString())).toMatchObject({ kind: 'config', version: 3, scope: { kind: 'store', store: 's1' }, body: { loyalty: { enabled: false } } });
      } finally {
        await sub.endAsync();
      }
    });

    it('cmd --wait sends a signed command and prints the kiosk\'s result', async () => {
      keygen({ out: dir }, write);
      const kioskDir = path.join(dir, 'kiosk');
      fs.mkdirSync(kioskDir);
      const trust = TrustStore.open(kioskDir);
      trust.install([fs.readFileSync(path.join(dir, 'hq.pub'), 'utf8')], { replace: true, now: Date.now() });
      const db = await KioskDb.open(path.join(kioskDir, 'kiosk.sqlite'));
      await migrate(db);
      const seen: unknown[] = [];
      const ok = async (args: unknown) => {
        seen.push(args);
        return { resent: 3 };
      };
      const runner = new CommandRunner({
        db,
        trust,
        clock: new SystemClock(),
        identity: { store: 's1', device: 'd1' },
        handlers: { lock: ok, unlock: ok, print_test: ok, doctor: ok, resend: ok, eod: ok, rebirth: ok, return: ok },
      });
      const kiosk = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      kiosk.on('message', (topic, payload) => {
        void runner.offer(topic, payload).then((r) => kiosk.publishAsync(commandResultTopic('s1', 'd1'), JSON.stringify(r), { qos: 1 }));
      });
      await kiosk.subscribeAsync(commandTopic('s1', 'd1'), { qos: 1 });
      try {
        const r = await sendCommand('s1/d1', 'resend', { key: path.join(dir, 'hq.key'), broker: broker.url, arg: ['fromSeq=5'], wait: true, timeout: '20' }, { out: write, clock: new SystemClock() });
        expect(r).toMatchObject({ v: 1, name: 'resend', status: 'ok', result: { resent: 3 } });
        expect(seen).toEqual([{ fromSeq: 5 }]);
        expect(out).toContain(JSON.stringify(r));
        await expect(sendCommand('s1/d1', 'resend', { key: path.join(dir, 'hq.key'), broker: broker.url, arg: ['fromSeq=x'] }, { out: write, clock: new SystemClock() })).rejects.toThrow(
          /bad args for resend/,
        );
        await expect(sendCommand('s1/d1', 'selfdestruct', { key: path.join(dir, 'hq.key'), broker: broker.url }, { out: write, clock: new SystemClock() })).rejects.toThrow(/unknown command/);
      } finally {
        await kiosk.endAsync();
        await db.close();
      }
    });
  });
});
