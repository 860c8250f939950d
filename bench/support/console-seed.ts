/**
 * A generator for the console bench: a chain of `kiosks` lanes in `kiosks / 10` stores with `rows` journal entries in
 * HQ's PostgreSQL ingest store, and the projections of hq/orders/schema.ts consistent with them (and the statistics
 * rollups of hq/stats/rollup-tables.ts filled from those), plus fleet rows,
 * devices rows and alerts.
 *
 * Each order is 10 journal entries, as a real kiosk writes them (runtime/orders/machine.ts, payloads `{event, from, to,
 * total, version}`): 5 × item_added, checkout_started, payment_started, payment_sent, payment_approved,
 * order_completed (with the order snapshot and its priced lines). Every 40th order's payment is declined and the order
 * cancelled; every 97th completed order has 4 items and a refund_issued as its 10th entry. Items come from the
 * shipped starter price book (real names, en and zh-CN). seq is gap-free per lane and prev_hash links to the previous
 * entry's hash (hashes are md5-derived stand-ins: the console never re-verifies a stored chain).
 *
 * The rows are generated inside PostgreSQL (INSERT … SELECT over generate_series, the item list passed once as a JSON
 * parameter), one statement per table per chunk of lanes: nothing travels row by row over the wire.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { ROLLUP_TABLES, rollupFillSql } from '../../hq/stats/rollup-tables';

export interface SeedOptions {
  rows: number;
  kiosks: number;
  /** Epoch ms of the newest order (default: now). Orders are spread over the `days` before it. */
  end?: number;
  days?: number;
  /** Lanes per generated chunk (default 10 = one store). */
  chunk?: number;
  log?: (line: string) => void;
}

export interface SeedResult {
  stores: number;
  kiosks: number;
  ordersPerKiosk: number;
  events: number;
  orders: number;
  ms: number;
  /** A sample of what was generated, for the bench's URLs. */
  sample: { store: string; device: string; orderId: string; receiptNo: number; from: number; to: number };
}

export const ENTRIES_PER_ORDER = 10;
export const KIOSKS_PER_STORE = 10;

export const storeId = (s: number) => `S${String(s).padStart(3, '0')}`;
export const deviceId = (k: number) => `K${String(k).padStart(4, '0')}`;

interface Item {
  sku: string;
  barcode: string;
  en: string;
  zh: string;
  price: number;
  taxClass: string;
  rate: number;
  /** The item_added line's JSON text before and after its quantity (built here once, concatenated in SQL). */
  pre: string;
  post: string;
}

function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** Up to 60 fixed-price items of the starter price book (no age limit, not weighed). */
export function starterItems(): Item[] {
  const book = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'config', 'starter', 'pricebook.json'), 'utf8')) as {
    items: { sku: string; barcodes: string[]; names: Record<string, string>; unitPrice: number; taxClass: string; ageLimit: number | null; soldByWeight: boolean }[];
  };
  return book.items
    .filter((i) => !i.soldByWeight && i.ageLimit === null)
    .slice(0, 60)
    .map((i) => {
      const head = JSON.stringify({ ageLimit: null, barcode: i.barcodes[0], embeddedPrice: null, names: { en: i.names.en, 'zh-CN': i.names['zh-CN'] } });
      const tail = JSON.stringify({ sku: i.sku, taxClass: i.taxClass, unitPrice: i.unitPrice, weightGrams: null });
      return {
        sku: i.sku,
        barcode: i.barcodes[0],
        en: i.names.en,
        zh: i.names['zh-CN'],
        price: i.unitPrice,
        taxClass: i.taxClass,
        rate: i.taxClass === 'reduced' ? 0.09 : 0.13,
        pre: `${head.slice(0, -1)},"quantity":`,
        post: `,${tail.slice(1)}`,
      };
    });
}

/*
 * The generation, per chunk of lanes [$1, $2] with $3 orders each, orders $4 ms apart ending at $5; $6 = items JSON.
 * g_orders: one row per order; g_lines: its priced lines; then each table is filled from them.
 */
