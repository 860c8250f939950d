import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import type { Scope } from '../../protocol/signed-envelope';
import { Mosquitto } from '../../test/support/mosquitto';
import { IngestStore } from '../ingest/store';
import { ConfigRegistry } from '../config/registry';
import { readRetainedBundle } from '../config/retained';
import { configPush, ConfigPushRefused, type ConfigPushOptions } from './config-push';
import { keygen } from './keygen';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const WAIT = 300;
const ROOT = path.resolve(__dirname, '..', '..');
const HQ_CLI = path.join(ROOT, 'dist', 'hq', 'cli.js');

describe('hq config push: validated, versions strictly increasing, --json', () => {
  let broker: Mosquitto;
  let reader: mqtt.MqttClient;
  let dir: string;
  let out: string;
  let n = 0;
  const io = () => ({ out: (t: string) => void (out += t), clock: new SimulatedClock(T0), retainedWaitMs: WAIT });

  beforeAll(async () => {
    broker = await Mosquitto.start();
    reader = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await reader?.endAsync();
    await broker?.close();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-config-push-'));
    keygen({ out: dir }, () => undefined);
    out = '';
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A store nobody pushed to yet (every test its own retained topic). */
  const fresh = (): { arg: string; scope: Scope } => {
    const store = `cp${++n}-${process.pid}`;
    return { arg: `store:${store}`, scope: { kind: 'store', store } };
  };
  const bodyFile = (body: unknown): string => {
    const f = path.join(dir, `body-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(f, JSON.stringify(body));
    return f;
  };
  const opts = (scope: string, over: Partial<ConfigPushOptions> = {}): ConfigPushOptions => ({ scope, key: path.join(dir, 'hq.key'), broker: broker.url, ...over });

  it('refuses a body a kiosk would refuse, with the problem, before signing: nothing retained', async () => {
    const { arg, scope } = fresh();
    const err = await configPush(bodyFile({ tax: { rate: '7%' } }), opts(arg, { version: '1' }), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigPushRefused);
    expect(err).toMatchObject({ exitCode: 2, refusal: 'invalid', problems: [expect.stringMatching(/^tax\.rate: expected number ≥ 0 and ≤ 1, got "7%"/)] });
    expect(out).toBe('');
    expect(await readRetainedBundle(reader, scope, WAIT)).toBeNull();
    // --out too: nothing written
    await expect(configPush(bodyFile({ taxes: 1 }), { scope: arg, key: path.join(dir, 'hq.key'), version: '1', out: path.join(dir, 'x.json') }, io())).rejects.toThrow(/taxes: unknown field/);
    expect(fs.existsSync(path.join(dir, 'x.json'))).toBe(false);
  });

  it('refuses v1 after v2 (the retained bundle stays v2); without --version pushes the next one', async () => {
    const { arg, scope } = fresh();
    await configPush(bodyFile({ tax: { rate: 0.07 } }), opts(arg, { version: '2' }), io());
    expect(out).toContain(`published store ${arg.slice(6)} config v2`);
    for (const v of ['1', '2']) {
      await expect(configPush(bodyFile({ tax: { rate: 0.05 } }), opts(arg, { version: v }), io())).rejects.toMatchObject({
        exitCode: 2,
        refusal: 'not_newer',
        problems: [expect.stringMatching(new RegExp(`^version ${v} is not newer than version 2 retained on the broker`))],
      });
    }
    expect((await readRetainedBundle(reader, scope, WAIT))?.version).toBe(2);
    const env = await configPush(bodyFile({ tax: { rate: 0.05 } }), opts(arg), io());
    expect(env.version).toBe(3);
    expect((await readRetainedBundle(reader, scope, WAIT))?.version).toBe(3);
  });

  it('--db checks and records the registry: a version the registry has is refused even with nothing retained', async () => {
    const db = path.join(dir, 'hq.sqlite');
    const { arg, scope } = fresh();
    await configPush(bodyFile({ loyalty: { per: 50 } }), opts(arg, { db, version: '5', out: path.join(dir, 'v5.json') }), io());
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'v5.json'), 'utf8'))).toMatchObject({ version: 5, body: { loyalty: { per: 50 } } });
    const store = await IngestStore.open(db);
    try {
      expect((await new ConfigRegistry(store.db.read).history(scope)).map((r) => [r.version, r.published_by, r.kind])).toEqual([[5, 'cli', 'publish']]);
    } finally {
      await store.close();
    }
    // the broker forgets (a broker restored without its persistence): the registry still says 5
    await reader.publishAsync(`kiosk/v1/${arg.slice(6)}/_all/config`, '', { qos: 1, retain: true });
    await expect(configPush(bodyFile({}), opts(arg, { db, version: '4' }), io())).rejects.toMatchObject({ refusal: 'not_newer', problems: [expect.stringContaining('in the registry')] });
    expect((await configPush(bodyFile({}), opts(arg, { db }), io())).version).toBe(6);
  });

  it('the CLI: exit 2 and only JSON on stdout with --json, for a refusal and for a publish', () => {
    const { arg } = fresh();
    const run = (file: string, extra: string[]) =>
      spawnSync(process.execPath, [HQ_CLI, 'config', 'push', file, '--scope', arg, '--key', path.join(dir, 'hq.key'), '--broker', broker.url, '--json', ...extra], { encoding: 'utf8' });
    const bad = run(bodyFile({ tax: { rate: '7%' } }), []);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({ ok: false, scope: arg, refusal: 'invalid', problems: [expect.stringMatching(/^tax\.rate: /)] });
    expect(bad.stderr).toMatch(/nothing published/);
    const good = run(bodyFile({ tax: { rate: 0.07 } }), []);
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, scope: arg, version: 1, topic: `kiosk/v1/${arg.slice(6)}/_all/config` });
    const lower = run(bodyFile({ tax: { rate: 0.07 } }), ['--version', '1']);
    expect(lower.status).toBe(2);
    expect(JSON.parse(lower.stdout)).toMatchObject({ ok: false, refusal: 'not_newer' });
  });

  it('takes the broker user from --username/--password-file', async () => {
    fs.chmodSync(dir, 0o755); // mosquitto drops to its own user, which must read the password file
    const pwfile = path.join(dir, 'mosquitto.passwd');
    execFileSync('mosquitto_passwd', ['-b', '-c', pwfile, 'hq', 's3cret-hq']);
    fs.chmodSync(pwfile, 0o644);
    fs.writeFileSync(path.join(dir, 'hq.password'), 's3cret-hq\n', { mode: 0o600 });
    const secured = await Mosquitto.start({ extraConfig: ['allow_anonymous false', `password_file ${pwfile}`] });
    try {
      const { arg } = fresh();
      const file = bodyFile({ tax: { rate: 0.07 } });
      await expect(configPush(file, opts(arg, { broker: secured.url }), io())).rejects.toThrow(/Not authorized|Bad User Name or Password|connack/i);
      const env = await configPush(file, opts(arg, { broker: secured.url, username: 'hq', passwordFile: path.join(dir, 'hq.password') }), io());
      expect(env.version).toBe(1);
    } finally {
      await secured.close();
    }
  });
});
