import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { taxRates } from '../config/load';
import type { KioskConfig } from '../config/schema';
import { importPriceBook } from '../runtime/pricebook/import';
import { Catalog } from '../runtime/pricebook/catalog';
import { SystemClock, type Clock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { latestVersion, migrate, schemaNewer } from '../runtime/db/migrations';
import { dataVerdict, probeDatabase, quickCheck } from '../runtime/db/boot-check';
import { asStorageError } from '../kernel/sqlite/storage-failure';
import { MarkerWriter, readMarker, writeMarker, type MarkerMarks } from '../runtime/db/data-marker';
import { Lane } from '../runtime/lane/lane';
import { OrderEngine } from '../runtime/orders/engine';
import { IdleWatch } from '../runtime/orders/idle-watch';
import { AttendantCashProvider } from '../runtime/payments/attendant-cash';
import { Checkout } from '../runtime/payments/checkout';
import type { PaymentRequest } from '../runtime/payments/provider';
import { readPriceBookFile } from '../protocol/pricebook/reader';
import { priceCart } from '../runtime/pricing';
import type { Promotion } from '../runtime/pricing/types';
import type { PrintJobResult } from '../drivers/contract';
import { DeviceSupervisor } from '../runtime/supervision/supervisor';
import { DisplayFeed } from '../runtime/supervision/display-feed';
import { ScanFeed } from '../runtime/supervision/scan-feed';
import { KioskError } from '../kernel/errors';
import { CardTerminalProvider } from '../runtime/payments/card-terminal';
import type { PaymentProvider } from '../runtime/payments/provider';
import { SqlitePrintJobLedger } from '../runtime/receipts/job-ledger';
import { parseReceiptJobId, ReceiptSpool } from '../runtime/receipts/receipt-spool';
import { receiptJob } from '../runtime/receipts/receipt-job';
import type { ReceiptHeader } from '../runtime/receipts/text-receipt';
import { buildHardware, type LaneHardware } from './hardware';
import { buildGateway, type BuiltGateway } from './devices/gateway';
import { PaymentCodeInbox } from '../runtime/payments/payment-code-inbox';
import { lastRecordedTraceNumber } from '../runtime/payments/attempts';
import { PaymentRecovery } from '../runtime/payments/recovery';
import { Refunds } from '../runtime/payments/refunds';
import { restoreLaneState } from '../runtime/lane/lane-control';
import { Connectivity, OfflineLimits } from '../runtime/payments/offline-limits';
import type { Logger } from './logger';
import { readIdentity } from '../runtime/trust/identity';
import { TrustStore } from '../runtime/trust/trust-store';
import { ConfigBundleManager } from '../runtime/hq-control/config-bundles';
import { ServiceFaults } from '../runtime/lane/service-faults';
import { StorageWatch } from '../runtime/db/storage-watch';
import { laneCondition, type LaneCondition } from '../runtime/supervision/lane-condition';
import { setJournalStore } from '../runtime/journal/append';

export interface BootOptions {
  clock?: Clock;
  /** Bring up the lane's devices (real or simulated per config). Tools that only read the database leave this off. */
  devices?: boolean;
  log?: Logger;
  /** How the attendant confirms a cash payment; the demo plays the attendant. */
  confirmCash?: (req: PaymentRequest) => Promise<boolean>;
  /** Errors from background work (timers, recovery) that must not crash the lane. */
  onBackgroundError?: (e: unknown) => void;
  /** While the database is failing, probe it this often (default 5 000 ms). */
  storageProbeMs?: number;
  /** A database file larger than this gets its `PRAGMA quick_check` right after boot, not before (default 64 MiB). */
  quickCheckAtBootMaxBytes?: number;
}

export interface Kiosk {
  /** The config the kiosk booted with (defaults ← file ← env ← HQ bundles applied so far). */
  config: KioskConfig;
  /** The config in force now: an HQ bundle applied between orders replaces it. */
  readonly liveConfig: KioskConfig;
  bundles: ConfigBundleManager;
  trust: TrustStore;
  clock: Clock;
  db: KioskDb;
  engine: OrderEngine;
  catalog: Catalog;
  checkout: Checkout;
  lane: Lane;
  idle: IdleWatch;
  recovery: PaymentRecovery;
  refunds: Refunds;
  /** HQ / gateway reachability (drives the offline card limits). */
  connectivity: Connectivity;
  /** Payment prompts and merchant QR codes, for the screen. */
  payments: EventEmitter<PaymentEvents>;
  dbFile: string;
  hardware: KioskHardware | null;
  /** Lane-wide faults that are not a device's (storage, data loss, sync): any one puts the lane out of service. */
  faults: ServiceFaults;
  /** Storage failures while running → the `storage` fault (with its reason), probed until storage works again. */
  storage: StorageWatch;
  /** The lane's condition now: devices (when started) and lane-wide faults. */
  condition(): LaneCondition;
  close(): Promise<void>;
}

/** What the shopper's screen shows while a payment runs. */
export interface PaymentEvents {
  /** The terminal's / gateway's prompt ("insert card", "enter PIN", "waiting for confirmation in your app"). */
  prompt: [{ method: string; text: string }];
  /** A merchant-presented dynamic QR to show for this attempt. */
  qr: [{ orderId: string; attemptId: string; qrCode: string }];
}

export interface KioskHardware extends LaneHardware {
  supervisor: DeviceSupervisor;
  /** QR pay through the gateway (simulated unless config names the store's gateway). */
  gateway: BuiltGateway | null;
  paymentCodes: PaymentCodeInbox;
  scanFeed: ScanFeed | null;
  displayFeed: DisplayFeed | null;
  /** Prints an order's receipt (job id `receipt:<orderId>`, so printing it again prints nothing). */
  printReceipt(orderId: string, reprint?: number): Promise<PrintJobResult>;
  /** Receipts that could not print: printed when the printer is ready again, or listed for the attendant. */
  receipts: ReceiptSpool | null;
}

export const dbPath = (dataDir: string) => path.join(dataDir, 'kiosk.sqlite');

/** At most one data-marker write begins per this many ms: ≤ 10 fsync'd writes a second instead of one per ~2 commits (bench/marker.ts). */
export const MARKER_GAP_MS = 100;

/**
 * Opens the data dir (creating it), checks the database before writing anything to it — storage faults, a schema
 * newer than this software, `PRAGMA quick_check`, and the data marker (a database that vanished, is another one or
 * went backwards is never silently re-created) — then applies migrations, gives a new database its id, and loads
 * the starter price book on first start. Expected faults throw KioskError STORAGE_FAILED / DATA_BEHIND / SCHEMA_NEWER.
 * `marks` are the database's id and high-water marks, now also in the marker.
 */
export async function openDatabase(
  config: KioskConfig,
  clock: Clock,
  opts: { quickCheckMaxBytes?: number } = {},
): Promise<{ db: KioskDb; file: string; marks: MarkerMarks; checkLater: boolean }> {
  const file = dbPath(config.dataDir);
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
  } catch (e) {
    throw asStorageError(e, file);
  }
  const marker = readMarker(config.dataDir);
  if (marker && 'error' in marker) {
    throw new KioskError('DATA_BEHIND', `data marker unreadable (${marker.error}): the kiosk cannot tell whether the database is complete; see \`kiosk storage accept\``, { file });
  }
  const state = await probeDatabase(file, { hashOf: marker?.journalSeq, quickCheckMaxBytes: opts.quickCheckMaxBytes });
  if (state.userVersion > latestVersion()) throw schemaNewer(state.userVersion, latestVersion());
  const verdict = dataVerdict(marker, state, file);
  if (verdict) throw new KioskError('DATA_BEHIND', verdict, { file });
  let db: KioskDb;
  try {
    db = await KioskDb.open(file);
  } catch (e) {
    throw asStorageError(e, file);
  }
  try {
    await migrate(db);
    // the hash of every journal entry from here on covers the store (the starter price book's import included)
    await db.transaction((tx) => setJournalStore(tx, config.device.storeId));
    const catalog = new Catalog(db);
    if (config.pricebook.starter && (await catalog.count()) === 0 && (await catalog.version()) === null) {
      await importPriceBook(db, readPriceBookFile(config.pricebook.starter), {
        clock,
        deviceId: config.device.deviceId,
        source: path.basename(config.pricebook.starter),
        version: 'starter',
      });
    }
    const marks = await db.transaction(async (tx): Promise<MarkerMarks> => {
      // the database's identity, created with it: a marker naming another id means the file was replaced
      await tx.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('db_id', lower(hex(randomblob(16))))");
      const id = await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'db_id'");
      const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1');
      const receipt = await tx.get<{ value: number }>("SELECT value FROM counters WHERE name = 'receipt'");
      return { dbId: id!.value, journalSeq: head?.seq ?? 0, journalHash: head?.hash ?? '', receiptNo: receipt?.value ?? 0 };
    });
    if (!marker || marker.dbId !== marks.dbId || marker.journalSeq !== marks.journalSeq || marker.receiptNo !== marks.receiptNo) {
      // from here on the kiosk knows it has this database
      await writeMarker(config.dataDir, { v: 1, ...marks, writtenAt: clock.now() });
    }
    return { db, file, marks, checkLater: state.checkLater };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw asStorageError(e, file);
  }
}