const GEN_ORDERS = `
  CREATE TEMP TABLE g_orders ON COMMIT DROP AS
  SELECT k, n,
    'S' || lpad((((k - 1) / ${KIOSKS_PER_STORE}) + 1)::text, 3, '0') AS store_id,
    'K' || lpad(k::text, 4, '0') AS device_id,
    (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a' || substr(h, 18, 3) || '-' || substr(h, 21, 12)) AS order_id,
    (substr(md5('a' || h), 1, 8) || '-' || substr(md5('a' || h), 9, 4) || '-4' || substr(md5('a' || h), 14, 3) || '-b' || substr(md5('a' || h), 18, 3) || '-' || substr(md5('a' || h), 21, 12)) AS attempt_id,
    ($5::bigint - ($3::bigint - n) * $4::bigint - (k % 97) * 1013)::bigint AS t0,
    ((n * 31 + k * 7) % 40 = 0) AS declined,
    ((n * 31 + k * 7) % 40 <> 0 AND (n + k) % 97 = 0) AS refunded,
    ((n * 13 + k) % 5 = 0) AS member,
    (CASE WHEN (n + k) % 10 < 6 THEN 'card' ELSE 'qr' END) AS method,
    (CASE (n + k) % 3 WHEN 0 THEN 'alipay' WHEN 1 THEN 'wechat' ELSE 'unionpay' END) AS qr_channel
  FROM generate_series($1::int, $2::int) AS k, generate_series(1, $3::int) AS n,
       LATERAL (SELECT md5(k::text || ':' || n::text) AS h) AS hh`;

const GEN_LINES = `
  CREATE TEMP TABLE g_lines ON COMMIT DROP AS
  WITH items AS (SELECT (ord - 1)::int AS idx, j FROM json_array_elements($1::json) WITH ORDINALITY AS x(j, ord)),
  l AS (
    SELECT o.k, o.n, i, it.j,
      (1 + (o.n + i * 3 + o.k) % 3)::bigint AS qty,
      (it.j->>'price')::bigint AS price,
      (it.j->>'rate')::numeric AS rate
    FROM g_orders o
    CROSS JOIN generate_series(1, 5) AS i
    JOIN items it ON it.idx = (o.n * 7 + i * 13 + o.k) % $2::int
    WHERE i <= CASE WHEN o.refunded THEN 4 ELSE 5 END
  )
  SELECT k, n, i, j, qty, price, rate,
    price * qty AS gross,
    CASE WHEN (n + i) % 7 = 0 THEN (price * qty) / 10 ELSE 0 END AS discount,
    price * qty - CASE WHEN (n + i) % 7 = 0 THEN (price * qty) / 10 ELSE 0 END AS net,
    round((price * qty - CASE WHEN (n + i) % 7 = 0 THEN (price * qty) / 10 ELSE 0 END) * rate / (1 + rate))::bigint AS tax,
    sum(price * qty) OVER (PARTITION BY k, n ORDER BY i) AS running
  FROM l`;

const GEN_TOTALS = `
  CREATE TEMP TABLE g_tot ON COMMIT DROP AS
  SELECT k, n, sum(net)::bigint AS total, sum(tax)::bigint AS tax_total, sum(discount)::bigint AS discount_total,
    sum(gross)::bigint AS subtotal, sum(qty)::bigint AS items, count(*)::int AS nlines,
    json_agg(json_build_object(
      'ageLimit', NULL, 'approved', true, 'barcode', j->>'barcode', 'discount', discount, 'embeddedPrice', NULL, 'gross', gross,
      'lineId', 'L' || i, 'names', json_build_object('en', j->>'en', 'zh-CN', j->>'zh'), 'net', net, 'quantity', qty,
      'sku', j->>'sku', 'tax', tax, 'taxClass', j->>'taxClass', 'taxRate', rate, 'unitPrice', price, 'weightGrams', NULL
    ) ORDER BY i) AS priced
  FROM g_lines GROUP BY k, n`;

const INDEX_TOTALS = `CREATE INDEX ON g_tot (k, n)`;

