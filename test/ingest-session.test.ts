/**
 * `hq ingest --client-id ID` / `--worker NAME` (issue 17, part G): a named ingest worker keeps a persistent MQTT
 * session, so the broker queues the events meant for it while it is down. What Mosquitto 2.0.11 (Debian) really does
 * with such a session, checked here rather than assumed:
 * - a named worker killed (SIGKILL) and started again under its name gets what kiosks published meanwhile — an unnamed
 *   one (clean session, random id) does not;
 * - in a `$share` group, Mosquitto keeps giving the offline member its turn (round robin over the group, connected or
 *   not): its share waits in its session until it comes back (or its session expires);
 * - across a broker restart (persistence on) the session and the events already queued in it survive, but its `$share`
 *   subscription does not (the restored session is not in the group any more, and mqtt.js, trusting `sessionPresent`,
 *   would not subscribe again: hq ingest does): events published after the restart and before the worker subscribed
 *   again reach nobody, named or not; the kiosks re-send them (ack timeout, or HQ's resend
 *   request when their next event shows the hole).
 * Real parts: the built `node dist/hq/cli.js ingest` as child processes, a real Mosquitto with persistence, a real
 * SQLite ingest file; the kiosk is a plain mqtt.js client publishing valid journal events (QoS 1) and watching HQ's
 * retained acks, as a lane sees them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { IngestStore } from '../hq/ingest/store';
import { encodeEvent, parseAck, type EventMessage } from '../protocol/sync/messages';
import { eventsTopic, fleetFilter, parseTopic } from '../protocol/topics';
import { ROOT } from './support/cli';
import { Mosquitto } from './support/mosquitto';
import { chain, tmpDir, verifyIngested, waitFor } from './support/sync-fixtures';

jest.setTimeout(120_000);

const HQ_CLI = path.join(ROOT, 'dist', 'hq', 'cli.js');
const STORE = 's1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `hq ingest` process; `started` once it printed its start line (connected and subscribed). */
class Worker {
  out = '';
  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static async start(args: string[]): Promise<Worker> {
    const w = new Worker(spawn(process.execPath, [HQ_CLI, 'ingest', '--every', '1', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    running.push(w);
    await waitFor(() => / <- /.test(w.out) || w.child.exitCode !== null, 20_000, 'hq ingest to subscribe');
    if (w.child.exitCode !== null) throw new Error(`hq ingest exited ${w.child.exitCode}:\n${w.out}`);
    return w;
  }

  /** The `stored N` of its last summary line. */
  get stored(): number {
    const all = [...this.out.matchAll(/ingest: stored (\d+),/g)];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    await exited;
  }
}
const running: Worker[] = [];

/** A lane as HQ sees it: publishes journal events (QoS 1, waits for the broker's PUBACK) and records HQ's retained acks. */
class Lane {
  readonly acked = new Map<string, number>();
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      if (t?.leaf !== 'ack' || payload.length === 0) return;
      const seq = parseAck(payload).seq;
      const key = `${t.storeId}/${t.deviceId}`;
      this.acked.set(key, Math.max(seq, this.acked.get(key) ?? 0));
    });
  }

  static async connect(url: string): Promise<Lane> {
    const client = await mqtt.connectAsync(url, { clientId: `lane-${Date.now() % 1e6}-${Math.random().toString(36).slice(2, 6)}`, reconnectPeriod: 200 });
    lanes.push(client);
    const lane = new Lane(client);
    await client.subscribeAsync(fleetFilter('ack'), { qos: 1 });
    return lane;
  }

  async publish(events: EventMessage[]): Promise<void> {
    for (const e of events) await this.client.publishAsync(eventsTopic(e.storeId, e.deviceId), encodeEvent(e.storeId, e), { qos: 1 });
  }

  ack(device: string): number {
    return this.acked.get(`${STORE}/${device}`) ?? 0;
  }
}
const lanes: MqttClient[] = [];

