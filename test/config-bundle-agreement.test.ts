import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { defaultConfig } from '../config/defaults';
import { loadConfig } from '../config/load';
import { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { configTopic } from '../protocol/control/topics';
import type { Scope } from '../protocol/signed-envelope';
import { migrate } from '../runtime/db/migrations';
import { ConfigBundleManager } from '../runtime/hq-control/config-bundles';
import { TrustStore } from '../runtime/trust/trust-store';
import { bundleProblems, type BundleLayers } from '../hq/config/validate';
import { signed, T0, testKey, type TestKey } from './support/trust';

/**
 * HQ refuses to sign exactly what a kiosk refuses (issue 14, safe configuration): the same bodies go to the kiosk's
 * ConfigBundleManager (signed, on its topic) and to HQ's `bundleProblems`, and both must agree — accepted by the
 * kiosk ⇔ no problem at HQ, and when refused, the kiosk's `invalid_body` detail is HQ's problems.
 */

type Obj = Record<string, unknown>;
const me = { store: 's1', device: 'd1' };
const FLEET: Scope = { kind: 'fleet' };
const STORE: Scope = { kind: 'store', store: 's1' };

let dir: string;
let db: KioskDb;
let hq: TestKey;
let manager: ConfigBundleManager;
let clock: SimulatedClock;
const versions: Record<string, number> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-agree-'));
  hq = testKey();
  const trust = TrustStore.open(dir);
  trust.install([hq.publicPem], { replace: true, now: T0 });
  clock = new SimulatedClock(T0);
  db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  await migrate(db);
  const base = loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: me.store, deviceId: me.device, name: 'Lane 1' } } });
  manager = new ConfigBundleManager({ db, trust, clock, identity: me, base, canApplyNow: async () => true, onApplied: () => undefined });
  await manager.init();
});
afterAll(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Offers `body` to the kiosk at `scope` with a version newer than any before. */
async function kioskVerdict(scope: Scope, body: unknown): Promise<{ ok: boolean; reason?: string; detail?: string }> {
  const key = scope.kind;
  versions[key] = (versions[key] ?? 0) + 1;
  const r = await manager.offer(configTopic(scope), signed(hq, { scope, version: versions[key], body }, clock.now()));
  return r.ok ? { ok: true } : { ok: false, reason: r.reason, detail: r.detail };
}

async function expectAgreement(scope: Scope, body: unknown, layers: BundleLayers = {}): Promise<string[]> {
  const problems = bundleProblems(body, layers);
  const kiosk = await kioskVerdict(scope, body);
  if (problems.length === 0) expect(kiosk).toEqual({ ok: true });
  else expect(kiosk).toEqual({ ok: false, reason: 'invalid_body', detail: problems.join('; ') });
  return problems;
}

/** The sections a valid bundle may set: the default config without the provisioning-only fields. */
function validSections(): Obj {
  const { dataDir: _d, device, ...rest } = defaultConfig() as unknown as Obj;
  return { ...rest, device: { name: (device as Obj).name } };
}

/** Every path (object keys and array indexes) inside `v`. */
function pathsOf(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push([...at, i], ...pathsOf(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([...at, k], ...pathsOf(x, [...at, k]));
  return out;
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'unknown-key'; key: string; value: unknown };

function mutate(body: Obj, at: (string | number)[], m: Mutation): Obj {
  const copy = structuredClone(body) as Obj;
  let node: Record<string | number, unknown> = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = at[at.length - 1];
  if (m.kind === 'set') node[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    const target = node[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Obj)[m.key] = m.value;
    else node[last] = { [m.key]: m.value };
  }
  return copy;
}

const anyValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 100_000 }),
  fc.double({ min: -2, max: 2, noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('7%', '#12345', 'Asia/Shanghai', 'Mars/Base', 'en', 'zh-CN', 'exclusive', 'EUR', '978', 'pty', 'none'),
  fc.jsonValue({ maxDepth: 2 }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: anyValue }),
  fc.constant({ kind: 'delete' as const }),
  fc.record({ kind: fc.constant('unknown-key' as const), key: fc.constantFrom('vat', 'extra', 'rate', 'default', '__proto__', 'storeId'), value: anyValue }),
);

describe('HQ validation agrees with the kiosk', () => {
  it('hand cases: a wrong type, an unknown section or field, provisioning fields, a non-object, cross-field rules', async () => {
    expect(await expectAgreement(FLEET, { tax: { rate: '7%' } })).toEqual(['tax.rate: expected number ≥ 0 and ≤ 1, got "7%"']);
    expect(await expectAgreement(FLEET, { taxes: { rate: 0.07 } })).toEqual(['taxes: unknown field']);
    expect(await expectAgreement(FLEET, { tax: { vat: 0.07 } })).toEqual(['tax.vat: unknown field']);
    expect(await expectAgreement(FLEET, { dataDir: '/tmp/x' })).toEqual(['dataDir: cannot be set by a config bundle']);
    expect(await expectAgreement(FLEET, { device: { storeId: 'other' } })).toEqual(['device.storeId: cannot be set by a config bundle']);
    expect((await expectAgreement(FLEET, [1, 2]))[0]).toMatch(/^\(root\): expected an object/);
    expect((await expectAgreement(FLEET, { locales: { default: 'en', available: ['zh-CN'] } }))[0]).toMatch(/^locales\.default: expected default to be one of the available locales/);
    expect(await expectAgreement(FLEET, { timezone: 'Mars/Base' })).toEqual([expect.stringMatching(/^timezone: expected an IANA time zone/)]);
    expect(await expectAgreement(FLEET, { tax: { rate: 0.07 }, loyalty: { per: 50 } })).toEqual([]);
    expect(await expectAgreement(FLEET, { trust: { add: ['not a key'] } })).toEqual([expect.stringMatching(/^trust\.add\.0: expected an Ed25519 public key/)]);
  });

  it('a store bundle is checked with the fleet bundle in force under it', async () => {
    // the kiosk now runs fleet: available = [en] (accepted, applied); a store bundle making zh-CN the default breaks that
    expect(await expectAgreement(FLEET, { locales: { default: 'en', available: ['en'] } })).toEqual([]);
    const fleet = { locales: { default: 'en', available: ['en'] } };
    expect(await expectAgreement(STORE, { locales: { default: 'zh-CN' } }, { before: [fleet] })).toEqual([
      expect.stringMatching(/^locales\.default: expected default to be one of the available locales/),
    ]);
    // without the fleet layer HQ would have said yes: the layers matter
    expect(bundleProblems({ locales: { default: 'zh-CN' } })).toEqual([]);
    // back to a neutral fleet bundle for the property below
    expect(await expectAgreement(FLEET, {})).toEqual([]);
  });

  it('property: mutated valid configs get the same verdict and the same problems from both', async () => {
    const valid = validSections();
    const paths = pathsOf(valid);
    const sections = Object.keys(valid);
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.subarray(sections, { minLength: 1 }), fc.array(fc.tuple(fc.nat({ max: paths.length - 1 }), mutation), { minLength: 0, maxLength: 3 }), async (keep, muts) => {
        let body: Obj = Object.fromEntries(keep.map((k) => [k, valid[k]]));
        for (const [i, m] of muts) {
          const at = paths[i];
          if (!keep.includes(String(at[0]))) continue;
          try {
            body = mutate(body, at, m);
          } catch {
            // an earlier mutation removed the path's parent
          }
        }
        const problems = await expectAgreement(FLEET, body);
        if (problems.length) refused++;
        else accepted++;
      }),
      { numRuns: 150, seed: 1414 },
    );
    // the generator must produce both outcomes, or the property proves little
    expect(refused).toBeGreaterThan(20);
    expect(accepted).toBeGreaterThan(10);
  });
});
