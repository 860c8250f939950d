import { SystemClock } from '../../kernel/clock';
import { formatMoney } from '../../kernel/money';
import { formatLocalWithOffset } from '../../kernel/local-time';
import { OrderEngine } from '../../runtime/orders/engine';
import { textReceipt } from '../../protocol/receipts/text-receipt';
import { configFrom, printJson, type CommonOptions } from '../cli-support';
import { openDatabaseForReading } from '../database';
import { receiptHeader } from '../kiosk';

async function withEngine<T>(opts: CommonOptions, body: (engine: OrderEngine, config: ReturnType<typeof configFrom>) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const clock = new SystemClock();
  // read-only when the database is there at this schema: listing orders writes nothing
  const { db } = await openDatabaseForReading(config, clock);
  try {
    const engine = new OrderEngine({
      db,
      clock,
      deviceId: config.device.deviceId,
      price: () => {
        throw new Error('read-only');
      },
      points: () => 0,
    });
    return await body(engine, config);
  } finally {
    await db.close();
  }
}

export async function ordersList(opts: CommonOptions & { json?: boolean; limit?: string }): Promise<void> {
  await withEngine(opts, async (engine, config) => {
    const orders = await engine.list(Number(opts.limit ?? 50));
    if (opts.json) return printJson(orders.map((o) => ({ id: o.id, state: o.state, total: o.priced.total, receiptNo: o.receiptNo, updatedAt: o.updatedAt })));
    for (const o of orders) {
      process.stdout.write(
        `${o.id}  ${o.state.padEnd(18)} ${formatMoney(o.priced.total, config.currency.code, config.currency.minorUnits).padStart(10)}  receipt ${o.receiptNo ?? '-'}  ${formatLocalWithOffset(o.updatedAt, config.timezone)}\n`,
      );
    }
    if (orders.length === 0) process.stdout.write('no orders\n');
  });
}

export async function ordersShow(id: string, opts: CommonOptions & { json?: boolean }): Promise<void> {
  await withEngine(opts, async (engine, config) => {
    const o = await engine.get(id);
    if (opts.json) return printJson(o);
    process.stdout.write(`order ${o.id}: ${o.state} (version ${o.version})\n`);
    process.stdout.write(
      `${textReceipt(o, receiptHeader(config))}\n`,
    );
  });
}
