import type { PrintJobState } from '../contract/printer';

/**
 * Where the printer driver keeps the state of every job id, so that a confirmed job is never printed again across
 * retries, reconnects and restarts, and a job that may not have printed is never taken for printed. The runtime
 * implements it durably (SQLite, runtime/receipts/job-ledger.ts); `mark` must be durable when it resolves,
 * because the driver writes `sending` *before* the first byte leaves.
 *
 * States as the driver writes them:
 * - `queued`   — accepted, nothing sent yet (only ever seen after a crash at that point).
 * - `failed`   — refused before any byte was sent (paper out, cover open, no answer to the status check,
 *                offline). Nothing reached the printer: a retry sends the job.
 * - `sending`  — the bytes are leaving now. Found at the start of a job it means the kiosk stopped mid-send:
 *                treated as `in_doubt`.
 * - `in_doubt` — bytes were sent (perhaps only part of them) but the printer never confirmed the job: the link
 *                dropped, the status read after sending failed, or the status after sending says paper out /
 *                cover open / error. Part of the receipt, all of it, or nothing may be on paper.
 * - `printed`  — sent and confirmed by a status read afterwards. A retry sends nothing (`duplicate: true`).
 *
 * ## The retry rule for `in_doubt` (never a silent drop, never two unmarked originals)
 * A retry of an in-doubt job (same id) checks the printer is ready — paper out / cover open / error / no answer
 * reject (`PAPER_OUT` / `COVER_OPEN` / `DEVICE_OFFLINE` / `TIMEOUT`) and the job stays `in_doubt` — then sends
 * the whole job again with a COPY banner at the top (`copyBanner`), and on confirmation marks it `printed`
 * (result `copy: true`). If the printer also finished the first send from its buffer, the shopper holds one
 * original and one marked COPY; if the first send was lost (torn roll, printer switched off to change paper),
 * the COPY is the receipt. Asking the printer "are you ready" can never tell which happened, so readiness
 * alone is never taken as proof of printing.
 */
export interface PrintJobLedger {
  /** The job's last state, or null for an id never seen. */
  get(id: string): Promise<PrintJobState | null>;
  mark(id: string, state: PrintJobState): Promise<void>;
}
