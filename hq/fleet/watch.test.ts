import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SystemClock } from '../../kernel/clock';
import { stateTopic } from '../../protocol/topics';
import { Mosquitto } from '../../test/support/mosquitto';
import { chain, tmpDir } from '../../test/support/sync-fixtures';
import { watchFleet } from '../commands/watch';
import { FleetView } from '../ingest/fleet';
import { IngestStore } from '../ingest/store';
import { writeFleet } from './fleet-table';

/** `hq watch`: --db reads HQ's store (last event, last seen, retired), --json is JSON only, offline rows say since when. */

const T = Date.UTC(2026, 11, 6, 9, 0);
const ROOT = path.resolve(__dirname, '..', '..');
let broker: Mosquitto;
let dir: string;
let db: string;

beforeAll(async () => {
  broker = await Mosquitto.start({ persistence: false });
  dir = tmpDir('hq-watch-');
  db = path.join(dir, 'hq.sqlite');
  const store = await IngestStore.open(db);
  const view = new FleetView();
  const hear = (d: string, leaf: string, o: object, at = T) => view.apply(`kiosk/v1/W1/${d}/${leaf}`, JSON.stringify(o), at);
  hear('K1', 'state', { v: 1, online: true, ts: T, software: '3.0.1' });
  hear('K2', 'state', { v: 1, online: true, ts: T, software: '3.0.1' });
  hear('K2', 'state', { v: 1, online: false, ts: T + 60_000, software: '3.0.1' }, T + 60_000);
  hear('K3', 'state', { v: 1, online: true, ts: T, software: '3.0.1' });
  await writeFleet(store.db, view.entriesList());
  await store.acceptMany(chain('W1', 'K1', 2), T + 5000);
  await store.retireKiosk('W1', 'K3', 'alice', T + 1000);
  await store.close();
}, 60_000);
afterAll(async () => {
  await broker.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('--db --broker --once --json: JSON only, last event from the store, retired left out, a fresh birth is not "no telemetry"', async () => {
  const kiosk = await mqtt.connectAsync(broker.url);
  await kiosk.publishAsync(stateTopic('W1', 'K1'), JSON.stringify({ v: 1, online: true, ts: Date.now(), software: '3.0.2' }), { qos: 1, retain: true });
  await kiosk.publishAsync(stateTopic('W1', 'K3'), JSON.stringify({ v: 1, online: true, ts: T, software: '3.0.1' }), { qos: 1, retain: true });
  const out: string[] = [];
  const rows = await watchFleet({ broker: broker.url, db, once: true, json: true, settleMs: 300 }, { out: (t) => out.push(t), clock: new SystemClock() });
  expect(JSON.parse(out.join(''))).toEqual(JSON.parse(JSON.stringify(rows)));
  expect(rows.map((r) => r.deviceId)).toEqual(['K1', 'K2']);
  const [k1, k2] = rows;
  expect(k1).toMatchObject({ online: true, software: '3.0.2', health: 'ok' });
  expect(k1.lastEventTs).toBe(chain('W1', 'K1', 2)[1].ts);
  expect(k2).toMatchObject({ online: false, since: T + 60_000, health: 'offline', lastSeen: T + 60_000 });
  await kiosk.publishAsync(stateTopic('W1', 'K1'), '', { qos: 1, retain: true });
  await kiosk.publishAsync(stateTopic('W1', 'K3'), '', { qos: 1, retain: true });
  await kiosk.endAsync();
});

it('the table shows when an offline kiosk went offline', async () => {
  const out: string[] = [];
  await watchFleet({ db, once: true }, { out: (t) => out.push(t), clock: new SystemClock() });
  const text = out.join('');
  expect(text).toMatch(/^store\s+device\s+online\s+software\s+config\s+pricebook\s+backlog\s+last event\s+since\s+last seen\s+health/);
  expect(text).toMatch(/W1\s+K2\s+no\s+.*2026-12-06 09:01:00.*offline/);
  expect(text).not.toMatch(/K3/);
});

// the built CLI (`npm run build` first, as for the other CLI tests)
it('`hq watch --db FILE --once --json` prints JSON that parses', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'hq', 'cli.js'), 'watch', '--db', db, '--once', '--json'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const rows = JSON.parse(r.stdout) as { deviceId: string; since: number | null }[];
  expect(rows.map((x) => x.deviceId)).toEqual(['K1', 'K2']);
  expect(rows[1].since).toBe(T + 60_000);
});
