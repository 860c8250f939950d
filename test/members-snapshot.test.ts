/**
 * The store's signed member snapshot through a real Mosquitto (hq/members/snapshot.ts, service.ts): `hq serve`'s
 * member service publishes it retained on `kiosk/v1/{store}/_all/members` after a debounce on the injected clock —
 * at start, after an adjustment, after ingest stored a member's order — with an increasing version; a kiosk verifies
 * it with the signed-envelope verifier and checkMemberSnapshot; nothing is published when nothing changed; the
 * kiosks' `members/reported` are recorded and read back per kiosk. `hq members publish` does the same by hand.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import mqtt from 'mqtt';
import { SimulatedClock } from '../kernel/clock';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { ConsoleContext } from '../hq/console/types';
import type { HqIngest } from '../hq/ingest/ingest';
import type { IngestStore } from '../hq/ingest/store';
import { announceMemberChange } from '../hq/members/changes';
import { membersImport, membersPublish } from '../hq/members/cli';
import { adjustPoints, importMembers } from '../hq/members/operations';
import { kioskMembersStates } from '../hq/members/reported';
import { membersService } from '../hq/members/service';
import { latestSnapshot } from '../hq/members/snapshot';
import { checkMemberSnapshot, membersReportedTopic, membersTopic, type MemberSnapshot } from '../protocol/members/member-snapshot';
import { keyIdOf, verifyEnvelope, type Envelope } from '../protocol/signed-envelope';
import { CONSOLE_BACKENDS, closeConsoleBackends } from './support/console-fixture';
import { memberJournal } from './support/member-journals';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/sync-fixtures';

jest.setTimeout(120_000);
afterAll(closeConsoleBackends, 60_000);

const T = Date.UTC(2026, 11, 6, 9, 0);
const S = `MS${process.pid}`;

describe('member snapshots on a real broker', () => {
  let broker: Mosquitto;
  let hq: mqtt.MqttClient;
  let kiosk: mqtt.MqttClient;
  let store: IngestStore;
  let key: KeyObject;
  const retained: Buffer[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    hq = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    kiosk = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    kiosk.on('message', (t, p) => t === membersTopic(S) && retained.push(p));
    await kiosk.subscribeAsync(membersTopic(S), { qos: 1 });
    store = await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open();
    key = generateKeyPairSync('ed25519').privateKey;
  });
  afterAll(async () => {
    await store?.close();
    await kiosk?.endAsync();
    await hq?.endAsync();
    await broker?.close();
  });

  /** What a kiosk does with the retained bytes: verify (key, kind, scope, newer, body) and read the body. */
  const verify = (raw: Buffer, now: number, applied: number | null) =>
    verifyEnvelope<MemberSnapshot>(raw, new Map([[keyIdOf(key), createPublicKey(key)]]), now, {
      kind: 'members',
      scope: (s) => (s.kind === 'store' && s.store === S ? null : 'not this store'),
      appliedVersion: applied,
      body: checkMemberSnapshot,
    });

  it('publishes after the debounce, after an adjustment and after ingest changed balances; never when nothing changed', async () => {
    const clock = new SimulatedClock(T);
    const audit = new SqlAuditLog(store.db, clock);
    await importMembers(store, audit, 'id,type,name,points\nM1,personal,Li Lei,100\nG2,group,Team,0\n', { actor: 'cli:test', now: T });
    const k1 = memberJournal(S, 'k1', [
      { orderId: 'a', ts: T + 1, memberId: 'M1', pointsEarned: 5 },
      { orderId: 'b', ts: T + 2, memberId: 'M1', pointsRedeemed: 30 },
    ]);
    await store.acceptMany([k1[0]], T);
    const ingest = new EventEmitter() as unknown as HqIngest;
    const ctx = { store, clock, audit, live: { publish: () => undefined }, mqtt: hq, hqKey: key, ingest } as unknown as ConsoleContext;
    const svc = membersService({ debounceMs: 2000, everyMs: 60_000 })(ctx);
    try {
      clock.advance(1999);
      await new Promise((r) => setTimeout(r, 200));
      expect(retained).toHaveLength(0); // debounced: not yet
      clock.advance(1);
      await waitFor(() => retained.length === 1, 20_000, 'the first snapshot');
      const v1 = verify(retained[0], clock.now(), null);
      if (!v1.ok) throw new Error(`${v1.reason}: ${v1.detail}`);
      expect(v1.envelope).toMatchObject({ kind: 'members', scope: { kind: 'store', store: S } });
      expect(v1.envelope.body).toEqual({ v: 1, members: [['G2', 'group', 0], ['M1', 'personal', 105]], counted: { [`${S}/k1`]: 1 } });

      // an admin's adjustment: a newer snapshot with the new balance
      await adjustPoints(store, audit, { memberId: 'G2', points: 40, reason: 'welcome', actor: 'ada', now: clock.now() });
      announceMemberChange(store);
      clock.advance(2000);
      await waitFor(() => retained.length === 2, 20_000, 'the snapshot after the adjustment');
      const v2 = verify(retained[1], clock.now(), v1.envelope.version);
      if (!v2.ok) throw new Error(`${v2.reason}: ${v2.detail}`);
      expect(v2.envelope.body.members).toEqual([['G2', 'group', 40], ['M1', 'personal', 105]]);
      // the older one is what a kiosk that applied v2 refuses
      expect(verify(retained[0], clock.now(), v2.envelope.version)).toMatchObject({ ok: false, reason: 'not_newer' });

      // ingest stores the redemption: published after the debounce, counted moves with it
      const r = await store.acceptMany([k1[1]], clock.now());
      (ingest as unknown as EventEmitter).emit('accepted', k1[1], r[0]);
      clock.advance(2000);
      await waitFor(() => retained.length === 3, 20_000, 'the snapshot after ingest');
      const v3 = verify(retained[2], clock.now(), v2.envelope.version);
      if (!v3.ok) throw new Error(`${v3.reason}: ${v3.detail}`);
      expect(v3.envelope.body).toEqual({ v: 1, members: [['G2', 'group', 40], ['M1', 'personal', 75]], counted: { [`${S}/k1`]: 2 } });

      // nothing changed: the minute's check publishes nothing (the service records a snapshot after the broker took it)
      await waitFor(async () => (await latestSnapshot(store.db.read, S))?.version === v3.envelope.version, 20_000, 'v3 recorded');
      const before = v3.envelope.version;
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(retained).toHaveLength(3);
      expect((await latestSnapshot(store.db.read, S))!.version).toBe(before);

      // the kiosk reports what it applied: recorded per kiosk
      await kiosk.publishAsync(membersReportedTopic(S, 'k1'), JSON.stringify({ v: 1, version: v3.envelope.version, status: 'applied', members: 2, ts: clock.now() }), { qos: 1, retain: true });
      await kiosk.publishAsync(membersReportedTopic(S, 'k2'), '{"v":1,"status":"nonsense"}', { qos: 1, retain: true });
      await waitFor(async () => (await kioskMembersStates(store.db.read, S)).some((k) => k.report?.version === v3.envelope.version), 20_000, 'the report');
      expect(await kioskMembersStates(store.db.read, S)).toEqual([{ device: 'k1', report: { v: 1, version: v3.envelope.version, status: 'applied', members: 2, ts: clock.now() }, at: clock.now() }]);
    } finally {
      await svc.stop();
    }
  });

  it('`hq members import` then `hq members publish --store S` retain a snapshot a kiosk verifies', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'members-cli-'));
    try {
      const db = path.join(dir, 'hq.sqlite');
      const keyFile = path.join(dir, 'hq.key');
      fs.writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }));
      const csv = path.join(dir, 'members.csv');
      fs.writeFileSync(csv, 'id,type,name,points\nZ9,business,Zeta,12\n');
      const out: string[] = [];
      const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), clock: new SimulatedClock(T + 3_600_000) };
      await membersImport(csv, { db }, io);
      await membersImport(csv, { db }, io);
      expect(out).toEqual(['imported ' + csv + ': 1 created, 0 updated, 0 unchanged; 1 balance(s) set (+12 points)\n', 'imported ' + csv + ': 0 created, 0 updated, 1 unchanged; 0 balance(s) set (+0 points)\n']);
      const got = new Promise<Buffer>((resolve) => {
        const c = mqtt.connect(broker.url, { reconnectPeriod: 0 });
        c.on('message', (t, p) => {
          if (t === membersTopic('CLI1')) {
            resolve(p);
            c.end();
          }
        });
        c.on('connect', () => void c.subscribeAsync(membersTopic('CLI1'), { qos: 1 }));
      });
      await membersPublish({ db, key: keyFile, broker: broker.url, store: 'CLI1' }, io);
      expect(out[2]).toMatch(/^CLI1: member snapshot v\d+ \(1 members\) retained on kiosk\/v1\/CLI1\/_all\/members\n$/);
      const v = verifyEnvelope<MemberSnapshot>(await got, new Map([[keyIdOf(key), createPublicKey(key)]]), T + 3_600_000, { kind: 'members', body: checkMemberSnapshot });
      expect(v).toMatchObject({ ok: true, envelope: { body: { v: 1, members: [['Z9', 'business', 12]], counted: {} } } });
      expect((v as { envelope: Envelope }).envelope.scope).toEqual({ kind: 'store', store: 'CLI1' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