/** The entries: e = 1..10 per order (see the file comment for the layout). */
const GEN_EVENTS = `
  CREATE TEMP TABLE g_events ON COMMIT DROP AS
  SELECT o.*, t.total, t.tax_total, t.discount_total, t.subtotal, t.items, e,
    ((o.n - 1) * ${ENTRIES_PER_ORDER} + e)::bigint AS seq,
    (o.t0 + e * 1500 + (CASE WHEN e >= t.nlines + 1 THEN 20000 ELSE 0 END))::bigint AS ts,
    CASE
      WHEN e <= t.nlines THEN 'item_added'
      WHEN e = t.nlines + 1 THEN 'checkout_started'
      WHEN e = t.nlines + 2 THEN 'payment_started'
      WHEN e = t.nlines + 3 THEN 'payment_sent'
      WHEN e = t.nlines + 4 THEN CASE WHEN o.declined THEN 'payment_declined' ELSE 'payment_approved' END
      WHEN e = t.nlines + 5 THEN CASE WHEN o.declined THEN 'order_cancelled' ELSE 'order_completed' END
      ELSE 'refund_issued'
    END AS type,
    l.j->>'pre' || l.qty || (l.j->>'post') AS line_json, l.running AS running
  FROM g_orders o
  JOIN g_tot t ON t.k = o.k AND t.n = o.n
  CROSS JOIN generate_series(1, ${ENTRIES_PER_ORDER}) AS e
  LEFT JOIN g_lines l ON l.k = o.k AND l.n = o.n AND l.i = e`;

const REFERENCE = `CASE WHEN method = 'card'
  THEN json_build_object('authCode', (100000 + n)::text, 'cardType', 'girocard', 'maskedPan', '6799********' || lpad(((k * 7 + n) % 10000)::text, 4, '0'), 'receiptNumber', n, 'resultCode', 0, 'terminalId', '52001233', 'traceNumber', n)
  ELSE json_build_object('gateway', 'sim', 'channel', qr_channel, 'transactionId', 'T' || md5(attempt_id)) END`;

/** The order snapshot an order_completed entry carries (trimmed to what HQ reads: lines, payments, priced, receiptNo). */
const SNAPSHOT = `(SELECT json_build_object(
  'id', order_id, 'createdAt', t0, 'updatedAt', ts, 'state', 'completed', 'memberId', CASE WHEN member THEN 'M' || lpad((k * 1000 + n % 1000)::text, 10, '0') END,
  'receiptNo', n, 'training', false, 'paid', total, 'refunded', 0, 'refunds', json_build_array(), 'pending', json_build_array(),
  'lines', priced,
  'payments', json_build_array(json_build_object('amount', total, 'approvedAmount', total, 'attemptId', attempt_id, 'method', method,
     'reference', ${REFERENCE}, 'sent', true, 'status', 'approved')),
  'priced', json_build_object('lines', priced, 'subtotal', subtotal, 'discountTotal', discount_total, 'taxTotal', tax_total, 'total', total,
     'discounts', json_build_array(), 'taxes', json_build_array()),
  'version', e) FROM g_tot t WHERE t.k = g_events.k AND t.n = g_events.n)`;


/** The common entries are concatenated text (5× faster than json_build_object); the rare ones are built. */
const PAYLOAD = `(CASE type
  WHEN 'item_added' THEN '{"event":{"line":' || line_json || ',"type":"item_added"},"from":"' || CASE WHEN e = 1 THEN 'idle' ELSE 'shopping' END
      || '","to":"shopping","total":' || running || ',"version":' || e || '}'
  WHEN 'checkout_started' THEN '{"event":{"type":"checkout_started"},"from":"shopping","to":"awaiting_payment","total":' || total || ',"version":' || e || '}'
  WHEN 'payment_started' THEN '{"event":{"amount":' || total || ',"attemptId":"' || attempt_id || '","method":"' || method || '","type":"payment_started"},'
      || '"from":"awaiting_payment","to":"payment_pending","total":' || total || ',"version":' || e || '}'
  WHEN 'payment_sent' THEN '{"event":{"attemptId":"' || attempt_id || '","context":{"lastTraceNumber":null},"type":"payment_sent"},'
      || '"from":"payment_pending","to":"payment_pending","total":' || total || ',"version":' || e || '}'
  WHEN 'payment_approved' THEN json_build_object('event', json_build_object('type', type, 'amount', total, 'attemptId', attempt_id, 'reference', ${REFERENCE}),
      'from', 'payment_pending', 'to', 'paid', 'total', total, 'version', e)::text
  WHEN 'payment_declined' THEN json_build_object('event', json_build_object('type', type, 'attemptId', attempt_id, 'code', 5, 'reason', 'declined by issuer'),
      'from', 'payment_pending', 'to', 'awaiting_payment', 'total', total, 'version', e)::text
  WHEN 'order_cancelled' THEN json_build_object('event', json_build_object('type', type, 'reason', 'shopper_cancelled'), 'from', 'awaiting_payment', 'to', 'cancelled', 'total', total, 'version', e)::text
  WHEN 'order_completed' THEN json_build_object('event', json_build_object('type', type), 'from', 'paid', 'to', 'completed', 'order', ${SNAPSHOT}, 'total', total, 'version', e)::text
  ELSE json_build_object('event', json_build_object('type', type, 'amount', total, 'attendantId', 'A01', 'method', method), 'from', 'completed', 'to', 'refunded', 'total', total, 'version', e)::text
END)`;

