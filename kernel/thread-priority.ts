import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Lowers the calling thread's CPU priority to `nice` (0–19; ≤ 0 leaves it): bulk work on a worker thread (the HQ
 * uplink, a price-book build) then yields the CPU to the lane's thread whenever both want it. Linux only: a thread
 * is a task with its own nice value, which /proc/thread-self names. Returns whether it was lowered (elsewhere, or
 * when not allowed, the work still runs off the lane's event loop, at the same priority).
 */
export function lowerThreadPriority(nice: number): boolean {
  if (!(nice > 0)) return false;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return false;
    os.setPriority(tid, Math.min(19, nice));
    return true;
  } catch {
    return false;
  }
}
