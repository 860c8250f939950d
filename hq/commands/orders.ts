import type { Command } from 'commander';
import { IngestStore } from '../ingest/store';
import { rebuildProjections, type RebuildResult } from '../orders/rebuild';
import { redactUrl } from './ingest';

/** `hq orders rebuild --db FILE|postgres://… [--json]`: recomputes the console's order projections from the stored journal. */
export async function rebuildOrders(opts: { db: string; json?: boolean }, io: { out: (t: string) => void; err: (t: string) => void }): Promise<RebuildResult> {
  const store = await IngestStore.open(opts.db);
  try {
    const r = await rebuildProjections(store, (p) => {
      if (!opts.json) io.err(`\r${p.devices} devices, ${p.orders} orders`);
    });
    if (!opts.json) io.err('\n');
    io.out(opts.json ? `${JSON.stringify(r)}\n` : `rebuilt the order projections of ${redactUrl(opts.db)}: ${r.orders} orders from ${r.devices} devices\n`);
    return r;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  const orders = program.command('orders').description('the order projections behind the console (orders, lines, payments, refunds)');
  orders
    .command('rebuild')
    .description('recompute the order projections from the stored journal (sales_events)')
    .requiredOption('--db <path|url>', 'ingest SQLite file, or a postgres:// URL')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { db: string; json?: boolean }) => {
      await rebuildOrders(opts, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    });
}
