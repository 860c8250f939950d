import type { EventEmitter } from 'node:events';
import type { KioskConfig } from '../config/schema';
import type { DeviceClass, PrintJobResult } from '../drivers/contract';
import type { PrintJobLedger } from '../drivers/printer/job-ledger';
import type { Clock } from '../kernel/clock';
import { KioskError } from '../kernel/errors';
import type { KioskDb } from '../kernel/sqlite/database';
import type { ServiceFaults } from '../runtime/lane/service-faults';
import type { Lane, ScanOutcome } from '../runtime/lane/lane';
import type { OrderEngine } from '../runtime/orders/engine';
import { PaymentCodeInbox } from '../runtime/payments/payment-code-inbox';
import { SqlitePrintJobLedger } from '../runtime/receipts/job-ledger';
import { receiptJob } from '../runtime/receipts/receipt-job';
import { parseReceiptJobId, ReceiptSpool } from '../runtime/receipts/receipt-spool';
import { DisplayFeed } from '../runtime/supervision/display-feed';
import type { LaneCondition } from '../runtime/supervision/lane-condition';
import { ScanFeed } from '../runtime/supervision/scan-feed';
import { DeviceSupervisor, type LaneDevices } from '../runtime/supervision/supervisor';
import type { ChannelSecrets } from '../protocol/payments/channel-secrets';
import type { KeyedSecrets } from '../runtime/payments/channels/hq-keyed-channel';
import { buildWallets, type BuiltWallets } from './devices/wallets';
import { runDoctor, type DoctorReport } from './doctor';
import type { Logger } from './logger';
import type { PaymentEvents } from './payments';
import { receiptHeader } from './receipt-header';
import { buildDisplay } from './devices/display';
import { buildLight } from './devices/light';
import { buildPrinter } from './devices/printer';
import { buildScanner } from './devices/scanner';
import { buildTerminal } from './devices/terminal';
import type { DeviceContext } from './devices/types';
import type { SimControl } from './simulation/sim-control';

export interface LaneHardware {
  devices: LaneDevices;
  /** Control surfaces of the simulated devices (empty when every device is real). */
  sim: SimControl;
  simulated: DeviceClass[];
  close(): Promise<void>;
}

/**
 * Builds every configured device: a real driver on the configured port, or — for `simulated` — the same real
 * driver on a real pty (or loopback) with a byte-level simulator at the other end. Nothing is opened here: the
 * supervisor brings devices up, so one absent device never stops the others.
 */
export async function buildHardware(ctx: DeviceContext, ledger: PrintJobLedger): Promise<LaneHardware> {
  const built = await Promise.all([buildScanner(ctx), buildTerminal(ctx), buildPrinter(ctx, ledger), buildDisplay(ctx), buildLight(ctx)]);
  const [scanner, terminal, printer, display, light] = built;
  const simulated = (['scanner', 'terminal', 'printer', 'display', 'light'] as const).filter((cls) => ctx.config.devices[cls].transport === 'simulated');
  return {
    devices: { scanner: scanner.device, terminal: terminal.device, printer: printer.device, display: display?.device, light: light?.device },
    sim: { scanner: scanner.sim, terminal: terminal.sim, printer: printer.sim, display: display?.sim, light: light?.sim },
    simulated,
    async close() {
      await Promise.all(built.map((b) => b?.close().catch(() => undefined)));
    },
  };
}

export interface KioskHardware extends LaneHardware {
  supervisor: DeviceSupervisor;
  /** QR pay through the wallet channels (Alipay, WeChat Pay, UnionPay; simulated unless config names the store's). */
  wallets: BuiltWallets | null;
  paymentCodes: PaymentCodeInbox;
  scanFeed: ScanFeed | null;
  displayFeed: DisplayFeed | null;
  /** Prints an order's receipt (job id `receipt:<orderId>`, so printing it again prints nothing). */
  printReceipt(orderId: string, reprint?: number): Promise<PrintJobResult>;
  /** Receipts that could not print: printed when the printer is ready again, or listed for the attendant. */
  receipts: ReceiptSpool | null;
  /**
   * The lane's one health check (`kiosk doctor`, the control endpoint, the attendant's screen, HQ's `doctor`
   * command): every device, each wallet channel, SQLite integrity, the journal chain and the lane-wide faults.
   */
  doctor(opts?: { interactive?: boolean; prompt?: (text: string) => Promise<boolean> }): Promise<DoctorReport>;
}

