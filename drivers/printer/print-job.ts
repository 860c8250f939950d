import { KioskError } from '../../kernel/errors';
import type { PrintJob, PrintJobResult, PrintJobState, ReceiptBlock } from '../contract/printer';
import type { PrintJobLedger } from './job-ledger';
import { describeStatus, type EscPosStatus } from './status';

/**
 * The lines printed at the top of a job sent again after an in-doubt print: part (or all) of the first send may
 * be on paper, so this one says it is a copy — the shopper never holds two unmarked originals.
 */
export function copyBanner(cjk: boolean): ReceiptBlock[] {
  return [
    { kind: 'text', text: cjk ? '*** 副本 COPY ***' : '*** COPY ***', align: 'center', bold: true },
    { kind: 'text', text: 'previous print interrupted', align: 'center' },
  ];
}

export interface PrintJobHost {
  /** The printer's id, for messages. */
  readonly id: string;
  readonly ledger: PrintJobLedger;
  readonly cjk: boolean;
  encode(job: PrintJob): Uint8Array;
  /** The real-time status; rejects `DEVICE_OFFLINE` while the link is down. */
  readStatus(): Promise<EscPosStatus>;
  write(bytes: Uint8Array): Promise<void>;
  /** Every job ends in one `job` event. */
  emitJob(r: PrintJobResult): void;
}

/**
 * One print job, the printer held (the caller queues it): a confirmed job id never prints again (see
 * `PrintJobLedger` for states and the retry rule). Before sending it reads the real-time status and refuses paper
 * out / cover open (`PAPER_OUT` / `COVER_OPEN`, job `failed`, nothing sent); it marks `sending`, sends, reads the
 * status again to confirm, marks `printed` — or `in_doubt` when the confirmation does not come (a retry sends it
 * again, marked COPY).
 */
export async function runPrintJob(job: PrintJob, host: PrintJobHost): Promise<PrintJobResult> {
  const { id } = job;
  const { ledger } = host;
  const finish = (r: PrintJobResult): PrintJobResult => {
    host.emitJob(r);
    return r;
  };
  const fail = (state: PrintJobState, e: unknown): Error => {
    const err = e instanceof Error ? e : new Error(String(e));
    host.emitJob({ id, state, duplicate: false, error: err.message });
    return err;
  };
  const prior = await ledger.get(id);
  if (prior === 'printed') return finish({ id, state: 'printed', duplicate: true });
  // sent before and never confirmed (or the kiosk stopped while sending): part or all of it may be on paper,
  // so it is sent again in full, marked COPY (see PrintJobLedger)
  const copy = prior === 'in_doubt' || prior === 'sending';
  const bytes = host.encode(copy ? { ...job, blocks: [...copyBanner(host.cjk), ...job.blocks] } : job);

  // 1. is the printer ready? (nothing is sent on a refusal: a new job is `failed`, one in doubt stays in doubt)
  try {
    refuseFaults(host.id, await host.readStatus(), 'before sending');
  } catch (e) {
    if (!copy) await ledger.mark(id, 'failed');
    throw fail(copy ? 'in_doubt' : 'failed', e);
  }

  // 2. send: `sending` is durable before the first byte leaves (a crash from here on leaves the job in doubt)
  await ledger.mark(id, 'sending');
  try {
    await host.write(bytes);
    // 3. confirm: the printer answers after the whole job arrived, with no fault
    refuseFaults(host.id, await host.readStatus(), 'after sending (the job is in doubt: a retry sends it again, marked COPY)');
  } catch (e) {
    // the bytes may be (partly) on paper: never `printed` without a confirmation
    await ledger.mark(id, 'in_doubt').catch(() => undefined);
    throw fail('in_doubt', e);
  }
  await ledger.mark(id, 'printed');
  return finish({ id, state: 'printed', duplicate: false, ...(copy ? { copy: true } : {}) });
}

function refuseFaults(printer: string, st: EscPosStatus, when: string): void {
  if (st.paperOut) throw new KioskError('PAPER_OUT', `printer ${printer} is out of paper ${when}`, { status: st });
  if (st.coverOpen) throw new KioskError('COVER_OPEN', `printer ${printer} has its cover open ${when}`, { status: st });
  if (st.error) throw new KioskError('DEVICE_OFFLINE', `printer ${printer} reports an error ${when}: ${describeStatus(st)}`, { status: st });
}
