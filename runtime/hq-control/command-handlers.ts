import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { randomUUID } from 'node:crypto';
import type { PaymentTerminal, ReceiptPrinter } from '../../drivers/contract';
import { isKioskError } from '../../kernel/errors';
import type { Lane } from '../lane/lane';
import type { Returns } from '../payments/returns';
import type { HqRefundRecorder } from '../payments/hq-refund-record';
import { setLaneOpen } from '../lane/lane-control';
import { runTerminalEndOfDay } from '../payments/terminal-eod';
import { businessDayOf, endOfDayReport, type BusinessDayRule } from '../reports/eod-query';
import type { CommandHandlers } from './commands';
import { hqTestPage } from './test-page';

export interface CommandHandlerDeps {
  db: KioskDb;
  lane: Lane;
  clock: Clock;
  identity: { store: string; device: string };
  currency: { code: string; minorUnits: number };
  /** The store's zone and day-start hour now (config `timezone`, `reports.dayStartHour`; a bundle may change them). */
  businessDay(): BusinessDayRule;
  /** The lane's devices, when they run (`null`: a kiosk booted without devices). */
  hardware: {
    printer?: Pick<ReceiptPrinter, 'print'>;
    terminal?: PaymentTerminal;
    /** The kiosk's one health check (devices, storage, journal, lane faults). */
    doctor(): Promise<unknown>;
  } | null;
  /** The journal gained an entry outside the order engine (lane lock, terminal end-of-day): publish it. */
  journalChanged(): void;
  /** HQ asks for the journal again from `fromSeq`. */
  resendFrom(fromSeq: number): void;
  /** Publishes the kiosk's birth (full state) again and returns that state. */
  rebirth(): unknown;
  /** The lane as the kiosk now shows it (state, reasons, light), for lock/unlock results. */
  laneState?: () => unknown;
  /** The software name/version printed on the test page. */
  software?: string;
  /** After-sales returns under the store's policy (HQ's `return` command); absent: the command fails. */
  returns?: Pick<Returns, 'run'>;
  /**
   * Records HQ's own channel refunds on their orders (HQ's `hq_refund` command: runtime/payments/hq-refund-record.ts,
   * `new HqRefundRecorder(k.engine, k.refunds)`); absent: the command fails, and HQ sends it again later.
   */
  hqRefunds?: Pick<HqRefundRecorder, 'record'>;
}

/** What the kiosk does for each of HQ's signed commands (run at most once each by the {@link CommandRunner}). */
export function commandHandlers(d: CommandHandlerDeps): CommandHandlers {
  const { db, lane, clock } = d;
  const deviceId = d.identity.device;
  return {
    lock: async ({ reason }) => {
      await setLaneOpen(db, lane, { open: false, reason: reason ?? 'closed by HQ', actor: { by: 'hq' } }, { clock, deviceId });
      d.journalChanged(); // its journal entry (not an engine commit)
      return { locked: true, ...(d.laneState ? { lane: d.laneState() } : {}) };
    },
    unlock: async () => {
      await setLaneOpen(db, lane, { open: true, actor: { by: 'hq' } }, { clock, deviceId });
      d.journalChanged();
      return { locked: false, ...(d.laneState ? { lane: d.laneState() } : {}) };
    },
    // a real test page through the printer driver; refused before a byte is sent when the paper is out (PAPER_OUT)
    print_test: async () => {
      const printer = d.hardware?.printer;
      if (!printer) throw new Error('no receipt printer on this lane');
      const job = hqTestPage({
        id: `hq-test:${randomUUID()}`,
        store: d.identity.store,
        device: deviceId,
        now: clock.now(),
        timeZone: d.businessDay().timeZone,
        software: d.software ?? 'kiosk-runtime',
      });
      try {
        const r = await printer.print(job);
        if (r.state !== 'printed') throw new Error(`test page not confirmed by the printer (${r.state}${r.error ? `: ${r.error}` : ''})`);
        return { printed: true, jobId: r.id };
      } catch (e) {
        if (isKioskError(e)) throw new Error(`test page not printed: ${e.code}: ${e.message}`);
        throw e;
      }
    },
    doctor: async () => {
      if (!d.hardware) throw new Error('devices are not running');
      return d.hardware.doctor();
    },
    resend: async ({ fromSeq }) => {
      d.resendFrom(fromSeq);
      return { resendingFrom: fromSeq };
    },
    eod: async ({ date }) => {
      const rule = d.businessDay();
      const day = date ?? businessDayOf(clock.now(), rule);
      const terminal = d.hardware?.terminal;
      const run = terminal ? await runTerminalEndOfDay(db, terminal, { clock, deviceId }) : null;
      d.journalChanged();
      const { model } = await endOfDayReport(db, day, { storeId: d.identity.store, deviceId, currency: d.currency.code, minorUnits: d.currency.minorUnits, ...rule });
      return { terminal: run, report: model };
    },
    rebirth: async () => ({ state: d.rebirth() }),
    // the same policy-checked return as at the lane (by: 'hq': an `approval: 'hq'` store accepts it); a refusal is
    // reported with its rule and both languages, for the console to show
    return: async ({ orderId, returnId, reason, approvedBy, lineIds, amount }) => {
      if (!d.returns) throw new Error('returns are not available on this kiosk');
      try {
        const r = await d.returns.run(orderId, { returnId, reason, attendantId: `hq:${approvedBy}`, by: 'hq', ...(lineIds ? { lineIds } : {}), ...(amount !== undefined ? { amount } : {}) });
        d.journalChanged();
        return r;
      } catch (e) {
        if (isKioskError(e)) {
          const text = e.details.text as { 'zh-CN': string; en: string } | undefined;
          // a refund in doubt says so (runtime/payments/refunds.ts refundInDoubtError): the console must not offer "pay back another way"
          const tag = e.details.rule ? ` (${String(e.details.rule)})` : e.details.outcome === 'unknown' ? ' (outcome unknown)' : '';
          throw new Error(`${e.code}${tag}: ${text ? `${text.en} / ${text['zh-CN']}` : e.message}`);
        }
        throw e;
      }
    },
    // a refund HQ already made at the channel: journaled on the order (no provider call), once per refund id
    hq_refund: async (args) => {
      if (!d.hqRefunds) throw new Error('HQ refunds cannot be recorded on this kiosk');
      try {
        const r = await d.hqRefunds.record(args);
        if (r.recorded) d.journalChanged();
        return r;
      } catch (e) {
        if (isKioskError(e)) throw new Error(`${e.code}${e.details.rule ? ` (${String(e.details.rule)})` : ''}: ${e.message}`);
        throw e;
      }
    },
  };
}