export interface HardwareDeps {
  config: KioskConfig;
  clock: Clock;
  db: KioskDb;
  engine: OrderEngine;
  lane: Lane;
  faults: ServiceFaults;
  /** Payment prompts and merchant QR codes, for the screen. */
  payEvents: EventEmitter<PaymentEvents>;
  onError: (e: unknown) => void;
  log?: Logger;
  /** The wallet channels' merchant credentials HQ sealed to this kiosk (for channels configured `hq`). */
  channelSecrets?: KeyedSecrets<ChannelSecrets>;
}

/**
 * Builds and starts the lane's hardware: the devices under the supervisor (which keeps bringing them up), the scan
 * and display feeds, the wallet channels, and the receipt spool. `close()` removes every listener it added and closes
 * every device.
 */
export async function startLaneHardware(d: HardwareDeps): Promise<KioskHardware> {
  const { config, clock, db, engine, faults, log } = d;
  const ledger = new SqlitePrintJobLedger(db, clock);
  const hw = await buildHardware({ config, clock, log }, ledger);
  const supervisor = new DeviceSupervisor(hw.devices, { clock, required: config.devices.required, engine, faults, lane: d.lane });
  const onDeviceError = (cls: DeviceClass, e: Error) => log?.warn({ device: cls, err: e.message }, 'device error');
  const onCondition = (c: LaneCondition) => log?.info({ inService: c.inService, reasons: c.reasons, light: c.light }, 'lane condition');
  supervisor.on('deviceError', onDeviceError);
  supervisor.on('condition', onCondition);
  await supervisor.start();
  // the scanned code is not logged: a shopper-presented payment code is a bearer token
  const onScanError = (e: unknown) =>
    log?.error({ err: e instanceof Error ? e.message : String(e), code: (e as { code?: unknown } | null)?.code }, 'scan could not be handled');
  const scanFeed = hw.devices.scanner ? new ScanFeed(hw.devices.scanner, d.lane, onScanError) : null;
  const paymentCodes = new PaymentCodeInbox();
  const onScan = (o: ScanOutcome) => {
    if (o.ok && o.action === 'payment_code') paymentCodes.offer({ channel: o.channel, code: o.code });
    if (!o.ok && o.code === 'OUT_OF_SERVICE') log?.warn({ cause: o.detail }, 'scan refused: lane out of service');
  };
  scanFeed?.on('outcome', onScan);
  const payEvents = d.payEvents;
  const wallets = await buildWallets({ config, clock, log }, paymentCodes, {
    onQrCode: (qrCode, req) => payEvents.emit('qr', { orderId: req.orderId, attemptId: req.attemptId, qrCode }),
    onPrompt: (method, prompt) => payEvents.emit('prompt', { method, ...prompt }),
  }, d.channelSecrets);
  const displayFeed = hw.devices.display
    ? new DisplayFeed(engine, hw.devices.display, { currency: config.currency.code, minorUnits: config.currency.minorUnits, locale: 'en', welcome: 'WELCOME' }, d.onError)
    : null;
  await displayFeed?.start();
  const header = receiptHeader(config);
  const receipts = hw.devices.printer
    ? new ReceiptSpool(ledger, hw.devices.printer, {
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
      scanFeed?.off('outcome', onScan);
      scanFeed?.stop();
      displayFeed?.stop();
      await supervisor.stop();
      supervisor.off('deviceError', onDeviceError);
      supervisor.off('condition', onCondition);
      receipts?.stop();
      await wallets?.close();
      await hw.close();
    },
    receipts,
    supervisor,
    wallets,
    paymentCodes,
    scanFeed,
    displayFeed,
    async printReceipt(orderId, reprint = 0) {
      const printer = hw.devices.printer;
      if (!printer) throw new KioskError('DEVICE_OFFLINE', 'no receipt printer configured');
      const order = await engine.get(orderId);
      return printer.print(receiptJob(order, header, { reprint }));
    },
    doctor: (opts = {}) =>
      runDoctor(hw.devices, db, { required: config.devices.required, interactive: opts.interactive, prompt: opts.prompt, wallets: wallets?.channels ?? null, faults: faults.reasons() }),
  };
}