/** A 64-hex stand-in hash of (lane, seq): prev_hash of seq n is exactly the hash of seq n - 1. */
const HASH = (seqExpr: string) => `repeat(md5(device_id || ':' || (${seqExpr})::text), 2)`;

const INSERT_EVENTS = `
  INSERT INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
  SELECT store_id, device_id, seq, ts, order_id, type, ${PAYLOAD},
    CASE WHEN seq = 1 THEN repeat('0', 64) ELSE ${HASH('seq - 1')} END, ${HASH('seq')}, ts + 800
  FROM g_events`;

const INSERT_ORDERS = `
  INSERT INTO orders (store_id, device_id, order_id, receipt_no, status, training, opened_at, completed_at, updated_at, total, tax_total,
    discount_total, refunded, items, methods, member_id, first_seq, last_seq)
  SELECT o.store_id, o.device_id, o.order_id, CASE WHEN o.declined THEN NULL ELSE o.n END,
    CASE WHEN o.declined THEN 'cancelled' WHEN o.refunded THEN 'refunded' ELSE 'completed' END, 0,
    o.t0 + 1500, CASE WHEN o.declined THEN NULL ELSE o.t0 + (t.nlines + 5) * 1500 + 20000 END, o.t0 + 10 * 1500 + 20000,
    t.total, t.tax_total, t.discount_total, CASE WHEN o.refunded THEN t.total ELSE 0 END, t.items,
    CASE WHEN o.declined THEN '' WHEN o.method = 'card' THEN 'card' ELSE o.qr_channel END,
    CASE WHEN o.member THEN 'M' || lpad((o.k * 1000 + o.n % 1000)::text, 10, '0') END,
    (o.n - 1) * ${ENTRIES_PER_ORDER} + 1, o.n * ${ENTRIES_PER_ORDER}
  FROM g_orders o JOIN g_tot t ON t.k = o.k AND t.n = o.n`;

const INSERT_LINES = `
  INSERT INTO order_lines (store_id, device_id, order_id, line_id, sku, barcode, name_en, name_zh, quantity, weight_grams, tax_class, tax_rate,
    gross, discount, net, tax, completed_at, training)
  SELECT o.store_id, o.device_id, o.order_id, 'L' || l.i, l.j->>'sku', l.j->>'barcode', l.j->>'en', l.j->>'zh', l.qty, NULL, l.j->>'taxClass',
    l.rate, l.gross, l.discount, l.net, l.tax, o.t0 + (t.nlines + 5) * 1500 + 20000, 0
  FROM g_orders o JOIN g_tot t ON t.k = o.k AND t.n = o.n JOIN g_lines l ON l.k = o.k AND l.n = o.n
  WHERE NOT o.declined`;

const INSERT_PAYMENTS = `
  INSERT INTO payments (store_id, device_id, attempt_id, order_id, channel, status, amount, started_at, resolved_at, reason, reference, training)
  SELECT store_id, device_id, attempt_id, order_id, CASE WHEN method = 'card' THEN 'card' ELSE qr_channel END,
    CASE WHEN declined THEN 'declined' ELSE 'approved' END, total,
    t0 + (nlines + 2) * 1500 + 20000, t0 + (nlines + 4) * 1500 + 20000,
    CASE WHEN declined THEN 'declined by issuer' END,
    CASE WHEN declined THEN NULL ELSE (${REFERENCE})::text END, 0
  FROM (SELECT o.*, t.total, t.nlines FROM g_orders o JOIN g_tot t ON t.k = o.k AND t.n = o.n) AS q`;

