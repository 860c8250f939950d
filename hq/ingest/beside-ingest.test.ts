/**
 * HQ writes that share no table with the ingest batches run beside them on PostgreSQL (pg-db.ts `besideIngest`),
 * not under the global write lock. bench/fleet (N = 1 000, K = 4) showed why: during the connect burst the console's
 * writes — the fleet alert evaluator's sync, a page view's session touch, one `members/reported` / `recalls/reported`
 * per kiosk birth, each rollout report — each waited for every batch in flight, and every batch queued behind them
 * (batches and console pages waited up to 9 s; a page timed out). Here an ingest batch is held open on a real
 * PostgreSQL: these writes complete while it is open; a global-lock write, the control, does not. (The kiosks'
 * `*_reported` and rollout reports go through the same writeBesideIngest.)
 */
import { Client } from 'pg';
import { Postgres } from '../../test/support/postgres';
import { chain } from '../../test/support/sync-fixtures';
import { addUser } from '../console/users';
import { createSession, findSession } from '../console/sessions';
import { SqlAuditLog } from '../audit/audit-log';
import { SqlAlerts } from '../fleet/alerts';
import { expireCommands } from '../fleet/commands';
import { SimulatedClock } from '../../kernel/clock';
import { PgIngestDb } from './pg-db';
import { IngestStore } from './store';

jest.setTimeout(60_000);
const T0 = Date.UTC(2026, 11, 7, 9, 0);
/** Long enough for any of the writes below on a loaded machine; a write under the global lock waits it out. */
const HOLD_MS = 8_000;

let pg: Postgres;
let store: IngestStore;

beforeAll(async () => {
  pg = await Postgres.start();
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('CREATE DATABASE beside');
  await admin.end();
  store = await IngestStore.open(pg.url.replace(/\/postgres$/, '/beside'));
  await addUser(store.db, { username: 'admin1', password: 'beside pw 1', role: 'admin', stores: [] }, T0);
}, 60_000);

afterAll(async () => {
  await store?.close();
  await pg?.close();
});

/**
 * Runs `write` while an ingest batch of S1/K1 holds its locks (7411 shared + the device's); answers whether the
 * write finished before the batch was let go, and that the batch then committed.
 */
async function whileBatchOpen(write: () => Promise<unknown>): Promise<'beside' | 'waited'> {
  const db = store.db as PgIngestDb;
  let entered!: () => void;
  const inBatch = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const batch = db.deviceTransaction([['S1', 'K1']], async (tx) => {
    await tx.get('SELECT 1');
    entered();
    await held;
  });
  await inBatch;
  const timer = setTimeout(release, HOLD_MS);
  try {
    const outcome = await Promise.race([write().then(() => 'beside' as const), held.then(() => 'waited' as const)]);
    return outcome;
  } finally {
    clearTimeout(timer);
    release();
    await batch;
  }
}

it('the control: a write under the global lock waits for the open batch', async () => {
  expect(await whileBatchOpen(() => store.db.transaction((tx) => tx.run("UPDATE users SET last_login_at = ? WHERE username = 'admin1'", [T0])))).toBe('waited');
});

it("the fleet alert evaluator's sync runs beside the batch", async () => {
  const alerts = new SqlAlerts(store.db);
  const a = { key: 'offline:S1/K2', kind: 'offline', severity: 'warning' as const, storeId: 'S1', deviceId: 'K2', message: 'Kiosk S1/K2 is offline.' };
  expect(await whileBatchOpen(() => alerts.sync('fleet', [a], T0))).toBe('beside');
  expect((await alerts.open({ all: true })).map((x) => x.key)).toEqual(['offline:S1/K2']);
  expect(await whileBatchOpen(() => alerts.sync('fleet', [], T0 + 1))).toBe('beside');
  expect(await alerts.open({ all: true })).toEqual([]);
});

it("a console login's session and a page view's touch run beside the batch", async () => {
  let cookie = '';
  expect(await whileBatchOpen(async () => (cookie = (await createSession(store.db, 'admin1', '127.0.0.1', T0)).cookie))).toBe('beside');
  // a request 20 s later touches the session (written at most every 15 s)
  expect(await whileBatchOpen(() => findSession(store.db, cookie, T0 + 20_000))).toBe('beside');
  const row = await store.db.read.get<{ last_seen_at: string }>('SELECT last_seen_at FROM sessions');
  expect(Number(row!.last_seen_at)).toBe(T0 + 20_000);
});

it("the audit log (every publish and rollout is audited) and the command sweep run beside the batch", async () => {
  const audit = new SqlAuditLog(store.db, new SimulatedClock(T0));
  expect(await whileBatchOpen(() => audit.record({ actor: 'system', action: 'members.publish', target: 'store:S1' }))).toBe('beside');
  expect(await whileBatchOpen(() => audit.record({ actor: 'system', action: 'members.publish', target: 'store:S2' }))).toBe('beside');
  const rows = await store.db.read.all<{ seq: string; target: string }>("SELECT seq, target FROM audit_log WHERE action = 'members.publish' ORDER BY seq");
  expect(rows.map((r) => r.target)).toEqual(['store:S1', 'store:S2']);
  expect(await whileBatchOpen(() => expireCommands({ store, clock: new SimulatedClock(T0) }))).toBe('beside');
});

describe('an ingest batch that yields contended lanes (HqIngest in a $share group)', () => {
  it("handles the lanes no other batch holds now and hands back the held lane's events, untouched", async () => {
    const k1 = chain('S1', 'K1', 3);
    const k2 = chain('S1', 'K2', 3);
    let outcome: Awaited<ReturnType<IngestStore['acceptBatch']>> | null = null;
    expect(await whileBatchOpen(async () => (outcome = await store.acceptBatch([k1[0], k2[0], k1[1], k2[1], k2[2], k1[2]], T0, { yieldContended: true })))).toBe('beside');
    expect(outcome!.accepted).toEqual(k2);
    expect(outcome!.deferred).toEqual(k1);
    expect(outcome!.results.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
    expect(Number((await store.device('S1', 'K2'))?.contiguous_seq)).toBe(3);
    expect(await store.device('S1', 'K1')).toBeUndefined();
  });

  it('waits for a lane when every lane of the batch is held (a batch always makes progress)', async () => {
    const k1 = chain('S1', 'K1', 2);
    let outcome: Awaited<ReturnType<IngestStore['acceptBatch']>> | null = null;
    let write: Promise<unknown> = Promise.resolve();
    // started once the other batch holds S1/K1
    expect(await whileBatchOpen(() => (write = store.acceptBatch(k1, T0, { yieldContended: true }).then((o) => (outcome = o))))).toBe('waited');
    await write;
    expect(outcome!.accepted).toEqual(k1);
    expect(outcome!.deferred).toEqual([]);
    expect(Number((await store.device('S1', 'K1'))?.contiguous_seq)).toBe(2);
  });
});

