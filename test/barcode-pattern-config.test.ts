import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { migrate } from '../runtime/db/migrations';
import { ConfigError } from '../kernel/errors';
import { ConfigBundleManager } from '../runtime/hq-control/config-bundles';
import { signed, T0, testKey } from './support/trust';
import { configTopic } from '../protocol/control/topics';
import { TrustStore } from '../runtime/trust/trust-store';

/**
 * Issue 11 point 11: a barcode pattern that can backtrack catastrophically (`(\d+)+y`) is refused where it enters
 * the kiosk — the local config and a signed config bundle from HQ — with a message naming the pattern, so it never
 * runs on a scan.
 */
const EVIL = '(\\d+)+y';
const NAMED = /barcodes\.paymentCodes\[3\]: pattern "\(\\\\d\+\)\+y" repeats without bound .*backtrack catastrophically/;
const evilCodes = [
  { channel: 'alipay', pattern: '(?:2[5-9]|30)\\d{14,22}' },
  { channel: 'wechat_pay', pattern: '1[0-5]\\d{16}' },
  { channel: 'unionpay', pattern: '62\\d{17}' },
  { channel: 'evil', pattern: EVIL },
];

describe('a catastrophically backtracking barcode pattern', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-patterns-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('in the config file: loadConfig refuses it with a ConfigError naming the pattern', () => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ barcodes: { paymentCodes: evilCodes } }));
    let err: unknown;
    try {
      loadConfig({ env: {}, configPath: file });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(NAMED)]);
    // the same file without it loads
    fs.writeFileSync(file, JSON.stringify({ barcodes: { paymentCodes: evilCodes.slice(0, 3) } }));
    expect(loadConfig({ env: {}, configPath: file }).barcodes.paymentCodes).toHaveLength(3);
  });

  it('in a signed config bundle: rejected as invalid_body naming the pattern, the config in force unchanged', async () => {
    const hq = testKey();
    const trust = TrustStore.open(dir);
    trust.install([hq.publicPem], { replace: true, now: T0 });
    const base = loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: 's1', deviceId: 'd1', name: 'Lane 1' } } });
    const clock = new SimulatedClock(T0);
    const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    try {
      await migrate(db);
      const applied: unknown[] = [];
      const m = new ConfigBundleManager({ db, trust, clock, identity: { store: 's1', device: 'd1' }, base, canApplyNow: async () => true, onApplied: (c) => void applied.push(c) });
      await m.init();
      const scope = { kind: 'fleet' } as const;
      const res = await m.offer(configTopic(scope), signed(hq, { scope, version: 1, body: { barcodes: { paymentCodes: evilCodes } } }, clock.now()));
      expect(res).toMatchObject({ ok: false, reason: 'invalid_body', detail: expect.stringMatching(NAMED), report: { status: 'rejected', reason: 'invalid_body' } });
      expect(applied).toEqual([]);
      const ok = await m.offer(configTopic(scope), signed(hq, { scope, version: 1, body: { barcodes: { paymentCodes: evilCodes.slice(0, 3) } } }, clock.now()));
      expect(ok.ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});
