/**
 * HQ's signed `return` command end to end over a real Mosquitto: `hq cmd S/D return --arg …` (signed with HQ's key) →
 * the kiosk's HQ link verifies it and runs the same policy-checked return as the lane → `cmd/result` back to HQ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kiosk } from '../device/kiosk';
import type { HqLink } from '../device/hq-link';
import { sendCommand } from '../hq/commands/cmd';
import { generateHqKeyPair } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import { tempDir } from './support/engine-fixture';
import { startHqLinkedKiosk } from './support/hq-linked-kiosk';
import { Mosquitto } from './support/mosquitto';

// the kiosk is given a broker, so the embedded Aedes HQ is never started (aedes v1 is an ES module jest cannot load)
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

describe('HQ return command over Mosquitto', () => {
  const HQ = generateHqKeyPair();
  const store = `S${process.pid}r`;
  const device = `K${process.pid}r`;
  let broker: Mosquitto;
  let dir: string;
  let k: Kiosk;
  let link: HqLink;
  let keyFile: string;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('kiosk-return-hq-');
    keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, HQ.privatePem, { mode: 0o600 });
    ({ k, link } = await startHqLinkedKiosk({ dataDir: dir, store, device, brokerUrl: broker.url, hqPublicPem: HQ.publicPem, now: Date.now() }));
  });
  afterAll(async () => {
    await link?.close();
    await k?.close();
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = (args: string[]) =>
    sendCommand(`${store}/${device}`, 'return', { key: keyFile, broker: broker.url, arg: args, wait: true, timeout: '60', json: true }, { out: () => undefined, clock: new SystemClock() });

  it('runs the policy-checked return at the kiosk; the same return id in a second command pays nothing again; refusals come back as failed', async () => {
    const [{ barcodes: [code] }] = await k.catalog.sample('plain', 1);
    const r = await k.lane.scan(code);
    if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
    const id = r.order.id;
    await k.engine.dispatch(id, { type: 'checkout_started' });
    await k.checkout.pay(id, 'cash');
    const paid = (await k.engine.dispatch(id, { type: 'order_completed' })).paid;

    // this store's policy: HQ approves; the lane may not
    await expect(k.returns.run(id, { returnId: 'lane-1', reason: 'defective', attendantId: 'att-1', by: 'lane' })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'approval' } });

    const bad = await send([`orderId=${id}`, 'returnId=hq-R0', 'reason=nope', 'approvedBy=alice']);
    expect(bad).toMatchObject({ name: 'return', status: 'failed', error: expect.stringMatching(/^RETURN_REFUSED \(reason\): .* \/ 退货原因/) });

    const first = await send([`orderId=${id}`, 'returnId=hq-R1', 'reason=defective', 'approvedBy=alice']);
    expect(first).toMatchObject({ name: 'return', status: 'ok', result: { replayed: false, state: 'refunded', refund: { amount: paid, reason: 'defective', returnId: 'hq-R1', attendantId: 'hq:alice' } } });
    const again = await send([`orderId=${id}`, 'returnId=hq-R1', 'reason=defective', 'approvedBy=alice']);
    expect(again).toMatchObject({ status: 'ok', result: { replayed: true, refund: { amount: paid, returnId: 'hq-R1' } } });
    const o = await k.engine.get(id);
    expect({ refunded: o.refunded, refunds: o.refunds.length }).toEqual({ refunded: paid, refunds: 1 });

    // args are checked against the command's schema before anything runs
    await expect(send([`orderId=${id}`, 'returnId=hq-R2', 'reason=defective', 'approvedBy=alice', 'amount=-5'])).rejects.toThrow(/amount/);
  });
});
