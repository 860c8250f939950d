import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderEodPdf } from '../../runtime/reports/eod-report';
import { endOfDayReport } from '../../runtime/reports/eod-query';
import { receiptModel, type DocLocale } from '../../runtime/receipts/receipt-model';
import { renderReceiptPdf } from '../../runtime/receipts/receipt-pdf';
import { SystemClock } from '../../kernel/clock';
import type { Order } from '../../runtime/orders/order';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { openDatabase } from '../database';
import { receiptHeader } from '../receipt-header';

async function withDb<T>(opts: CommonOptions, body: (db: Awaited<ReturnType<typeof openDatabase>>['db'], config: ReturnType<typeof configFrom>) => Promise<T>) {
  const config = configFrom(opts);
  const { db } = await openDatabase(config, new SystemClock());
  try {
    return await body(db, config);
  } finally {
    await db.close();
  }
}

const locale = (l: string | undefined, fallback: string): DocLocale => ((l ?? fallback) === 'en' ? 'en' : 'zh-CN');

/** `kiosk report eod [--date YYYY-MM-DD]`: the end-of-day (Z) report PDF for one business day (UTC). */
export async function reportEod(opts: CommonOptions & { date?: string; out?: string; json?: boolean; locale?: string }): Promise<void> {
  const date = opts.date ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new CliExit(2, `kiosk: --date must be YYYY-MM-DD, got "${date}"`);
  await withDb(opts, async (db, config) => {
    const { model, orders } = await endOfDayReport(db, date, {
      storeId: config.device.storeId,
      deviceId: config.device.deviceId,
      currency: config.currency.code,
      minorUnits: config.currency.minorUnits,
      locale: locale(opts.locale, config.locales.default),
    });
    const out = opts.out ?? path.join(config.dataDir, 'reports', `eod-${date}.pdf`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await renderEodPdf(model));
    if (opts.json) printJson({ file: out, model });
    else process.stdout.write(`wrote ${out} (${orders} orders)\n`);
  });
}

/** `kiosk receipt pdf ORDER_ID`: the e-receipt PDF of a completed order. */
export async function receiptPdf(orderId: string, opts: CommonOptions & { out?: string; locale?: string }): Promise<void> {
  await withDb(opts, async (db, config) => {
    const row = await db.read.get<{ snapshot: string }>('SELECT snapshot FROM orders WHERE id = ?', [orderId]);
    if (!row) throw new CliExit(1, `kiosk: no order ${orderId}`);
    const order = JSON.parse(row.snapshot) as Order;
    if (order.receiptNo === null) throw new CliExit(1, `kiosk: order ${orderId} has no receipt (state ${order.state})`);
    const loc = locale(opts.locale, config.locales.default);
    const out = opts.out ?? path.join(config.dataDir, 'receipts', `${String(order.receiptNo).padStart(6, '0')}-${loc}.pdf`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await renderReceiptPdf(receiptModel(order, receiptHeader(config), loc)));
    process.stdout.write(`wrote ${out}\n`);
  });
}
