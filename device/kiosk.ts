import { EventEmitter } from 'node:events';
import type { KioskConfig } from '../config/schema';
import { SystemClock, type Clock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { MarkerWriter } from '../runtime/db/data-marker';
import type { StorageWatch } from '../runtime/db/storage-watch';
import type { ConfigBundleManager } from '../runtime/hq-control/config-bundles';
import { Lane } from '../runtime/lane/lane';
import { restoreLaneState } from '../runtime/lane/lane-control';
import { ServiceFaults } from '../runtime/lane/service-faults';
import type { Committed, OrderEngine } from '../runtime/orders/engine';
import { IdleWatch } from '../runtime/orders/idle-watch';
import type { Checkout } from '../runtime/payments/checkout';
import type { Connectivity } from '../runtime/payments/offline-limits';
import type { PaymentRequest } from '../runtime/payments/provider';
import { PaymentRecovery } from '../runtime/payments/recovery';
import type { Refunds } from '../runtime/payments/refunds';
import { Returns } from '../runtime/payments/returns';
import { returnsPolicyOf } from '../config/returns-policy';
import { Catalog } from '../runtime/pricebook/catalog';
import { laneCondition, type LaneCondition } from '../runtime/supervision/lane-condition';
import { TrustStore } from '../runtime/trust/trust-store';
import type { DeviceStatus } from '../drivers/contract';
import { MARKER_GAP_MS, openDatabase } from './database';
import { startLaneHardware, type KioskHardware } from './hardware';
import { liveConfigEngine } from './live-config';
import type { Logger } from './logger';
import { watchStorage } from './storage-faults';
import { withIdentity } from './identity-config';
import { startPayments, type PaymentEvents } from './payments';
import { recallLookup } from '../runtime/recalls/lookup';

export { dbPath, MARKER_GAP_MS, openDatabase } from './database';
export type { KioskHardware } from './hardware';
export type { PaymentEvents } from './payments';
export { receiptHeader } from './receipt-header';

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
  /** After-sales returns under the store's returns policy (config `returns`, live: an HQ bundle may change it). */
  returns: Returns;
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

/**
 * The one composition root: wires the runtime from config — the database (checked before anything writes to it),
 * HQ's config bundles, the order engine and lane, lane-wide faults and the storage watch, the lane's hardware, the
 * payment methods, idle timeouts and payment recovery. `close()` stops all of it and removes every listener it added.
 */
export async function bootKiosk(bootConfig: KioskConfig, opts: BootOptions = {}): Promise<Kiosk> {
  const clock = opts.clock ?? new SystemClock();
  const log = opts.log;
  // a provisioned kiosk is who its identity says, whatever the local config file claims (the one merge: configFrom's too)
  const base: KioskConfig = withIdentity(bootConfig).config;
  const { db, file, marks, checkLater } = await openDatabase(base, clock, { quickCheckMaxBytes: opts.quickCheckAtBootMaxBytes });
  // the marker follows every commit, written off the scan path (coalesced, one write in flight)
  const marker = new MarkerWriter(base.dataDir, marks, { now: () => clock.now(), clock, gapMs: MARKER_GAP_MS, onError: (e) => log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'data marker not written') });
  const trust = TrustStore.open(base.dataDir);
  const { engine, bundles, live, init } = liveConfigEngine({ db, clock, trust, base });
  const onCommitted = (c: Committed) => marker.note({ journalSeq: c.entry.seq, journalHash: c.entry.hash, receiptNo: c.order.receiptNo });
  engine.on('committed', onCommitted);
  const config = await init().catch(async (e: unknown) => {
    engine.off('committed', onCommitted);
    await db.close().catch(() => undefined);
    throw e;
  });
  // what is open so far, closed in reverse when a later step fails: a boot that fails midway leaves no database,
  // storage watch, device or timer behind
  const undo: (() => unknown)[] = [() => db.close(), () => engine.off('committed', onCommitted)];
  try {
    const catalog = new Catalog(db);
    const lane = new Lane(engine, catalog, config, log, { clock, recalls: recallLookup(db) });
    await restoreLaneState(db, lane); // a lane closed before a restart stays closed
    const onError = opts.onBackgroundError ?? (() => undefined);
    const payEvents = new EventEmitter<PaymentEvents>();
    const faults = new ServiceFaults(() => clock.now());
    const storage = watchStorage({ db, file, faults, clock, probeMs: opts.storageProbeMs, checkLater, log });
    undo.push(() => storage.stop());
    const channelSecrets = {
      version: () => bundles.channelSecretsStore()?.version() ?? null,
      secrets: () => bundles.channelSecrets(),
      previous: () => bundles.channelSecretsStore()?.previous() ?? null,
    };
    const hardware = opts.devices ? await startLaneHardware({ config, clock, db, engine, lane, faults, payEvents, onError, log, channelSecrets }) : null;
    undo.push(() => hardware?.close());
    const condition = (): LaneCondition => hardware?.supervisor.condition() ?? laneCondition({}, [], null, faults.reasons());
    // out of service (a required device down or blocked, or a lane-wide fault): a scan opens no new order
    lane.setServiceCheck(() => {
      const c = condition();
      return c.inService ? null : c.reasons;
    });
    const payments = await startPayments({ config, clock, db, engine, hardware, payEvents, condition, confirmCash: opts.confirmCash });
    undo.push(() => payments.stop());
    const idle = new IdleWatch(engine, clock, config.timeouts, onError);
    undo.push(() => idle.stop());
    await idle.start();
    // Payments that were in flight when the kiosk stopped are settled before anything else (attempts table), and
    // again whenever the terminal comes back online, until none is in doubt.
    const recovery = new PaymentRecovery(db, payments.checkout, clock, { onError, refunds: payments.refunds });
    undo.push(() => recovery.stop());
    const onTerminalStatus = (s: DeviceStatus) => s.online && recovery.kick();
    hardware?.devices.terminal?.on('status', onTerminalStatus);
    undo.push(() => hardware?.devices.terminal?.off('status', onTerminalStatus));
    // a payment or an idle timeout that could not be recorded while storage failed is taken up again
    storage.whenBack(() => recovery.kick(), () => void idle.rearm().catch(onError));
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
      checkout: payments.checkout,
      lane,
      idle,
      recovery,
      refunds: payments.refunds,
      returns: new Returns({ engine, db, refunds: payments.refunds, clock, policy: () => returnsPolicyOf(live.config) }),
      connectivity: payments.connectivity,
      payments: payEvents,
      dbFile: file,
      hardware,
      faults,
      storage: storage.storage,
      condition,
      async close() {
        await storage.stop(); // the post-boot quick_check (its own connection) ends before the process may
        idle.stop();
        recovery.stop();
        payments.stop();
        hardware?.devices.terminal?.off('status', onTerminalStatus);
        await hardware?.close();
        engine.off('committed', onCommitted);
        // entries journaled outside the order engine (lane control, attendant refusals, imports) count too
        const head = await db.read.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1').catch(() => undefined);
        if (head) marker.note({ journalSeq: head.seq, journalHash: head.hash });
        await db.close();
        await marker.flush();
      },
    };
  } catch (e) {
    for (const fn of undo.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
    throw e;
  }
}
