import { EventEmitter } from 'node:events';
import type { BarcodeScanner, ScanData } from '../../drivers/contract';
import type { Lane, ScanOutcome } from '../lane/lane';

export interface ScanFeedEvents {
  outcome: [ScanOutcome, ScanData];
}

/**
 * Feeds scanner reads into the lane, one at a time in arrival order (a read never overtakes the one before it),
 * and reports each outcome. A read that fails unexpectedly (not a lane refusal: e.g. storage) is reported as an error
 * outcome and handed to `onError` with its cause, so it is logged, never only a "Please try again"; the feed keeps going.
 */
export class ScanFeed extends EventEmitter<ScanFeedEvents> {
  private chain: Promise<void> = Promise.resolve();
  private readonly onData = (d: ScanData) => {
    this.chain = this.chain.then(async () => {
      let outcome: ScanOutcome;
      try {
        outcome = await this.lane.scan(d.raw);
      } catch (e) {
        this.onError(e);
        outcome = { ok: false, code: 'LANE_BUSY', message: { 'zh-CN': '请稍后再试', en: 'Please try again.' }, detail: e instanceof Error ? e.message : String(e), scan: null };
      }
      this.emit('outcome', outcome, d);
    });
  };

  constructor(
    private readonly scanner: BarcodeScanner,
    private readonly lane: Lane,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    super();
    scanner.on('data', this.onData);
  }

  /** Resolves when every read received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    this.scanner.off('data', this.onData);
  }
}
