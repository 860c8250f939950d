import type { Device, DeviceEvents } from './device';

/** Real-time status as `DLE EOT n` reports it. */
export interface PrinterStatus {
  online: boolean;
  coverOpen: boolean;
  paperNearEnd: boolean;
  paperOut: boolean;
  drawerOpen?: boolean;
}

export type ReceiptBlock =
  | { kind: 'text'; text: string; align?: 'left' | 'center' | 'right'; bold?: boolean; size?: 1 | 2 }
  | { kind: 'line'; left: string; right: string }
  | { kind: 'rule' }
  | { kind: 'qr'; data: string }
  | { kind: 'barcode'; data: string; symbology: 'code128' | 'ean13' }
  | { kind: 'feed'; lines: number };

export interface PrintJob {
  /** Stable id (e.g. `receipt:<orderId>` or `reprint:<orderId>:2`): printing the same id twice prints once. */
  id: string;
  blocks: ReceiptBlock[];
  cut?: boolean;
  openDrawer?: boolean;
}

/**
 * `in_doubt`: the bytes were sent (or may have been) but the printer never confirmed the job (paper ran out, the
 * cover opened or the link dropped right after sending). Never `printed`: a retry sends it again, marked COPY.
 */
export type PrintJobState = 'queued' | 'sending' | 'in_doubt' | 'printed' | 'failed';

export interface PrintJobResult {
  id: string;
  state: PrintJobState;
  /** True when the job id had been printed before and nothing was sent this time. */
  duplicate: boolean;
  /** True when this send repeated a job left in doubt: the paper says COPY at the top. */
  copy?: boolean;
  error?: string;
}

export type PrinterEvents = DeviceEvents & {
  job: [PrintJobResult];
};

/**
 * A receipt printer. Rules: a confirmed job id is never printed again — a retry after an error re-sends only if the
 * printer never confirmed it (an `in_doubt` job is re-sent marked COPY), and a reprint needs a new id; paper out / cover open reject with `PAPER_OUT` /
 * `COVER_OPEN` before any byte is sent.
 */
export interface ReceiptPrinter extends Device<PrinterEvents> {
  print(job: PrintJob): Promise<PrintJobResult>;
  realtimeStatus(): Promise<PrinterStatus>;
}
