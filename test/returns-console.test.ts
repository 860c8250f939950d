/**
 * The console's Return form on an order's page: who may send it (`orders.return`), what it signs and publishes (HQ's
 * `return` command with the user as approver), the audit entry, the kiosk's answer shown once recorded, and a lane
 * return's reason and return id shown in the refunds table.
 */
import { createPrivateKey } from 'node:crypto';
import mqtt from 'mqtt';
import { addUser } from '../hq/console/users';
import { generateHqKeyPair } from '../hq/signing';
import type { IngestStore } from '../hq/ingest/store';
import { commandTopic } from '../protocol/control/topics';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { journalKiosk, sell } from './support/kiosk-journals';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';
import type { EventMessage } from '../protocol/sync/messages';

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

describe('order page: Return form', () => {
  let broker: Mosquitto;
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let hqClient: mqtt.MqttClient;
  let kioskSide: mqtt.MqttClient;
  const published: { topic: string; body: { name: string; args: Record<string, unknown> } }[] = [];
  let orderId = '';
  let events: EventMessage[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    const k = await journalKiosk('S1', 'K1', Date.UTC(2026, 0, 1, 9, 0));
    try {
      const o = await sell(k, { items: [{ sku: 'A', price: 1500 }, { sku: 'B', price: 500 }] });
      orderId = o.id;
      const pay = o.payments[0];
      await k.engine.dispatch(o.id, {
        type: 'refund_issued',
        amount: 500,
        attendantId: 'sup-1',
        allocations: [{ attemptId: pay.attemptId, method: pay.method, amount: 500, via: 'refund' }],
        reason: 'defective',
        returnId: 'lane-R7',
      });
      events = await k.events();
    } finally {
      await k.close();
    }
    store = await CONSOLE_BACKENDS[0].open();
    await store.acceptBatch(events);
    await addUser(store.db, { username: 'mgr', password: PW, role: 'store_manager', stores: ['S1'] }, T0);
    await addUser(store.db, { username: 'mgr2', password: PW, role: 'store_manager', stores: ['S2'] }, T0);
    await addUser(store.db, { username: 'aud', password: PW, role: 'auditor', stores: [] }, T0);
    fx = await consoleFixture(store, {}, T0);
    hqClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    fx.ctx.mqtt = hqClient;
    fx.ctx.hqKey = createPrivateKey(generateHqKeyPair().privatePem);
    kioskSide = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    kioskSide.on('message', (topic, payload) => published.push({ topic, body: (JSON.parse(payload.toString()) as { body: (typeof published)[number]['body'] }).body }));
    await kioskSide.subscribeAsync(commandTopic('S1', 'K1'), { qos: 1 });
  }, 60_000);
  afterAll(async () => {
    await kioskSide?.endAsync();
    await hqClient?.endAsync();
    await fx?.app.close();
    await store?.db.close();
    await broker?.close();
    await closeConsoleBackends();
  });
  const as = async (user: string) => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    return b;
  };

  it('shows a lane return with its reason and id; a store manager sends a signed, audited return; others may not', async () => {
    const href = `/orders/S1/K1/${orderId}`;
    const mgr = await as('mgr');
    const page = await mgr.get(href);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<td>defective<\/td><td><code>lane-R7<\/code><\/td>/);
    const returnId = /name="returnId" value="([^"]+)"/.exec(page.body)?.[1];
    expect(returnId).toMatch(/^hq-/);

    const r = await mgr.post(`${href}/return`, { returnId: returnId!, reason: 'defective', amount: '700' });
    expect(r.statusCode).toBe(303);
    const sent = await waitFor('the command at the kiosk', () => published[0]);
    expect(sent.body).toMatchObject({ name: 'return', args: { orderId, returnId, reason: 'defective', approvedBy: 'mgr', amount: 700 } });
    expect(fx.rec.audit).toContainEqual(expect.objectContaining({ actor: 'mgr', action: 'command.send', target: 'S1/K1', detail: expect.objectContaining({ name: 'return' }) }));

    // the kiosk's answer, as the command-results service records it, is shown on the page
    const cmd = (await store.db.read.get<{ id: string }>("SELECT id FROM commands WHERE name = 'return'"))!.id;
    await store.db.transaction((tx) =>
      tx.run("UPDATE commands SET status = 'ok', result = ? WHERE id = ?", [
        JSON.stringify({ v: 1, id: cmd, name: 'return', status: 'ok', result: { replayed: false, refund: { amount: 700, reason: 'defective' } } }),
        cmd,
      ]),
    );
    const after = await mgr.get(href);
    expect(after.body).toContain(`<code>${returnId}</code>`);
    expect(after.body).toMatch(/<td>ok<\/td><td>700 \(defective\)<\/td>/);

    // an auditor sees the page without the form and may not post; another store's manager gets 404
    const aud = await as('aud');
    const audPage = await aud.get(href);
    expect(audPage.statusCode).toBe(200);
    expect(audPage.body).not.toContain('name="returnId"');
    expect((await aud.post(`${href}/return`, { reason: 'defective' })).statusCode).toBe(403);
    const other = await as('mgr2');
    await other.get('/orders');
    expect((await other.post(`${href}/return`, { reason: 'defective' })).statusCode).toBe(404);
    // bad args never leave HQ: the command schema refuses them
    expect((await mgr.post(`${href}/return`, { reason: 'no spaces allowed' })).statusCode).toBe(400);
    expect(published).toHaveLength(1);
  }, 60_000);
});
