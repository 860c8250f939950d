/** The return slip says how many member points the return took back (and nothing about points without a member). */
import { defaultReturnsPolicy } from '../../config/returns-policy';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import type { Order } from '../orders/order';
import { returnSlipJob } from './return-slip';

let f: Fixture;
beforeEach(async () => (f = await engineFixture()));
afterEach(() => f.close());

const header = (locale: string) => ({ storeName: 'Store', storeId: 's1', deviceId: 'lane-test', currency: 'CNY', minorUnits: 2, locale, timeZone: 'Asia/Shanghai' });
const text = (o: Order, returnId: string, locale: string) =>
  returnSlipJob(o, returnId, header(locale), defaultReturnsPolicy())
    .blocks.map((b) => (b.kind === 'line' ? `${b.left} | ${b.right}` : b.kind === 'text' ? b.text : ''))
    .join('\n');

async function sale(memberId?: string): Promise<Order> {
  let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 4321) });
  o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('B', 1999) });
  if (memberId) o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId });
  o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
  o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `a-${o.id}`, method: 'cash', amount: o.priced.total });
  o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `a-${o.id}`, amount: o.priced.total });
  return f.engine.dispatch(o.id, { type: 'order_completed' });
}

const giveBack = (o: Order, lineId: string, returnId: string) =>
  f.engine.dispatch(o.id, { type: 'refund_issued', amount: o.priced.lines.find((l) => l.lineId === lineId)!.net, attendantId: 'att-1', lineIds: [lineId], reason: 'defective', returnId });

it('a member return: "Points taken back" with the points its refund took, in both languages', async () => {
  const o = await sale('M1');
  const after = await giveBack(o, 'L1', 'r-1');
  const taken = Math.floor((o.pointsEarned * 4321) / o.paid);
  expect(taken).toBeGreaterThan(0);
  expect(text(after, 'r-1', 'en')).toContain(`Points taken back | -${taken}`);
  expect(text(after, 'r-1', 'zh-CN')).toContain(`扣回积分 | -${taken}`);
});

it('no member: no points line', async () => {
  const after = await giveBack(await sale(), 'L2', 'r-2');
  expect(text(after, 'r-2', 'en')).not.toContain('Points');
  expect(text(after, 'r-2', 'zh-CN')).not.toContain('积分');
});