const INSERT_REFUNDS = `
  INSERT INTO refunds (store_id, device_id, seq, order_id, amount, channel, ts, attendant_id, training)
  SELECT o.store_id, o.device_id, o.n * ${ENTRIES_PER_ORDER}, o.order_id, t.total, CASE WHEN o.method = 'card' THEN 'card' ELSE o.qr_channel END,
    o.t0 + 10 * 1500 + 20000, 'A01', 0
  FROM g_orders o JOIN g_tot t ON t.k = o.k AND t.n = o.n WHERE o.refunded`;

const INSERT_DEVICES = `
  INSERT INTO devices (store_id, device_id, contiguous_seq, last_hash, chain_ok, stored, last_event_ts, updated_at)
  SELECT store_id, device_id, max(seq), ${HASH('max(seq)')}, 1, count(*), max(ts), max(ts) + 800 FROM g_events GROUP BY store_id, device_id`;

/** Fleet rows as HQ keeps them: most lanes online, every 23rd offline, every 41st out of paper. */
const INSERT_FLEET = `
  INSERT INTO fleet (store_id, device_id, state, state_at, telemetry, telemetry_at, online, online_since, last_seen, last_event_ts)
  SELECT 'S' || lpad((((k - 1) / ${KIOSKS_PER_STORE}) + 1)::text, 3, '0'), 'K' || lpad(k::text, 4, '0'),
    json_build_object('v', 1, 'online', k % 23 <> 0, 'ts', $3::bigint - (k % 23 = 0)::int * 3600000, 'software', '0.1.0', 'configVersion', 7, 'pricebookVersion', 'starter')::text,
    $3::bigint - (k % 23 = 0)::int * 3600000,
    json_build_object('v', 1, 'ts', $3::bigint - 30000, 'backlog', (k * 7) % 5, 'uptimeS', 86400 + k, 'disk', json_build_object('/data', 20000000000),
      'devices', json_build_object('inService', k % 41 <> 0, 'reasons', CASE WHEN k % 41 = 0 THEN json_build_array('printer: paper out') ELSE json_build_array() END,
        'message', NULL, 'light', CASE WHEN k % 41 = 0 THEN 'red' ELSE 'green' END),
      'lane', json_build_object('state', CASE WHEN k % 41 = 0 THEN 'out_of_service' ELSE 'in_service' END,
        'reasons', CASE WHEN k % 41 = 0 THEN json_build_array('printer: paper out') ELSE json_build_array() END),
      'peripherals', json_build_object('printer', json_build_object('status', CASE WHEN k % 41 = 0 THEN 'paper_out' ELSE 'ok' END,
        'faults', CASE WHEN k % 41 = 0 THEN json_build_array('PAPER_OUT') ELSE json_build_array() END)),
      'paymentsInDoubt', 0)::text,
    $3::bigint - 30000,
    CASE WHEN k % 23 = 0 THEN 0 ELSE 1 END, $3::bigint - 86400000 - (k % 23 = 0)::int * 3600000, $3::bigint - 30000 - (k % 23 = 0)::int * 3600000, $3::bigint - 60000
  FROM generate_series($1::int, $2::int) AS k`;

const INSERT_ALERTS = `
  INSERT INTO alerts (source, key, kind, severity, store_id, device_id, message, raised_at, cleared_at)
  SELECT 'fleet', CASE WHEN k % 23 = 0 THEN 'offline:' ELSE 'paper:' END || s || '/' || d,
    CASE WHEN k % 23 = 0 THEN 'offline' ELSE 'printer_paper_out' END, CASE WHEN k % 23 = 0 THEN 'critical' ELSE 'warning' END, s, d,
    CASE WHEN k % 23 = 0 THEN 'Kiosk ' || s || '/' || d || ' has been offline for 60 min' ELSE 'Kiosk ' || s || '/' || d || ': printer out of paper' END,
    $3::bigint - 3000000, NULL
  FROM generate_series($1::int, $2::int) AS k,
       LATERAL (SELECT 'S' || lpad((((k - 1) / ${KIOSKS_PER_STORE}) + 1)::text, 3, '0') AS s, 'K' || lpad(k::text, 4, '0') AS d) AS ids
  WHERE k % 23 = 0 OR k % 41 = 0`;

