import * as path from 'node:path';
import type { Lang } from '../protocol/screen';
import type { ScanData } from '../drivers/contract';
import { receiptModel } from '../protocol/receipts/receipt-model';
import type { ScanOutcome } from '../runtime/lane/lane';
import { appendJournal } from '../runtime/journal/append';
import { AttendantGate } from '../runtime/screen/attendant-gate';
import type { AttendantRefusal } from '../runtime/screen/attendant-session';
import { screenBranding } from '../runtime/screen/branding';
import { memberStanding } from '../runtime/members/member-store';
import { redeemRate } from '../runtime/members/loyalty';
import { ScreenSession } from '../runtime/screen/screen-session';
import { startScreenServer } from '../runtime/screen/server';
import { setLaneOpen } from '../runtime/lane/lane-control';
import { reprintReceipt } from '../runtime/receipts/reprint';
import { returnSlipJob } from '../runtime/screen/return-slip';
import { listRefundsInDoubt } from './refunds-control';
import { returnsPolicyOf } from '../config/returns-policy';
import { parseReceiptJobId } from '../runtime/receipts/receipt-spool';
import { receiptHeader, type Kiosk, type PaymentEvents } from './kiosk';
import { portProblem } from './port-in-use';
import { projectRoot } from '../kernel/project-root';

export interface ScreenOptions {
  /** Overrides config `screen.port` (0 = any free port). */
  port?: number;
  /** How long the thank-you screen stays (default 8 s; 30 s with an e-receipt QR). */
  thankYouMs?: number;
  onError?: (e: unknown) => void;
}

export interface RunningScreen {
  port: number;
  url: string;
  session: ScreenSession;
  /** Screens connected now (WebSockets the server has not seen close). */
  clients(): number;
  close(): Promise<void>;
}

/**
 * Serves the shopper's touchscreen for a booted kiosk on 127.0.0.1 (`screen.port` from config unless `opts.port`)
 * and wires it to the kiosk: committed order changes, terminal prompts, scanner outcomes (messages, attendant
 * badges) and the lane condition reach the screen as they happen. The UI files are `screen-ui/index.html`,
 * `screen-ui/style.css` and the compiled `dist/screen/public/screen-ui/app.js` (`npm run build`).
 */
