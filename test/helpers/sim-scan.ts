import type { Kiosk } from '../../device/kiosk';
import type { ScanData } from '../../drivers/contract';
import type { ScanOutcome } from '../../runtime/lane/lane';

/** Scans `code` on the kiosk's simulated scanner (bytes through its pty) and resolves with what the lane made of it. */
export async function scanOnSimulator(k: Kiosk, code: string): Promise<ScanOutcome> {
  const hw = k.hardware!;
  const feed = hw.scanFeed!;
  const got = new Promise<ScanOutcome>((resolve) => {
    const on = (o: ScanOutcome, d: ScanData) => {
      if (d.raw === code) {
        feed.off('outcome', on);
        resolve(o);
      }
    };
    feed.on('outcome', on);
  });
  await hw.sim.scanner!.scan(code);
  return got;
}
