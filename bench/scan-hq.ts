/**
 * HQ side of bench/scan's "while HQ sync drains a backlog" rows: a Mosquitto on a loopback port, HQ's ingest in a
 * child process (HQ is another machine), and a kiosk database seeded with a backlog of journal entries in its outbox
 * (order_completed-sized payloads, as bench/sync makes them).
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SystemClock } from '../kernel/clock';
import { appendJournal, type JournalHead } from '../runtime/journal/append';
import { HqIngest } from '../hq/ingest/ingest';
import { IngestStore } from '../hq/ingest/store';
import { kioskDb } from '../test/support/sync-fixtures';

export interface HqReceiver {
  pid: number | undefined;
  /** Stops HqIngest; resolves with how many events it stored. */
  stop(): Promise<number>;
}

/** HqIngest on `dbFile`, subscribed through `url`, in a child process. */
export async function startHqIngest(url: string, dbFile: string): Promise<HqReceiver> {
  const proc = fork(__filename, ['--hq', url, dbFile], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(new Error(`bench hq child exited with ${code}`)));
  });
  return {
    pid: proc.pid,
    stop: () =>
      new Promise<number>((resolve) => {
        proc.removeAllListeners('exit');
        proc.once('message', (n) => resolve(Number(n)));
        proc.send('stop');
      }),
  };
}

async function hqChild(url: string, dbFile: string): Promise<void> {
  const store = await IngestStore.open(dbFile);
  const client = await mqtt.connectAsync(url, { clientId: `bench-hq-${process.pid}` });
  const ingest = new HqIngest({ store, client, clock: new SystemClock() });
  await ingest.start();
  process.send?.('ready');
  // the bench died (an error, ^C): HQ goes with it rather than draining a broker nobody reads
  process.once('disconnect', () => process.exit(1));
  process.once('message', async () => {
    await ingest.stop();
    await client.endAsync();
    await store.close();
    process.send?.(ingest.stats.stored);
    process.exit(0);
  });
}

/**
 * Creates the kiosk database at `file` (migrated, before the kiosk boots) with `n` journal entries in the outbox,
 * each an order_completed with five lines, chained from genesis as the kiosk's own entries are.
 */
export async function seedBacklog(file: string, deviceId: string, n: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = await kioskDb(path.dirname(file), path.basename(file));
  const t0 = Date.now() - n;
  let head: JournalHead | null = null;
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      head = await appendJournal(
        tx,
        {
          deviceId,
          ts: t0 + i,
          orderId: `backlog-${i}`,
          type: 'order_completed',
          payload: { total: 1999 + i, receiptNo: i, lines: Array.from({ length: 5 }, (_, j) => ({ sku: `S${j}`, qty: 1, price: 199 + j })) },
        },
        head,
      );
    }
  });
  await db.close();
}

if (require.main === module && process.argv[2] === '--hq') {
  hqChild(process.argv[3], process.argv[4]).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