export async function startScreen(kiosk: Kiosk, opts: ScreenOptions = {}): Promise<RunningScreen> {
  const config = kiosk.config;
  const hw = kiosk.hardware;
  const root = projectRoot();
  // enrolled PINs and badges are read at every check: an HQ bundle that enrols or removes one is in force at once
  const gate = new AttendantGate({
    get pins() {
      return kiosk.liveConfig.attendant.pins;
    },
    get badges() {
      return kiosk.liveConfig.attendant.badges;
    },
    maxAttempts: config.attendant.maxPinAttempts,
    lockoutMs: config.attendant.lockoutMs,
    badgePattern: config.attendant.badgePattern,
    clock: kiosk.clock,
  });
  // every refused badge, PIN or attendant command is journaled with its cause (never the PIN or the badge code)
  const onAttendantRefused = (r: AttendantRefusal) =>
    void kiosk.db
      .transaction((tx) => appendJournal(tx, { deviceId: config.device.deviceId, ts: kiosk.clock.now(), orderId: null, type: 'attendant_refused', payload: r }))
      .catch((e: unknown) => opts.onError?.(e));
  const brand = screenBranding(config);
  const session = new ScreenSession({
    clock: kiosk.clock,
    engine: kiosk.engine,
    lane: kiosk.lane,
    checkout: kiosk.checkout,
    gate,
    storeName: brand.storeName,
    branding: brand.view,
    currency: { code: config.currency.code, minorUnits: config.currency.minorUnits },
    languages: config.locales.available as Lang[],
    defaultLang: config.locales.default as Lang,
    // devices and lane-wide faults (storage, data): the out-of-service screen shows whichever holds
    condition: () => kiosk.condition(),
    printReceipt: hw?.devices.printer ? (id) => hw.printReceipt(id) : undefined,
    receiptQr: (order) => receiptModel(order, receiptHeader(config), config.locales.default === 'en' ? 'en' : 'zh-CN').qrPayload,
    unprintedReceipts: hw?.receipts
      ? async () =>
          (await hw.receipts!.pending()).flatMap((j) => {
            const r = parseReceiptJobId(j.id);
            return r ? [{ orderId: r.orderId, state: j.state === 'in_doubt' || j.state === 'sending' ? ('in_doubt' as const) : ('pending' as const) }] : [];
          })
      : undefined,
    // qrcode is loaded with the first payment QR, not at boot
    qrSvg: async (data) => (await import('qrcode')).toString(data, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }),
    thankYouMs: opts.thankYouMs,
    idleMs: config.timeouts.idlePromptMs,
    attendantIdleMs: config.attendant.idleTimeoutMs,
    onAttendantRefused,
    setLane: (open, attendantId) => setLaneOpen(kiosk.db, kiosk.lane, { open, actor: { attendantId } }, { clock: kiosk.clock, deviceId: config.device.deviceId }),
    doctor: hw
      ? async () => {
          const r = await hw.doctor();
          return { ok: r.ok, rows: r.rows };
        }
      : undefined,
    reprint: hw?.devices.printer
      ? (orderId, attendantId) =>
          reprintReceipt(kiosk.db, kiosk.engine, { orderId, attendantId }, { clock: kiosk.clock, deviceId: config.device.deviceId, print: (id, n) => hw.printReceipt(id, n) })
      : undefined,
    refund: (orderId, input) => kiosk.refunds.refund(orderId, input),
    // refunds in doubt: the attendant's decision, the terminal asked first (as `kiosk refunds decide`)
    refundsInDoubt: {
      list: async () =>
        (await listRefundsInDoubt(kiosk.db)).map((r) => ({ refundAttemptId: r.refundAttemptId, orderId: r.orderId, receiptNo: r.receiptNo, method: r.method, amount: r.amount, returnId: r.returnId, attendantId: r.attendantId })),
      // asks the terminal about the card refunds; a wallet refund in doubt is settled when its refund is retried
      recheck: async () => {
        await kiosk.refunds.settleCardInDoubt();
        return (await listRefundsInDoubt(kiosk.db)).length;
      },
      decide: (id, outcome, attendantId) => kiosk.refunds.decide(id, outcome, attendantId),
    },
    // returns at the lane: the kiosk's own Returns (as `kiosk orders return`) under the live store policy
    returns: { policy: () => returnsPolicyOf(kiosk.liveConfig), run: (orderId, input) => kiosk.returns.run(orderId, input) },
    // members: HQ's snapshot + this kiosk's own ledger (runtime/members); "Use points" when loyalty.redeem is set
    members: { standing: (memberId) => memberStanding(kiosk.db.read, memberId), redeemOn: () => redeemRate(kiosk.liveConfig.loyalty) !== null },
    printReturn: hw?.devices.printer
      ? async (orderId, returnId) => hw.devices.printer!.print(returnSlipJob(await kiosk.engine.get(orderId), returnId, receiptHeader(config), returnsPolicyOf(kiosk.liveConfig)))
      : undefined,
    onError: opts.onError,
  });
  const onScan = (o: ScanOutcome, d: ScanData) => session.scanned(o, d.raw);
  const onCondition = () => session.conditionChanged();
  kiosk.lane.on('closedChanged', onCondition); // closed by HQ as well as by the attendant
  kiosk.faults.on('change', onCondition); // storage or data faults, with or without devices
  // every provider's prompt (card terminal, QR gateway) arrives as a prompt code through the kiosk's payment events
  const onPayPrompt = (p: PaymentEvents['prompt'][0]) => session.paymentPrompt(p);
  const onPayQr = (q: { orderId: string; attemptId: string; qrCode: string }) => void session.merchantQr(q).catch((e: unknown) => opts.onError?.(e));
  kiosk.payments.on('prompt', onPayPrompt);
  kiosk.payments.on('qr', onPayQr);
  hw?.scanFeed?.on('outcome', onScan);
  hw?.supervisor.on('condition', onCondition);
  const unwire = (): void => {
    hw?.scanFeed?.off('outcome', onScan);
    hw?.supervisor.off('condition', onCondition);
    kiosk.lane.off('closedChanged', onCondition);
    kiosk.faults.off('change', onCondition);
    kiosk.payments.off('prompt', onPayPrompt);
    kiosk.payments.off('qr', onPayQr);
  };
  await session.start();
  let server;
  try {
    server = await startScreenServer(session, {
      port: opts.port ?? config.screen.port,
      staticDir: path.join(root, 'screen-ui'),
      scriptDir: path.join(root, 'dist', 'screen', 'public', 'screen-ui'),
      logo: brand.logo,
      onError: opts.onError,
    });
  } catch (e) {
    unwire(); // a screen that did not start leaves no listener behind
    session.stop();
    throw portProblem(e, 'screen', opts.port ?? config.screen.port, 'screen.port');
  }
  const srv = server;
  return {
    port: srv.port,
    url: `http://127.0.0.1:${srv.port}/`,
    session,
    clients: () => srv.clients(),
    async close() {
      unwire();
      session.stop();
      await srv.close();
    },
  };
}
