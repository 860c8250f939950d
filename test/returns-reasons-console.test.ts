/**
 * The Return form's reason on the console's order page: a drop-down of the store's configured return reasons (the
 * `returns` policy of the config HQ published at the fleet / store / device levels), labelled in the console
 * language; free text when HQ has published no config for that store.
 */
import { addUser } from '../hq/console/users';
import { ConfigRegistry } from '../hq/config/registry';
import type { IngestStore } from '../hq/ingest/store';
import { canonicalJson } from '../kernel/canonical-json';
import type { EventMessage } from '../protocol/sync/messages';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { journalKiosk, sell } from './support/kiosk-journals';

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

const POLICY = {
  days: 14,
  reasons: [
    { id: 'damaged', label: { en: 'Damaged in transport', 'zh-CN': '运输破损' } },
    { id: 'expired', label: { en: 'Past its date', 'zh-CN': '已过期' } },
  ],
  approval: 'attendant',
  supervisors: [],
  originalMethodOnly: true,
};

async function publishBody(store: IngestStore, scope: string, version: number, body: Record<string, unknown>): Promise<void> {
  await store.db.transaction((tx) =>
    ConfigRegistry.insert(tx, { scope, version, body: canonicalJson(body), envelope: '{}', published_by: 'admin', published_at: T0, expires_at: T0 + 86_400_000, kind: 'publish', rolled_back_from: null }),
  );
}

describe('order page: the Return form\'s reasons', () => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  const orders: Record<string, string> = {};

  beforeAll(async () => {
    const events: EventMessage[] = [];
    for (const [s, d] of [['S1', 'K1'], ['S2', 'K2']]) {
      const k = await journalKiosk(s, d, Date.UTC(2026, 0, 1, 9, 0));
      try {
        orders[s] = (await sell(k, { items: [{ sku: 'A', price: 1500 }] })).id;
        events.push(...(await k.events()));
      } finally {
        await k.close();
      }
    }
    store = await CONSOLE_BACKENDS[0].open();
    await store.acceptBatch(events);
    await addUser(store.db, { username: 'admin', password: PW, role: 'admin', stores: [] }, T0);
    fx = await consoleFixture(store, {}, T0);
  }, 60_000);
  afterAll(async () => {
    await fx?.app.close();
    await store?.db.close();
    await closeConsoleBackends();
  });

  const reasonField = (body: string) => /<form[^>]*\/return"[\s\S]*?<\/form>/.exec(body)?.[0] ?? '';
  const options = (form: string) => [...form.matchAll(/<option value="([^"]+)">([^<]*)<\/option>/g)].map((m) => [m[1], m[2]]);

  it('offers free text without config, then the store\'s reasons in the console language, the defaults where no level sets them', async () => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login('admin', PW)).statusCode).toBe(303);
    const s1 = `/orders/S1/K1/${orders.S1}`;
    const s2 = `/orders/S2/K2/${orders.S2}`;

    // HQ has published no config: free text, as before
    let form = reasonField((await b.get(s1)).body);
    expect(form).toContain('<input name="reason" required');
    expect(form).not.toContain('<select name="reason"');

    // the store's policy, published at the store level: its reasons, labelled in the console language
    await publishBody(store, 'store:S1', 1, { returns: POLICY });
    form = reasonField((await b.get(s1)).body);
    expect(form).not.toContain('<input name="reason"');
    expect(options(form)).toEqual([
      ['damaged', 'Damaged in transport'],
      ['expired', 'Past its date'],
    ]);
    expect(options(reasonField((await b.get(`${s1}?lang=zh-CN`)).body))).toEqual([
      ['damaged', '运输破损'],
      ['expired', '已过期'],
    ]);
    await b.get(`${s1}?lang=en`); // the language choice sticks: back to English

    // the other store has no config of its own yet: still free text
    expect(reasonField((await b.get(s2)).body)).toContain('<input name="reason" required');

    // a fleet-level config without `returns`: S2's kiosks run the default policy, so its reasons; S1 keeps its own
    await publishBody(store, 'fleet', 1, { timeouts: { idlePromptMs: 45_000 } });
    expect(options(reasonField((await b.get(s2)).body)).map((o) => o[0])).toEqual(['defective', 'wrong-item', 'changed-mind']);
    expect(options(reasonField((await b.get(s1)).body)).map((o) => o[0])).toEqual(['damaged', 'expired']);

    // a device-level policy wins over the store's for that kiosk's orders
    await publishBody(store, 'device:S1/K1', 1, { returns: { ...POLICY, reasons: [POLICY.reasons[1]] } });
    expect(options(reasonField((await b.get(s1)).body))).toEqual([['expired', 'Past its date']]);
  }, 60_000);
});
