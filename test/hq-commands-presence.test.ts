import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SimulatedClock, SystemClock } from '../kernel/clock';
import { PresencePublisher, stateWill } from '../runtime/hq-sync/presence';
import { eventsTopic } from '../protocol/topics';
import { Mosquitto } from './support/mosquitto';
import { chain, tmpDir, waitFor } from './support/sync-fixtures';
import { redactUrl, runIngest } from '../hq/commands/ingest';
import { watchFleet } from '../hq/commands/watch';
import { IngestStore } from '../hq/ingest/store';
import { Postgres } from './support/postgres';
import { renderFleet } from '../hq/ingest/fleet';
import { listQuarantine } from '../hq/commands/quarantine';
import { entryHash, GENESIS_HASH } from '../protocol/journal/entry';
import type { EventMessage } from '../protocol/sync/messages';

describe('hq watch / hq ingest commands and the kiosk presence they show', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tmpDir('hq-cmds-');
  });
  afterAll(async () => {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('watch --once shows a kiosk online with versions, backlog and health, then offline after its last will', async () => {
    const clock = new SimulatedClock();
    const kiosk = await mqtt.connectAsync(broker.url, { protocolVersion: 5, will: stateWill('S9', 'K9'), reconnectPeriod: 0 });
    const presence = new PresencePublisher({
      client: kiosk,
      storeId: 'S9',
      deviceId: 'K9',
      clock,
      software: '2.4.0',
      versions: () => ({ configVersion: 12, pricebookVersion: 'pb-2026-01' }),
      counters: () => ({ orders: 3 }),
      backlog: async () => 42,
      devices: () => ({ scanner: 'ok', printer: { status: 'cover_open' } }),
      diskPath: dir,
      telemetryIntervalMs: 5000,
    });
    presence.start();
    const out: string[] = [];
    const watching = watchFleet({ broker: broker.url, once: true, json: true, settleMs: 800 }, { out: (t) => out.push(t), clock: new SystemClock() });
    await new Promise((r) => setTimeout(r, 300));
    clock.advance(5000); // one telemetry tick
    const rows = await watching;
    expect(JSON.parse(out.join(''))).toEqual(rows);
    expect(rows).toEqual([
      expect.objectContaining({ storeId: 'S9', deviceId: 'K9', online: true, software: '2.4.0', configVersion: 12, pricebookVersion: 'pb-2026-01', backlog: 42, health: 'printer: cover_open' }),
    ]);
    expect(renderFleet(rows)).toMatch(/S9\s+K9\s+yes\s+2\.4\.0\s+12\s+pb-2026-01\s+42/);

    // a crash (no DISCONNECT): the broker publishes the retained last will
    kiosk.stream.destroy();
    await waitFor(async () => {
      const snap = await watchFleet({ broker: broker.url, once: true, json: true, settleMs: 300 }, { out: () => undefined, clock: new SystemClock() });
      return snap[0]?.online === false && snap[0].health === 'offline';
    }, 10_000, 'the last will');
    kiosk.end(true);
  });

  it('a clean presence stop publishes the retained offline state', async () => {
    const kiosk = await mqtt.connectAsync(broker.url, { protocolVersion: 4, will: stateWill('S9', 'K10') });
    const presence = new PresencePublisher({ client: kiosk, storeId: 'S9', deviceId: 'K10', clock: new SimulatedClock(), software: '1', versions: () => ({ configVersion: null, pricebookVersion: null }), backlog: async () => 0 });
    presence.start();
    expect(presence.stateMessage()).toMatchObject({ v: 1, online: true, software: '1' });
    await presence.stop();
    await kiosk.endAsync();
    const rows = await watchFleet({ broker: broker.url, once: true, json: true, settleMs: 300 }, { out: () => undefined, clock: new SystemClock() });
    expect(rows.find((r) => r.deviceId === 'K10')).toMatchObject({ online: false, health: 'offline' });
  });

  it.each(['SQLite', 'PostgreSQL'])('ingest runs until aborted, stores events in %s and prints summary lines', async (backend) => {
    let pg: Postgres | null = null;
    if (backend === 'PostgreSQL') pg = await Postgres.start();
    const db = pg ? pg.url : path.join(dir, 'hq.sqlite');
    const ac = new AbortController();
    const out: string[] = [];
    const clock = new SimulatedClock();
    const running = runIngest({ db, broker: broker.url, every: '5' }, { out: (t) => out.push(t), clock, signal: ac.signal });
    await waitFor(() => out.some((l) => l.startsWith('ingest: ') && l.includes(db)));
    const pub = await mqtt.connectAsync(broker.url);
    await new Promise((r) => setTimeout(r, 200));
    for (const e of chain('S9', 'K11', 5)) await pub.publishAsync(eventsTopic('S9', 'K11'), JSON.stringify(e), { qos: 1 });
    // another kiosk under the same identity: its seq 1 conflicts with the stored one
    const base = { ...chain('S9', 'K11', 1)[0], payload: '{"total":77}' };
    await pub.publishAsync(eventsTopic('S9', 'K11'), JSON.stringify({ ...base, hash: entryHash(base) }), { qos: 1 });
    await pub.endAsync();
    await waitFor(async () => {
      clock.advance(5000);
      return out.some((l) => l.includes('stored 5,') && l.includes('quarantined 1,'));
    });
    ac.abort();
    const stats = await running;
    expect(stats).toMatchObject({ stored: 5, duplicate: 0, rejected: 1, quarantined: 1 });
    expect(out).toContainEqual('ingest: rejected S9/K11 seq 1: conflicts with stored seq 1\n');
    expect(out).toContainEqual(expect.stringMatching(/^ingest: ALERT S9\/K11: 1 entry \(seq 1\.\.1\) quarantined, not acked: conflicts with stored seq 1/));
    expect(out[out.length - 1]).toMatch(/^ingest: stored 5, duplicate 0, rejected 1, quarantined 1, malformed 0, resend requests 0, devices 1\n$/);
    const store = await IngestStore.open(db);
    expect((await store.device('S9', 'K11'))?.contiguous_seq).toBe(5);
    await store.close();
    await pg?.close();
  }, 60_000);

  it('hq quarantine lists the chains HQ refused, per device and entry by entry', async () => {
    const db = path.join(dir, 'quarantine.sqlite');
    const store = await IngestStore.open(db);
    await store.acceptMany(chain('S9', 'K12', 3), 1_767_258_000_000);
    // the same identity's chain from another database: other payloads, so other hashes from seq 1 on
    const other: EventMessage[] = [];
    for (const e of chain('S9', 'K12', 4)) {
      const base = { ...e, payload: `{"other":${e.seq}}`, prevHash: other[other.length - 1]?.hash ?? GENESIS_HASH };
      other.push({ ...base, hash: entryHash(base) });
    }
    const outcome = await store.acceptBatch(other, 1_767_258_060_000);
    await store.close();
    expect(outcome.quarantined).toHaveLength(4);
    const out: string[] = [];
    const chains = await listQuarantine({ db }, { out: (t) => out.push(t) });
    expect(chains).toEqual([expect.objectContaining({ storeId: 'S9', deviceId: 'K12', entries: 4, fromSeq: 1, toSeq: 4, reason: 'conflicts with stored seq 1' })]);
    expect(out.join('')).toMatch(/S9\s+K12\s+4\s+1\.\.4\s+conflicts with stored seq 1\s+2026-01-01 09:01:00/);
    out.length = 0;
    const rows = await listQuarantine({ db, device: 'S9/K12', json: true }, { out: (t) => out.push(t) });
    expect(JSON.parse(out.join('')).map((r: { seq: number; reason: string }) => [r.seq, r.reason])).toEqual([
      [1, 'conflicts with stored seq 1'],
      [2, 'conflicts with stored seq 2'],
      [3, 'conflicts with stored seq 3'],
      [4, 'chain break at seq 4'],
    ]);
    expect(rows).toHaveLength(4);
    await expect(listQuarantine({ db, device: 'S9' }, { out: () => undefined })).rejects.toThrow(/STORE\/DEVICE/);
  });

  it('never prints a database or broker password', () => {
    expect(redactUrl('postgres://hq:s3cret@db.example:5432/sales')).toBe('postgres://hq:***@db.example:5432/sales');
    expect(redactUrl('/var/lib/hq/ingest.sqlite')).toBe('/var/lib/hq/ingest.sqlite');
  });
});

describe('hq command registration', () => {
  it('adds `ingest` and `watch` with their options to the hq program', async () => {
    const { Command } = await import('commander');
    const { COMMANDS } = await import('../hq/commands');
    const program = new Command();
    for (const register of COMMANDS) register(program);
    const byName = new Map(program.commands.map((c) => [c.name(), c]));
    expect(byName.get('ingest')?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--db', '--broker', '--shared', '--username', '--password']));
    expect(byName.get('watch')?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--broker', '--once', '--json']));
    expect(byName.get('quarantine')?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--db', '--device', '--json']));
  });
});