export const receiptHeader = (config: KioskConfig): ReceiptHeader => ({
  storeName: config.device.name,
  storeId: config.device.storeId,
  deviceId: config.device.deviceId,
  currency: config.currency.code,
  minorUnits: config.currency.minorUnits,
  locale: config.locales.default,
});

async function startHardware(
  payEvents: EventEmitter<PaymentEvents>,
  config: KioskConfig,
  clock: Clock,
  db: KioskDb,
  engine: OrderEngine,
  lane: Lane,
  faults: ServiceFaults,
  onError: (e: unknown) => void,
  log?: Logger,
): Promise<KioskHardware> {
  const ledger = new SqlitePrintJobLedger(db, clock);
  const hw = await buildHardware({ config, clock, log }, ledger);
  const supervisor = new DeviceSupervisor(hw.devices, { clock, required: config.devices.required, engine, faults });
  supervisor.on('deviceError', (cls, e) => log?.warn({ device: cls, err: e.message }, 'device error'));
  supervisor.on('condition', (c) => log?.info({ inService: c.inService, reasons: c.reasons, light: c.light }, 'lane condition'));
  await supervisor.start();
  const scanFeed = hw.devices.scanner ? new ScanFeed(hw.devices.scanner, lane) : null;
  const paymentCodes = new PaymentCodeInbox();
  scanFeed?.on('outcome', (o) => {
    if (o.ok && o.action === 'payment_code') paymentCodes.offer(o.code);
    if (!o.ok && o.code === 'OUT_OF_SERVICE') log?.warn({ cause: o.detail }, 'scan refused: lane out of service');
  });
  const gateway = await buildGateway({ config, clock, log }, paymentCodes, {
    onQrCode: (qrCode, req) => payEvents.emit('qr', { orderId: req.orderId, attemptId: req.attemptId, qrCode }),
    onPrompt: (method, text) => payEvents.emit('prompt', { method, text }),
  });
  const displayFeed = hw.devices.display
    ? new DisplayFeed(engine, hw.devices.display, { currency: config.currency.code, minorUnits: config.currency.minorUnits, locale: 'en', welcome: 'WELCOME' }, onError)
    : null;
  await displayFeed?.start();
  const printer = hw.devices.printer;
  const header = receiptHeader(config);
  const receipts = printer
    ? new ReceiptSpool(ledger, printer, {
        clock,
        jobFor: async (id) => {
          const r = parseReceiptJobId(id);
          if (!r) return null;
          const order = await engine.get(r.orderId).catch(() => null);
          return order ? receiptJob(order, header, { reprint: r.reprint }) : null;
        },
        onPrinted: (r) => log?.info({ job: r.id, copy: r.copy === true, duplicate: r.duplicate }, 'pending receipt printed'),
        onError: (e) => log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'pending receipt not printed yet'),
      })
    : null;
  void receipts?.start(); // receipts left unprinted before a restart print as soon as the printer is ready
  return {
    ...hw,
    async close() {
      receipts?.stop();
      await gateway?.close();
      await hw.close();
    },
    receipts,
    supervisor,
    gateway,
    paymentCodes,
    scanFeed,
    displayFeed,
    async printReceipt(orderId, reprint = 0) {
      const printer = hw.devices.printer;
      if (!printer) throw new KioskError('DEVICE_OFFLINE', 'no receipt printer configured');
      const order = await engine.get(orderId);
      return printer.print(receiptJob(order, receiptHeader(config), { reprint }));
    },
  };
}

