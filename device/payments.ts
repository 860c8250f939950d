import type { EventEmitter } from 'node:events';
import type { KioskConfig } from '../config/schema';
import type { Clock } from '../kernel/clock';
import { KioskError } from '../kernel/errors';
import type { KioskDb } from '../kernel/sqlite/database';
import type { PaymentPrompt } from '../protocol/screen';
import type { OrderEngine } from '../runtime/orders/engine';
import { AttendantCashProvider } from '../runtime/payments/attendant-cash';
import { lastRecordedTraceNumber } from '../runtime/payments/attempts';
import { CardTerminalProvider } from '../runtime/payments/card-terminal';
import { Checkout } from '../runtime/payments/checkout';
import { Connectivity, OfflineLimits } from '../runtime/payments/offline-limits';
import type { PaymentProvider, PaymentRequest } from '../runtime/payments/provider';
import { Refunds } from '../runtime/payments/refunds';
import type { LaneCondition } from '../runtime/supervision/lane-condition';
import type { KioskHardware } from './hardware';

/** What the shopper's screen shows while a payment runs. */
export interface PaymentEvents {
  /** The terminal's / gateway's prompt as a code ("insert card", "enter PIN", "confirm in your app"); `text` is for logs. */
  prompt: [{ method: string } & PaymentPrompt];
  /** A merchant-presented dynamic QR to show for this attempt. */
  qr: [{ orderId: string; attemptId: string; qrCode: string }];
}

export interface KioskPayments {
  checkout: Checkout;
  refunds: Refunds;
  /** HQ / gateway reachability (drives the offline card limits). */
  connectivity: Connectivity;
  /** Stops re-probing the gateway. */
  stop(): void;
}

/** Every 30 s the wallet channels' reachability is probed again: QR pay is offered only while one answers. */
export const GATEWAY_PROBE_MS = 30_000;

/**
 * The lane's payment methods (attendant cash, the card terminal, QR pay through the wallet channels), admitted only while
 * the lane is in service and within the offline limits, and refunds through the same providers.
 */
export async function startPayments(d: {
  config: KioskConfig;
  clock: Clock;
  db: KioskDb;
  engine: OrderEngine;
  hardware: KioskHardware | null;
  payEvents: EventEmitter<PaymentEvents>;
  condition: () => LaneCondition;
  /** How the attendant confirms a cash payment; the demo plays the attendant. */
  confirmCash?: (req: PaymentRequest) => Promise<boolean>;
}): Promise<KioskPayments> {
  const { config, clock, db, hardware, payEvents } = d;
  const providers: PaymentProvider[] = d.confirmCash ? [new AttendantCashProvider(d.confirmCash)] : [];
  // built below with every provider; the card provider's hook reads it at payment time
  const late: { refunds?: Refunds } = {};
  if (hardware?.devices.terminal) {
    providers.push(
      new CardTerminalProvider(hardware.devices.terminal, {
        lastTraceNumber: () => lastRecordedTraceNumber(db),
        // a card refund left in doubt is settled before a card payment, so the payment's baseline includes it
        refundsInDoubt: async () => (late.refunds ? late.refunds.settleCardInDoubt() : 0),
        onPrompt: (prompt) => payEvents.emit('prompt', { method: 'card', ...prompt }),
      }),
    );
  }
  const wallets = hardware?.wallets;
  if (wallets) providers.push(wallets.router, wallets.merchant);
  const connectivity = new Connectivity();
  connectivity.gateway = wallets ? await wallets.router.available() : false;
  let probe: { id: number } | null = null;
  const reprobe = (): void => {
    probe = clock.setTimeout(() => {
      void wallets!.router
        .available()
        .then((ok) => (connectivity.gateway = ok))
        .finally(() => (probe ? reprobe() : undefined));
    }, GATEWAY_PROBE_MS);
  };
  if (wallets) reprobe();
  const limits = new OfflineLimits(db, config.payments.offline, connectivity);
  const checkout = new Checkout(
    d.engine,
    clock,
    {
      currency: config.currency.code,
      timeoutMs: config.timeouts.paymentMs,
      admit: async (method, amount) => {
        // out of service, no payment starts (one already running, or paid, still finishes)
        const c = d.condition();
        if (!c.inService) throw new KioskError('OUT_OF_SERVICE', `lane out of service: ${c.reasons.join('; ')}; no payment starts`, { reasons: c.reasons });
        await limits.check(method, amount);
      },
    },
    providers,
  );
  const refunds = new Refunds(d.engine, db, providers, { clock, deviceId: config.device.deviceId });
  late.refunds = refunds;
  return {
    checkout,
    refunds,
    connectivity,
    stop() {
      if (probe) clock.clearTimeout(probe);
      probe = null;
    },
  };
}