/** Seeds an empty ingest store (schema already created by IngestStore.open). */
export async function seedConsole(client: Client, opts: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const kiosks = Math.max(1, opts.kiosks);
  const ordersPerKiosk = Math.max(1, Math.floor(opts.rows / kiosks / ENTRIES_PER_ORDER));
  const end = opts.end ?? Date.now();
  const days = opts.days ?? 90;
  const spacing = Math.max(1000, Math.floor((days * 86_400_000) / ordersPerKiosk));
  const chunk = opts.chunk ?? KIOSKS_PER_STORE;
  const items = starterItems();
  const itemsJson = JSON.stringify(items);
  // secondary indexes are built once after the bulk insert (faster than maintaining them row by row), exactly as defined
  const indexes = await client.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = current_schema()
       AND tablename IN ('sales_events', 'orders', 'order_lines', 'payments', 'refunds') AND indexname NOT LIKE '%_pkey'`,
  );
  for (const ix of indexes.rows) await client.query(`DROP INDEX ${ix.name}`);
  await client.query('SET synchronous_commit = off');
  for (let from = 1; from <= kiosks; from += chunk) {
    const to = Math.min(kiosks, from + chunk - 1);
    const t = Date.now();
    const steps: string[] = [];
    const run = async (name: string, sql: string, params?: unknown[]) => {
      const s = Date.now();
      await client.query(sql, params);
      steps.push(`${name} ${Date.now() - s}`);
    };
    await client.query('BEGIN');
    await run('orders', GEN_ORDERS, [from, to, ordersPerKiosk, spacing, end]);
    await run('lines', GEN_LINES, [itemsJson, items.length]);
    await run('totals', GEN_TOTALS);
    await run('totals index', INDEX_TOTALS);
    await run('events', GEN_EVENTS);
    await run('insert events', INSERT_EVENTS);
    await run('insert orders', INSERT_ORDERS);
    await run('insert lines', INSERT_LINES);
    await run('insert payments', INSERT_PAYMENTS);
    await run('insert refunds', INSERT_REFUNDS);
    await run('insert devices', INSERT_DEVICES);
    await run('fleet', INSERT_FLEET, [from, to, end]);
    await run('alerts', INSERT_ALERTS, [from, to, end]);
    await client.query('COMMIT');
    if (process.env.SEED_TRACE) opts.log?.(`  ${steps.join(', ')} ms`);
    opts.log?.(`seed: lanes ${from}-${to} of ${kiosks}: ${(to - from + 1) * ordersPerKiosk * ENTRIES_PER_ORDER} entries in ${Date.now() - t} ms`);
  }
  const t = Date.now();
  for (const ix of indexes.rows) await client.query(ix.def);
  opts.log?.(`seed: ${indexes.rows.length} secondary indexes rebuilt in ${Date.now() - t} ms`);
  // the statistics rollups from the projections, set-based: what a store upgraded to schema v8 gets
  const r = Date.now();
  for (const table of ROLLUP_TABLES) await client.query(`DELETE FROM ${table}`);
  for (const sql of rollupFillSql()) await client.query(sql);
  opts.log?.(`seed: statistics rollups filled in ${Date.now() - r} ms`);
  await client.query('ANALYZE');
  const sample = await client.query<{ store_id: string; device_id: string; order_id: string; receipt_no: string }>(
    `SELECT store_id, device_id, order_id, receipt_no FROM orders WHERE store_id = $1 AND device_id = $2 AND receipt_no IS NOT NULL ORDER BY receipt_no DESC LIMIT 1`,
    [storeId(1), deviceId(1)],
  );
  const row = sample.rows[0];
  return {
    stores: Math.ceil(kiosks / KIOSKS_PER_STORE),
    kiosks,
    ordersPerKiosk,
    events: kiosks * ordersPerKiosk * ENTRIES_PER_ORDER,
    orders: kiosks * ordersPerKiosk,
    ms: Date.now() - started,
    sample: { store: row.store_id, device: row.device_id, orderId: row.order_id, receiptNo: Number(row.receipt_no), from: end - days * 86_400_000, to: end },
  };
}