/** The one composition root: wires the runtime from config. Devices are added here by later issues. */
export async function bootKiosk(bootConfig: KioskConfig, opts: BootOptions = {}): Promise<Kiosk> {
  const clock = opts.clock ?? new SystemClock();
  // a provisioned kiosk is who its identity says, whatever the local config file claims
  const identity = readIdentity(bootConfig.dataDir);
  const base: KioskConfig = identity ? { ...bootConfig, device: { ...bootConfig.device, storeId: identity.store, deviceId: identity.device } } : bootConfig;
  const { db, file, marks, checkLater } = await openDatabase(base, clock, { quickCheckMaxBytes: opts.quickCheckAtBootMaxBytes });
  // the marker follows every commit, written off the scan path (coalesced, one write in flight)
  const marker = new MarkerWriter(base.dataDir, marks, { now: () => clock.now(), clock, gapMs: MARKER_GAP_MS, onError: (e) => opts.log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'data marker not written') });
  // HQ's signed config bundles on top of the local config; pricing, promotions, tax and loyalty follow an applied
  // bundle at once (between orders), device bindings and payment settings at the next start
  const live = { config: base };
  let pricing = { promotions: base.promotions as Promotion[], rates: taxRates(base) };
  const engine = new OrderEngine({
    db,
    clock,
    deviceId: base.device.deviceId,
    price: (lines, memberAttached) =>
      priceCart(lines, { promotions: pricing.promotions, taxRates: pricing.rates, taxMode: live.config.tax.mode, memberAttached, now: clock.now() }),
    points: (paid) => {
      const l = live.config.loyalty;
      return l.enabled ? Math.floor(paid / l.per) * l.points : 0;
    },
  });
  engine.on('committed', (c) => marker.note({ journalSeq: c.entry.seq, journalHash: c.entry.hash, receiptNo: c.order.receiptNo }));
  const trust = TrustStore.open(base.dataDir);
  const bundles = new ConfigBundleManager({
    db,
    trust,
    clock,
    identity: { store: base.device.storeId, device: base.device.deviceId },
    base,
    canApplyNow: async () => (await engine.openOrder()) === null,
    onApplied: (c) => {
      live.config = c;
      pricing = { promotions: c.promotions as Promotion[], rates: taxRates(c) };
    },
  });
  let config: KioskConfig;
  try {
    config = await bundles.init();
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  live.config = config;
  pricing = { promotions: config.promotions as Promotion[], rates: taxRates(config) };
  const catalog = new Catalog(db);
  const lane = new Lane(engine, catalog, config);
  await restoreLaneState(db, lane); // a lane closed before a restart stays closed
  const onError = opts.onBackgroundError ?? (() => undefined);
  const payEvents = new EventEmitter<PaymentEvents>();
  const faults = new ServiceFaults(() => clock.now());
  // a storage failure (disk full, read-only, corrupt, I/O) puts the lane out of service before the failing caller
  // hears of it, logged once per change; probed until it works again, then what failed meanwhile runs again
  const storageBack: (() => void)[] = [];
  const storage = new StorageWatch(db, faults, {
    clock,
    probeMs: opts.storageProbeMs,
    onChange: (f) =>
      f
        ? opts.log?.error({ cause: f.cause, reason: f.reason }, 'storage failed: lane out of service')
        : opts.log?.info({}, 'storage works again: lane back in service'),
    onRecovered: () => storageBack.forEach((fn) => fn()),
  });
  storage.start();
  // a database too large to check before boot is checked now, beside the lane: corruption is a storage failure like
  // any other (out of service, logged, probed until quick_check passes again)
  const checked = checkLater
    ? quickCheck(file).then((reason) => {
        if (reason) storage.report(reason, 'corrupt', 'PRAGMA quick_check after boot');
      })
    : Promise.resolve();
  const hardware = opts.devices ? await startHardware(payEvents, config, clock, db, engine, lane, faults, onError, opts.log) : null;
  const condition = (): LaneCondition => hardware?.supervisor.condition() ?? laneCondition({}, [], null, faults.reasons());
  // out of service (a required device down or blocked, or a lane-wide fault): a scan opens no new order
  lane.setServiceCheck(() => {
    const c = condition();
    return c.inService ? null : c.reasons;
  });
  const providers: PaymentProvider[] = opts.confirmCash ? [new AttendantCashProvider(opts.confirmCash)] : [];
  if (hardware?.devices.terminal) {
    providers.push(
      new CardTerminalProvider(hardware.devices.terminal, {
        lastTraceNumber: () => lastRecordedTraceNumber(db),
        onPrompt: (text) => payEvents.emit('prompt', { method: 'card', text }),
      }),
    );
  }
  if (hardware?.gateway) providers.push(hardware.gateway.provider, hardware.gateway.merchant);
  const connectivity = new Connectivity();
  connectivity.gateway = hardware?.gateway ? await hardware.gateway.provider.available() : false;
  // the gateway's reachability, re-probed every 30 s (QR pay is offered only while it answers)
  let probe: { id: number } | null = null;
  const reprobe = () => {
    probe = clock.setTimeout(() => {
      void hardware?.gateway?.provider
        .available()
        .then((ok) => (connectivity.gateway = ok))
        .finally(() => (probe ? reprobe() : undefined));
    }, 30_000);
  };
  if (hardware?.gateway) reprobe();
  const limits = new OfflineLimits(db, config.payments.offline, connectivity);
  const checkout = new Checkout(
    engine,
    clock,
    {
      currency: config.currency.code,
      timeoutMs: config.timeouts.paymentMs,
      admit: async (method, amount) => {
        // out of service, no payment starts (one already running, or paid, still finishes)
        const c = condition();
        if (!c.inService) throw new KioskError('OUT_OF_SERVICE', `lane out of service: ${c.reasons.join('; ')}; no payment starts`, { reasons: c.reasons });
        await limits.check(method, amount);
      },
    },
    providers,
  );
  const refunds = new Refunds(engine, db, providers);
  const idle = new IdleWatch(engine, clock, config.timeouts, onError);
  await idle.start();
  // Payments that were in flight when the kiosk stopped are settled before anything else (attempts table), and
  // again whenever the terminal comes back online, until none is in doubt.
  const recovery = new PaymentRecovery(db, checkout, clock, { onError });
  hardware?.devices.terminal?.on('status', (s) => {
    if (s.online) recovery.kick();
  });
  // a payment or an idle timeout that could not be recorded while storage failed is taken up again
  storageBack.push(() => recovery.kick(), () => void idle.rearm().catch(onError));
  await recovery.run();
  return {
    config,
    get liveConfig() {
      return live.config;
    },
    bundles,
    trust,
    clock,
    db,
    engine,
    catalog,
    checkout,
    lane,
    idle,
    recovery,
    refunds,
    connectivity,
    payments: payEvents,
    dbFile: file,
    hardware,
    faults,
    storage,
    condition,
    async close() {
      storage.stop();
      await checked; // the post-boot quick_check (its own connection) ends before the process may
      idle.stop();
      recovery.stop();
      if (probe) clock.clearTimeout(probe);
      probe = null;
      if (hardware) {
        hardware.scanFeed?.stop();
        hardware.displayFeed?.stop();
        await hardware.supervisor.stop();
        await hardware.close();
      }
      // entries journaled outside the order engine (lane control, attendant refusals, imports) count too
      const head = await db.read.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1').catch(() => undefined);
      if (head) marker.note({ journalSeq: head.seq, journalHash: head.hash });
      await db.close();
      await marker.flush();
    },
  };
}
