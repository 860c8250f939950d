/**
 * `attendant.badges` and `attendant.idleTimeoutMs` (issue 10/11) from the local config and from an HQ signed config
 * bundle (real SQLite, real Ed25519 signatures), and a gate that reads the config in force at every check.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../config/load';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../db/migrations';
import { ConfigBundleManager } from '../hq-control/config-bundles';
import type { Scope } from '../../protocol/signed-envelope';
import { signed, T0, testKey } from '../../test/support/trust';
import { configTopic } from '../../protocol/control/topics';
import { TrustStore } from '../trust/trust-store';
import { AttendantGate } from './attendant-gate';
import { hashBadge } from './pin';

const FAST = { N: 1024, r: 8, p: 1 } as const;
const STORE: Scope = { kind: 'store', store: 's1' };

describe('attendant badge config', () => {
  let dir: string;
  let db: KioskDb;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-attendant-config-'));
    db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    await migrate(db);
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('defaults: no enrolled badge, 60 s idle timeout', () => {
    const c = loadConfig({ env: {}, overrides: { dataDir: dir } });
    expect(c.attendant.badges).toEqual([]);
    expect(c.attendant.idleTimeoutMs).toBe(60_000);
  });

  it('the local config accepts enrolled badges and refuses a badge entry that is not an scrypt hash', async () => {
    const hash = await hashBadge('ATT0042', FAST);
    const c = loadConfig({ env: {}, overrides: { dataDir: dir, attendant: { badges: [{ attendantId: 'att-9', hash }], idleTimeoutMs: 30_000 } } });
    expect(c.attendant.badges).toEqual([{ attendantId: 'att-9', hash }]);
    expect(c.attendant.idleTimeoutMs).toBe(30_000);
    expect(() => loadConfig({ env: {}, overrides: { dataDir: dir, attendant: { badges: [{ attendantId: 'att-9', hash: 'ATT0042' }] } } })).toThrow(/attendant\.badges\.0\.hash/);
    expect(() => loadConfig({ env: {}, overrides: { dataDir: dir, attendant: { idleTimeoutMs: 10 } } })).toThrow(/attendant\.idleTimeoutMs/);
  });

  it('an HQ signed bundle enrols a badge (applied, in force for the gate at once); a malformed entry is invalid_body naming the field', async () => {
    const hq = testKey();
    const trust = TrustStore.open(dir);
    trust.install([hq.publicPem], { replace: true, now: T0 });
    const clock = new SimulatedClock(T0);
    const base = loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: 's1', deviceId: 'd1', name: 'Lane 1' } } });
    const m = new ConfigBundleManager({ db, trust, clock, identity: { store: 's1', device: 'd1' }, base, canApplyNow: async () => true, onApplied: () => undefined });
    await m.init();
    const gate = new AttendantGate({
      get pins() {
        return m.current().attendant.pins;
      },
      get badges() {
        return m.current().attendant.badges;
      },
      maxAttempts: 5,
      lockoutMs: 60_000,
      badgePattern: base.attendant.badgePattern,
      clock,
    });
    await expect(gate.checkBadge('ATT0042')).resolves.toMatchObject({ ok: false, reason: 'unknown_badge' });

    const hash = await hashBadge('ATT0042', FAST);
    const ok = await m.offer(configTopic(STORE), signed(hq, { scope: STORE, version: 1, body: { attendant: { badges: [{ attendantId: 'att-9', hash }] } } }, clock.now()));
    expect(ok).toMatchObject({ ok: true, applied: true });
    expect(m.current().attendant.badges).toEqual([{ attendantId: 'att-9', hash }]);
    await expect(gate.checkBadge('ATT0042')).resolves.toEqual({ ok: true, attendantId: 'att-9' });

    const bad = await m.offer(configTopic(STORE), signed(hq, { scope: STORE, version: 2, body: { attendant: { badges: [{ attendantId: 'att-9', hash: 'ATT0042' }] } } }, clock.now()));
    expect(bad).toMatchObject({ ok: false, reason: 'invalid_body' });
    expect(JSON.stringify(bad)).toMatch(/attendant\.badges\.0\.hash/);
    expect(m.current().attendant.badges).toEqual([{ attendantId: 'att-9', hash }]); // the last good config stays
  });
});
