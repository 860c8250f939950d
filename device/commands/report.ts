import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderEodPdf } from '../../runtime/reports/eod-report';
import { businessDayOf, endOfDayReport } from '../../runtime/reports/eod-query';
import { isCalendarDate } from '../../kernel/local-time';
import { receiptModel, type DocLocale } from '../../protocol/receipts/receipt-model';
import { renderReceiptPdf } from '../../runtime/receipts/receipt-pdf';
import { SystemClock } from '../../kernel/clock';
import type { Order } from '../../runtime/orders/order';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { openDatabaseForReading } from '../database';
import { receiptHeader } from '../receipt-header';

async function withDb<T>(opts: CommonOptions, body: (db: Awaited<ReturnType<typeof openDatabaseForReading>>['db'], config: ReturnType<typeof configFrom>) => Promise<T>) {
  const config = configFrom(opts);
  // read-only when the database is there at this schema: a report only reads it
  const { db } = await openDatabaseForReading(config, new SystemClock());
  try {
    return await body(db, config);
  } finally {
    await db.close();
  }
}

const locale = (l: string | undefined, fallback: string): DocLocale => ((l ?? fallback) === 'en' ? 'en' : 'zh-CN');

/**
 * `kiosk report eod [--date YYYY-MM-DD]`: the end-of-day (Z) report PDF for one business day in the store's zone
 * (`timezone`, from `reports.dayStartHour` local to the next day's); by default the business day running now.
 */
export async function reportEod(opts: CommonOptions & { date?: string; out?: string; json?: boolean; locale?: string }): Promise<void> {
  if (opts.date !== undefined && !isCalendarDate(opts.date)) throw new CliExit(2, `kiosk: --date must be a date YYYY-MM-DD, got "${opts.date}"`);
  await withDb(opts, async (db, config) => {
    const rule = { timeZone: config.timezone, dayStartHour: config.reports.dayStartHour };
    const date = opts.date ?? businessDayOf(new SystemClock().now(), rule);
    const { model, orders } = await endOfDayReport(db, date, {
      storeId: config.device.storeId,
      deviceId: config.device.deviceId,
      currency: config.currency.code,
      minorUnits: config.currency.minorUnits,
      locale: locale(opts.locale, config.locales.default),
      ...rule,
    });
    const out = opts.out ?? path.join(config.dataDir, 'reports', `eod-${date}.pdf`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await renderEodPdf(model));
    if (opts.json) printJson({ file: out, model });
    else process.stdout.write(`wrote ${out} (${orders} orders, business day ${date}: ${model.period!.localFrom} – ${model.period!.localTo} ${model.period!.timeZone})\n`);
  });
}

/** `kiosk receipt pdf ORDER_ID`: the e-receipt PDF of a completed order. */
export async function receiptPdf(orderId: string, opts: CommonOptions & { out?: string; locale?: string }): Promise<void> {
  await withDb(opts, async (db, config) => {
    const row = await db.read.get<{ snapshot: string }>('SELECT snapshot FROM orders WHERE id = ?', [orderId]);
    if (!row) throw new CliExit(1, `kiosk: no order ${orderId}`);
    const order = JSON.parse(row.snapshot) as Order;
    // a training order has no fiscal number but its own series: its PDF says TRAINING — NOT A RECEIPT (T000001-…)
    if (order.receiptNo === null && order.trainingNo === undefined) throw new CliExit(1, `kiosk: order ${orderId} has no receipt (state ${order.state})`);
    const loc = locale(opts.locale, config.locales.default);
    const model = receiptModel(order, receiptHeader(config), loc);
    const out = opts.out ?? path.join(config.dataDir, 'receipts', `${model.receiptNo}-${loc}.pdf`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await renderReceiptPdf(model));
    process.stdout.write(`wrote ${out}\n`);
  });
}
