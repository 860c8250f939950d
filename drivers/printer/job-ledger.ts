import type { PrintJobState } from '../contract/printer';

/**
 * Where the printer driver keeps the state of every job id, so that a job is printed at most once across
 * retries, reconnects and restarts. The runtime implements it durably (SQLite); `mark` must be durable when it
 * resolves, because the driver writes `sending` *before* the first byte leaves.
 *
 * States as the driver writes them:
 * - `queued`   — accepted, nothing sent yet (only ever seen after a crash at that point).
 * - `failed`   — refused before any byte was sent (paper out, cover open, no answer to the status check,
 *                offline). Nothing reached the printer: a retry sends the job.
 * - `sending`  — bytes may have reached the printer, but it never confirmed (the link dropped, the status read
 *                after sending failed, or the paper ran out during the job). See the retry rule below.
 * - `printed`  — sent and confirmed by a status read afterwards. A retry sends nothing (`duplicate: true`).
 *
 * ## The retry rule for `sending` (never print twice)
 * A job in `sending` is never sent again under the same id. A retry asks the printer for its real-time status
 * instead:
 * - the printer answers and is ready (online, no paper out, cover closed, no error) → whatever reached it has
 *   been printed (a printer finishes buffered data once it is ready again): the job is marked `printed` and the
 *   retry resolves `{ state: 'printed', duplicate: true, recovered: true }` without sending anything;
 * - the printer reports paper out / cover open / an error → the retry rejects `PAPER_OUT` / `COVER_OPEN` /
 *   `DEVICE_OFFLINE` and the job stays `sending` (retry again once it is fixed);
 * - the printer does not answer → the retry rejects (`DEVICE_OFFLINE` / `TIMEOUT`) and the job stays `sending`.
 * If an interrupted job's receipt is missing or torn, the way to print it again is a reprint with a NEW id
 * (e.g. `reprint:<orderId>:2`), which is a human decision — never an automatic one.
 */
export interface PrintJobLedger {
  /** The job's last state, or null for an id never seen. */
  get(id: string): Promise<PrintJobState | null>;
  mark(id: string, state: PrintJobState): Promise<void>;
}
