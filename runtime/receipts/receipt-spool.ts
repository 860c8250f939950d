import type { DeviceFault, DeviceStatus, PrintJob, PrintJobResult, ReceiptPrinter } from '../../drivers/contract';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { SqlitePrintJobLedger, UnprintedJob } from './job-ledger';

/** Faults that stop a printer from printing (near-end paper still prints). */
const BLOCKING: readonly DeviceFault[] = ['PAPER_OUT', 'COVER_OPEN', 'HARDWARE'];

/** Job ids the spool owns: an order's receipt and the attendant's reprints (`runtime/receipts/receipt-job.ts`). */
const RECEIPT_PREFIXES = ['receipt:', 'reprint:'] as const;

/** `receipt:<orderId>` → { orderId, reprint: 0 }; `reprint:<orderId>:<n>` → { orderId, reprint: n }; else null. */
export function parseReceiptJobId(id: string): { orderId: string; reprint: number } | null {
  if (id.startsWith('receipt:') && id.length > 'receipt:'.length) return { orderId: id.slice('receipt:'.length), reprint: 0 };
  const m = /^reprint:(.+):(\d{1,6})$/.exec(id);
  return m ? { orderId: m[1], reprint: Number(m[2]) } : null;
}

export interface ReceiptSpoolOptions {
  clock: Clock;
  /** The job to (re)send for an id; null when there is nothing to print for it any more. */
  jobFor: (id: string) => Promise<PrintJob | null>;
  /**
   * A receipt left unprinted longer than this is not printed by itself (its shopper has gone): it waits for the
   * attendant (Past orders). Default 15 minutes.
   */
  maxAgeMs?: number;
  /** While receipts wait and the printer looks ready but refused, try again this often. Default 30 s. */
  retryMs?: number;
  onPrinted?: (r: PrintJobResult) => void;
  onError?: (e: unknown) => void;
}

const ready = (s: DeviceStatus): boolean => s.online && s.lifecycle === 'enabled' && !s.faults.some((f) => BLOCKING.includes(f));

/**
 * Receipts that could not print are never dropped. Their job stays in the ledger (SQLite, so it survives a
 * restart) as `failed` (nothing sent) or `in_doubt` (sent, not confirmed), and the spool prints an order's
 * receipt (`receipt:<id>`) when the printer is ready again: on the printer's status turning ready, at start (after
 * a restart), and on `kick()`. Each prints exactly once by its job id (the driver's ledger rule); an in-doubt one
 * is re-sent marked COPY. Receipts older than `maxAgeMs`, and the attendant's reprints (`reprint:<id>:<n>`, whose
 * failure the attendant saw), are not printed by themselves: `pending()` lists them for Past orders.
 */
export class ReceiptSpool {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private readonly onStatus = (s: DeviceStatus) => {
    if (ready(s)) void this.kick();
  };

  constructor(
    private readonly ledger: SqlitePrintJobLedger,
    private readonly printer: ReceiptPrinter,
    private readonly opts: ReceiptSpoolOptions,
  ) {}

  start(): Promise<void> {
    this.printer.on('status', this.onStatus);
    return this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.printer.off('status', this.onStatus);
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Receipts not printed (any age), oldest first: what the attendant sees. */
  async pending(): Promise<UnprintedJob[]> {
    const all = await Promise.all(RECEIPT_PREFIXES.map((p) => this.ledger.unprinted(p)));
    return all.flat().sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Prints what waits, if the printer is ready. Resolves when this round is over (never rejects). */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.stopped);
      } catch (e) {
        this.opts.onError?.(e);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async round(): Promise<void> {
    if (!ready(this.printer.status())) return;
    const maxAge = this.opts.maxAgeMs ?? 15 * 60_000;
    // the shopper's receipts only: a reprint the attendant asked for and saw fail is theirs to ask for again
    const due = (await this.ledger.unprinted('receipt:')).filter((j) => this.opts.clock.now() - j.createdAt <= maxAge);
    for (const j of due) {
      if (this.stopped) return;
      const job = await this.opts.jobFor(j.id);
      if (!job) continue;
      try {
        this.opts.onPrinted?.(await this.printer.print(job));
      } catch (e) {
        // the printer refused or the job is in doubt again: stop here, the next ready status (or the retry) resumes
        this.opts.onError?.(e);
        this.retryLater();
        return;
      }
    }
  }

  private retryLater(): void {
    if (this.timer || this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      void this.kick();
    }, this.opts.retryMs ?? 30_000);
  }
}
