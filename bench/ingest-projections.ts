/**
 * bench/ingest-projections: what the console's projections and statistics rollups cost HQ ingest. Real kiosk journals
 * (test/support/kiosk-journals.ts: the order engine, pricing, SQLite journal; 4 lanes in 2 stores, card and QR sales,
 * some declines, training and refunds) are ingested by IngestStore.acceptBatch in interleaved batches of 50 entries,
 * three ways in the same run, rounds alternating:
 *   - bare: acceptBatch with the orders projector switched off (journal, devices, quarantine: the strongest baseline),
 *   - projections: orders / lines / payments / refunds, no rollups,
 *   - projections + rollups: what ingest does.
 * Reported: entries per second of wall time and per CPU-second of this process (+ PostgreSQL's backend CPU is not
 * counted: the PostgreSQL rows show wall time too), on a SQLite file (WAL, synchronous=FULL) and on PostgreSQL.
 *
 *   npm run bench:ingest            (ORDERS=150 per lane, ROUNDS=3)
 *
 * The switches replace module functions for the duration of a run (bench only: the product has no such option).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IngestStore } from '../hq/ingest/store';
import * as projector from '../hq/orders/projector';
import * as rollups from '../hq/stats/rollup-writer';
import type { EventMessage } from '../protocol/sync/messages';
import { journalKiosk, sell } from '../test/support/kiosk-journals';
import { Postgres } from '../test/support/postgres';

const ORDERS = Number(process.env.ORDERS ?? 150);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCH = 50;

type Variant = 'bare' | 'projections' | 'projections + rollups';
const VARIANTS: Variant[] = ['bare', 'projections', 'projections + rollups'];

async function journals(): Promise<EventMessage[][]> {
  const lanes = [
    ['S1', 'K1'],
    ['S1', 'K2'],
    ['S2', 'K1'],
    ['S2', 'K2'],
  ];
  const out: EventMessage[][] = [];
  for (const [store, device] of lanes) {
    const k = await journalKiosk(store, device, Date.UTC(2026, 10, 1, 1, 0));
    try {
      for (let i = 0; i < ORDERS; i++) {
        k.clock.advance(7 * 60_000);
        if (i % 37 === 5) k.engine.setTraining(true);
        const o = await sell(k, {
          items: Array.from({ length: 1 + (i % 5) }, (_, j) => ({ sku: `SKU${(i + j) % 40}`, price: 199 + ((i * 7 + j) % 50) * 10, qty: 1 + (j % 2), taxClass: j % 3 ? 'standard' : 'reduced' })),
          method: i % 3 ? 'card' : 'qr',
          declines: i % 11 === 0 ? 1 : 0,
          ...(i % 3 ? {} : { reference: { gateway: 'qr', channel: i % 2 ? 'alipay' : 'wechat', tradeNo: `T${i}` } }),
        });
        k.engine.setTraining(false);
        if (i % 23 === 7) await k.engine.dispatch(o.id, { type: 'refund_issued', amount: 100, attendantId: 'att-1' });
      }
      out.push(await k.events());
    } finally {
      await k.close();
    }
  }
  return out;
}

/** Interleaved batches of BATCH entries of one lane each, as a fleet's backlog arrives. */
function batches(all: EventMessage[][]): EventMessage[][] {
  const out: EventMessage[][] = [];
  const pos = all.map(() => 0);
  for (let turn = 0; pos.some((p, i) => p < all[i].length); turn++) {
    const i = turn % all.length;
    if (pos[i] >= all[i].length) continue;
    out.push(all[i].slice(pos[i], pos[i] + BATCH));
    pos[i] += BATCH;
  }
  return out;
}

const realProject = projector.projectEvents;
const realWithRollups = rollups.withRollups;
function use(v: Variant): void {
  const p = projector as { projectEvents: typeof projector.projectEvents };
  const r = rollups as { withRollups: typeof rollups.withRollups };
  p.projectEvents = v === 'bare' ? async () => undefined : realProject;
  r.withRollups = v === 'projections + rollups' ? realWithRollups : async (_tx, _d, _k, write) => write();
}

async function run(target: string, bs: EventMessage[][], v: Variant): Promise<{ wall: number; cpu: number }> {
  const store = await IngestStore.open(target);
  try {
    use(v);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const b of bs) await store.acceptBatch(b, Date.UTC(2026, 10, 20));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(cpu0);
    return { wall, cpu: (c.user + c.system) / 1e6 };
  } finally {
    use('projections + rollups');
    await store.close();
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} cores; ${ORDERS} orders per lane, 4 lanes, batches of ${BATCH}, ${ROUNDS} rounds`);
  const all = await journals();
  const bs = batches(all);
  const entries = all.reduce((n, j) => n + j.length, 0);
  console.log(`${entries} journal entries\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  const pg = await Postgres.start();
  const rows: string[] = [];
  try {
    for (const dialect of ['SQLite', 'PostgreSQL'] as const) {
      const results = new Map<Variant, { wall: number; cpu: number }[]>(VARIANTS.map((v) => [v, []]));
      let n = 0;
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) {
          n++;
          let target: string;
          if (dialect === 'SQLite') target = path.join(dir, `hq-${n}.sqlite`);
          else {
            const db = `bench_${n}`;
            const { Client } = await import('pg');
            const c = new Client({ connectionString: pg.url });
            await c.connect();
            await c.query(`CREATE DATABASE ${db}`);
            await c.end();
            target = pg.url.replace(/\/postgres$/, `/${db}`);
          }
          results.get(v)!.push(await run(target, bs, v));
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const bare = median(results.get('bare')!.map((x) => entries / x.wall));
      const bareCpu = median(results.get('bare')!.map((x) => entries / x.cpu));
      for (const v of VARIANTS) {
        const perS = median(results.get(v)!.map((x) => entries / x.wall));
        const perCpu = median(results.get(v)!.map((x) => entries / x.cpu));
        rows.push(
          `| ${dialect.padEnd(10)} | ${v.padEnd(21)} | ${perS.toFixed(0).padStart(9)} | ${(perS / bare).toFixed(2).padStart(7)} | ${perCpu.toFixed(0).padStart(11)} | ${(perCpu / bareCpu).toFixed(2).padStart(7)} |`,
        );
      }
    }
  } finally {
    await pg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('HQ ingest of real kiosk journals, median of the rounds; ratio = against bare acceptBatch (projector off) in the same run');
  console.log('| store      | ingest does           | entries/s | × bare | entries/cpu-s | × bare |');
  console.log('|------------|-----------------------|-----------|--------|---------------|--------|');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