describe('hq ingest --client-id / --worker: a persistent session on Mosquitto 2.0.11', () => {
  let broker: Mosquitto;
  let dir: string;
  let db: string;

  beforeEach(async () => {
    broker = await Mosquitto.start(); // persistence on
    dir = tmpDir('ingest-session-');
    db = path.join(dir, 'ingest.sqlite');
  });

  afterEach(async () => {
    for (const w of running.splice(0)) await w.kill();
    for (const c of lanes.splice(0)) await c.endAsync(true);
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What HQ stored for `device`, read from the ingest file once the workers are gone. */
  async function storedChain(device: string) {
    const store = await IngestStore.open(db);
    try {
      return await verifyIngested(store, STORE, device);
    } finally {
      await store.close();
    }
  }

  it.each([
    ['--worker w1', ['--worker', 'w1'], true],
    ['no name (clean session, random id)', [], false],
  ])('a worker killed (SIGKILL) and started again: events published meanwhile arrive — %s', async (_name, nameArgs, kept) => {
    const args = ['--db', db, '--broker', broker.url, '--shared', 'g', ...(nameArgs as string[])];
    const events = chain(STORE, 'lane-01', 6);
    const lane = await Lane.connect(broker.url);
    let w = await Worker.start(args);
    await lane.publish(events.slice(0, 2));
    await waitFor(() => lane.ack('lane-01') === 2, 10_000, 'HQ to ack seq 2');

    await w.kill('SIGKILL');
    await lane.publish(events.slice(2, 6)); // the broker PUBACKed them: taken, while no worker runs
    w = await Worker.start(args);
    if (kept) {
      expect(w.out).toMatch(/client id hq-ingest-w1, session kept 86400 s, resumed\)/);
      await waitFor(() => lane.ack('lane-01') === 6, 10_000, 'HQ to ack seq 6 from the queued events');
    } else {
      // the lane does not re-send here (no ack timeout in this test): whatever HQ gets must come from the broker
      await sleep(3000);
      expect(lane.ack('lane-01')).toBe(2);
    }
    await w.kill('SIGTERM');
    const got = await storedChain('lane-01');
    expect(got).toEqual({ count: kept ? 6 : 2, maxSeq: kept ? 6 : 2, problem: null });
  });

  it('one of two named workers down: Mosquitto still gives it its turn; its share waits in its session until it is back', async () => {
    const args = (name: string) => ['--db', db, '--broker', broker.url, '--shared', 'g', '--worker', name];
    const lane = await Lane.connect(broker.url);
    const a = await Worker.start(args('a'));
    const b = await Worker.start(args('b'));
    await a.kill('SIGKILL');
    // twenty lanes' first event each (one event per device: no holes, no resend requests)
    const devices = Array.from({ length: 20 }, (_, i) => `lane-${String(i + 1).padStart(2, '0')}`);
    await lane.publish(devices.map((d) => chain(STORE, d, 1)[0]));
    await sleep(3000);
    const whileDown = devices.filter((d) => lane.ack(d) === 1).length;
    // round robin over the group, the offline member included: b took about half, the rest is queued for a
    expect(whileDown).toBeGreaterThan(0);
    expect(whileDown).toBeLessThan(devices.length);
    const a2 = await Worker.start(args('a'));
    await waitFor(() => devices.every((d) => lane.ack(d) === 1), 10_000, 'every lane acked once a is back');
    await a2.kill('SIGTERM');
    await b.kill('SIGTERM');
    for (const d of devices) expect(await storedChain(d)).toEqual({ count: 1, maxSeq: 1, problem: null });
  });

  it('a worker retired with --session-expiry 0 takes what waits for it, and then holds no share of the group', async () => {
    const args = (name: string, ...more: string[]) => ['--db', db, '--broker', broker.url, '--shared', 'g', '--worker', name, ...more];
    const lane = await Lane.connect(broker.url);
    const a = await Worker.start(args('a'));
    const b = await Worker.start(args('b'));
    await a.kill('SIGKILL');
    const first = Array.from({ length: 10 }, (_, i) => `lane-${String(i + 1).padStart(2, '0')}`);
    await lane.publish(first.map((d) => chain(STORE, d, 1)[0]));
    const last = await Worker.start(args('a', '--session-expiry', '0'));
    expect(last.out).toMatch(/session kept 0 s, resumed\)/);
    await waitFor(() => first.every((d) => lane.ack(d) === 1), 10_000, 'a to take what waited for it');
    await last.kill('SIGTERM'); // DISCONNECT with expiry 0: the broker deletes the session, and its place in the group
    const later = Array.from({ length: 10 }, (_, i) => `lane-${String(i + 11).padStart(2, '0')}`);
    await lane.publish(later.map((d) => chain(STORE, d, 1)[0]));
    await waitFor(() => later.every((d) => lane.ack(d) === 1), 10_000, 'b alone to take every later event');
    await b.kill('SIGTERM');
  });

  it('both named workers of a group killed at once: every event published meanwhile arrives when they are back', async () => {
    const args = (name: string) => ['--db', db, '--broker', broker.url, '--shared', 'g', '--worker', name];
    const lane = await Lane.connect(broker.url);
    for (const w of [await Worker.start(args('a')), await Worker.start(args('b'))]) await w.kill('SIGKILL');
    const devices = Array.from({ length: 20 }, (_, i) => `lane-${String(i + 1).padStart(2, '0')}`);
    await lane.publish(devices.map((d) => chain(STORE, d, 1)[0]));
    await sleep(500);
    expect(devices.filter((d) => lane.ack(d) === 1)).toEqual([]);
    const back = [await Worker.start(args('a')), await Worker.start(args('b'))];
    await waitFor(() => devices.every((d) => lane.ack(d) === 1), 10_000, 'every lane acked once both are back');
    for (const w of back) await w.kill('SIGTERM');
    // each took its own queue: both stored some
    expect(back.map((w) => w.stored).every((n) => n > 0)).toBe(true);
  });

  it.each([
    ['--client-id hq-ingest-x', ['--client-id', 'hq-ingest-x']],
    ['no name', []],
  ])(
    'broker restart: the session survives but not its $share subscription — the worker subscribes again (mqtt.js would not); events published before it is back reach nobody (%s)',
    async (_name, nameArgs) => {
      const args = ['--db', db, '--broker', broker.url, '--shared', 'g', ...(nameArgs as string[])];
      const events = chain(STORE, 'lane-01', 5);
      const lane = await Lane.connect(broker.url);
      const w = await Worker.start(args);
      await lane.publish(events.slice(0, 2));
      await waitFor(() => lane.ack('lane-01') === 2, 10_000, 'HQ to ack seq 2');

      // the worker cannot reconnect before the lane has published: it is stopped (SIGSTOP) over the restart
      w.child.kill('SIGSTOP');
      await broker.restart();
      await waitFor(() => lane.client.connected, 10_000, 'the lane to reconnect');
      await lane.publish(events.slice(2, 4));
      w.child.kill('SIGCONT');
      // a probe from another lane once the worker is back: its ack says the worker subscribed again
      await waitFor(
        async () => {
          await lane.publish(chain(STORE, 'probe', 1));
          await sleep(300);
          return lane.ack('probe') === 1;
        },
        20_000,
        'the worker to subscribe again after the restart',
      ).catch((e) => {
        throw new Error(`${(e as Error).message}\n${w.out}\n${broker.log}`);
      });
      await sleep(1500);
      expect(lane.ack('lane-01')).toBe(2); // 3 and 4 went nowhere

      // the lane's next event shows HQ the hole: HQ asks for a resend (gap repair), which is how the kiosk's outbox closes it
      const resend = new Promise<string>((resolve) => {
        lane.client.on('message', (topic, payload) => topic.endsWith('/lane-01/resend') && resolve(payload.toString()));
      });
      await lane.client.subscribeAsync(`kiosk/v1/${STORE}/lane-01/resend`, { qos: 1 });
      await lane.publish(events.slice(4, 5));
      expect(JSON.parse(await resend)).toEqual({ v: 1, fromSeq: 3 });
      await lane.publish(events.slice(2, 5));
      await waitFor(() => lane.ack('lane-01') === 5, 10_000, 'HQ to ack seq 5 after the resend');
      await w.kill('SIGTERM');
      expect(await storedChain('lane-01')).toEqual({ count: 5, maxSeq: 5, problem: null });
    },
  );

  it('a named worker down over a broker restart: what was queued for it before the restart is delivered when it is back', async () => {
    const args = ['--db', db, '--broker', broker.url, '--shared', 'g', '--worker', 'w1'];
    const events = chain(STORE, 'lane-01', 4);
    const lane = await Lane.connect(broker.url);
    let w = await Worker.start(args);
    await lane.publish(events.slice(0, 1));
    await waitFor(() => lane.ack('lane-01') === 1, 10_000, 'HQ to ack seq 1');
    await w.kill('SIGKILL');
    await lane.publish(events.slice(1, 4)); // queued in w1's session
    await broker.restart(); // SIGTERM: Mosquitto saves its sessions and their queues
    await waitFor(() => lane.client.connected, 10_000, 'the lane to reconnect');
    w = await Worker.start(args);
    expect(w.out).toMatch(/session kept 86400 s, resumed\)/);
    await waitFor(() => lane.ack('lane-01') === 4, 10_000, 'HQ to ack seq 4 from the queue saved over the restart');
    await w.kill('SIGTERM');
    expect(await storedChain('lane-01')).toEqual({ count: 4, maxSeq: 4, problem: null });
  });

  it('--session-expiry sets the MQTT 5 session expiry; bad combinations are usage errors (exit 2)', async () => {
    const w = await Worker.start(['--db', db, '--broker', broker.url, '--client-id', 'hq-ingest-e', '--session-expiry', '120']);
    expect(w.out).toMatch(/\(client id hq-ingest-e, session kept 120 s\)/);
    await w.kill('SIGTERM');
    for (const bad of [
      ['--client-id', 'a', '--worker', 'b'],
      ['--session-expiry', '60'],
      ['--worker', 'w', '--session-expiry', '-1'],
      ['--worker', 'w', '--session-expiry', '4294967296'],
      ['--client-id', 'has space'],
    ]) {
      const child = spawn(process.execPath, [HQ_CLI, 'ingest', '--db', db, '--broker', broker.url, ...bad], { cwd: ROOT });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect({ bad, code }).toEqual({ bad, code: 2 });
      expect(err).toMatch(/--client-id|--worker|--session-expiry/);
    }
  });
});
